"""Read XLSX and ODS worksheets into rows of text plus their merged ranges.

Spreadsheet values arrive typed (numbers, dates, booleans); they are written as text here so
that every format reaches the header logic in :mod:`quartier.imports.tables` the same way:
integers without ".0", floats losslessly, dates as ISO dates. Text cells stay as typed, so an
ID entered as text ("001") keeps its zeros.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from quartier.errors import QuartierError
from quartier.imports import xlsxparts
from quartier.imports.cellstore import CellBuilder, Rows, rows_of
from quartier.imports.xlsxparts import big_sheet, sheet_parts

MAX_COLUMNS = 500
Merge = tuple[int, int, int, int]  # 0-based, inclusive: first row, first col, last row, last col


@dataclass
class Grid:
    """Cells of one sheet or CSV file before the header is known."""

    rows: Rows  # see quartier.imports.cellstore
    merges: list[Merge] | None  # None: the format cannot say (CSV)
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class RowLimit:
    """Counts non-empty rows while reading and stops reading above the limit."""

    def __init__(self, max_rows: int, slack: int) -> None:
        self.max_rows = max_rows
        self.left = max_rows + slack  # title lines above the header do not count

    def take(self, count: int = 1) -> None:
        """Count ``count`` more non-empty rows; raise once the table is too long."""
        self.left -= count
        if self.left < 0:
            raise too_many_rows(self.max_rows)


def too_many_rows(max_rows: int) -> QuartierError:
    """The error for tables above the row limit."""
    shown = f"{max_rows:,}".replace(",", ".")
    return QuartierError(
        f"Die Tabelle hat mehr als {shown} Datenzeilen – zu viele für einen Import; nichts "
        "wurde gespeichert. Bitte die Daten auf mehrere Dateien aufteilen (die Grenze legt "
        "QUARTIER_MAX_IMPORT_ROWS fest)."
    )


def cell_text(value: object) -> str:
    """A spreadsheet value as text: integers without ".0", floats lossless, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        # repr is the shortest text that reads back as the same float
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def pick_sheet(names: list[str], wanted: str | None, has_data: Callable[[str], bool]) -> str:
    """The wanted sheet (exact, then ignoring case and spaces) or the first with data."""
    if wanted is not None:
        for name in names:
            if name == wanted or name.strip().casefold() == wanted.strip().casefold():
                return name
        listed = ", ".join(f"„{name}“" for name in names)
        raise QuartierError(f"Das Tabellenblatt „{wanted}“ gibt es nicht. Vorhanden: {listed}.")
    for name in names:
        if has_data(name):
            return name
    raise QuartierError("Die Datei enthält kein Tabellenblatt mit Daten.")


# --- XLSX -------------------------------------------------------------------------------------
# python-calamine (Rust) rather than openpyxl: openpyxl's full mode, the only one that knows
# merged cells, builds a Python object per cell (2.4 GB and minutes for a million rows).
# calamine holds the sheet outside Python and hands out one row at a time; the reader numbers
# each cell's text (see quartier.imports.cellstore), so a million rows of repeated codes,
# periods and counts keep a few thousand strings and one int32 per cell.

_BROKEN_XLSX = (
    "Die Excel-Datei ist beschädigt oder unvollständig. Bitte in Excel öffnen, neu "
    "speichern und erneut hochladen."
)


def open_xlsx(path: Path | io.BytesIO):
    """Open a workbook (a file, or one in memory) with calamine; any failure means a broken
    file.
    """
    from python_calamine import CalamineWorkbook

    try:
        if isinstance(path, io.BytesIO):
            return CalamineWorkbook.from_filelike(path)
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own errors, zip and XML errors
        raise QuartierError(_BROKEN_XLSX) from exc


def _worksheet_names(book) -> list[str]:
    """Names of the worksheets (chart sheets hold no table and are left out)."""
    from python_calamine import SheetTypeEnum

    return [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]


def xlsx_sheet_names(path: Path) -> list[str]:
    """Names of the worksheets of an XLSX file."""
    return _worksheet_names(open_xlsx(path))


class TextPool:
    """Numbers spreadsheet values by their text (see :func:`cell_text`) for a cell store.

    Statistics tables repeat few values (area codes, periods, small counts) over many rows;
    each distinct text is made and kept once (:class:`~quartier.imports.cellstore.CellBuilder`),
    and numbers are looked up by value so that their text is only made the first time.
    """

    def __init__(self, builder: CellBuilder) -> None:
        self.builder = builder
        self.numbers: dict[float, int] = {}

    def number(self, value: object) -> int:
        """The cell number of ``value``'s text, shared with equal values before."""
        if type(value) is float:  # bool and int compare equal to floats: own dict for floats
            found = self.numbers.get(value)
            if found is None:
                found = self.builder.number(cell_text(value))
                if len(self.numbers) < self.builder.pool and value == value:  # NaN: no key
                    self.numbers[value] = found
            return found
        if type(value) is str and value == "":
            return 0
        return self.builder.number(cell_text(value))


def _sheet(book, name: str):
    try:
        return book.get_sheet_by_name(name)
    except Exception as exc:  # a sheet part that is missing or not XML
        raise QuartierError(_BROKEN_XLSX) from exc


def read_xlsx(
    path: Path, sheet: str | None, limit: RowLimit, part_bytes: int | None = None
) -> Grid:
    """Rows of text and merged ranges of one worksheet, read one row at a time.

    A worksheet of more than ``part_bytes`` of XML is read in parts of about that size
    (:mod:`quartier.imports.xlsxparts`), so that calamine never holds all of it.
    """
    part_bytes = part_bytes or xlsxparts.PART_BYTES
    book = open_xlsx(path)
    names = _worksheet_names(book)

    loaded: dict = {}  # the sheet last looked at: calamine parses a whole sheet to load it

    def has_data(name: str) -> bool:
        loaded.clear()
        big = big_sheet(path, name, part_bytes)
        if big:
            return any(_sheet_parts(path, big, name, part_bytes, data_only=True))
        loaded[name] = _sheet(book, name)
        return any(any(v != "" for v in row) for row in loaded[name].iter_rows())

    chosen = pick_sheet(names, sheet, has_data)
    big = big_sheet(path, chosen, part_bytes)
    builder = CellBuilder()
    number = TextPool(builder).number
    if big:
        loaded.clear()
        merges = _read_parts(path, big, chosen, part_bytes, builder, number, limit)
        top = 0
    else:
        ws = loaded.pop(chosen, None) or _sheet(book, chosen)
        loaded.clear()
        # iter_rows starts at the first row of the sheet, to_python at the first with a cell
        read = _add_rows(ws.iter_rows(), ws, builder, number, limit)
        top = max(0, ws.end[0] + 1 - read) if ws.end else 0  # empty rows at the top left out
        merges = _merges(ws)
    ws = book = None  # calamine frees the sheet now
    release_freed_memory()
    return Grid(builder.finish(top), merges, "xlsx", sheet=chosen, sheets=names)


def _merges(ws) -> list[Merge]:
    return [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in ws.merged_cell_ranges or ()]


def _read_parts(path, part, name, part_bytes, builder, number, limit) -> list[Merge]:
    """Add the rows of a big sheet part by part; returns its merged ranges."""
    read, merges = 0, []
    for ws, piece in _sheet_parts(path, part, name, part_bytes):
        begun = read
        if ws.start:
            # the part's rows from its first with a cell, which stands at its row number
            # (absolute) or that many rows after the rows before
            for _ in range(ws.start[0] - (read if piece.absolute else 0)):
                builder.add([])
                read += 1
            read += _add_rows(ws.to_python(skip_empty_area=True), ws, builder, number, limit)
            merges += _merges(ws)
        if not piece.absolute:  # counted rows: empty ones at the part's end take their place
            for _ in range(piece.rows - (read - begun)):
                builder.add([])
                read += 1
    return merges


def _sheet_parts(path: Path, part: str, name: str, part_bytes: int, data_only: bool = False):
    """(calamine sheet, :class:`~quartier.imports.xlsxparts.Part`) of each part."""
    try:
        for piece in sheet_parts(path, part, part_bytes):
            ws = _sheet(open_xlsx(io.BytesIO(piece.workbook)), name)
            if data_only:  # whether the sheet has data: a part with a filled cell is enough
                yield any(any(v != "" for v in row) for row in ws.iter_rows())
            else:
                yield ws, piece
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise QuartierError(_BROKEN_XLSX) from exc


def _add_rows(rows, ws, builder: CellBuilder, number, limit: RowLimit) -> int:
    """Add ``rows`` of the calamine sheet ``ws`` to ``builder``; returns how many."""
    first_col = ws.start[1] if ws.start else 0
    width = MAX_COLUMNS + 1 - first_col  # caps the work for sheets formatted out to column XFD
    pad = [0] * first_col  # calamine leaves out empty columns on the left
    add = builder.add
    read = 0
    try:
        for values in rows:
            row = [number(v) for v in values[:width]]
            if pad:
                row = pad + row
            if any(row):
                limit.take()
            add(row)
            read += 1
    except QuartierError:
        raise
    except Exception as exc:  # a cell calamine cannot decode
        raise QuartierError(_BROKEN_XLSX) from exc
    return read


_MMAP_THRESHOLD = -3  # glibc's mallopt parameter M_MMAP_THRESHOLD
_BIG_BLOCK = 1 << 20


def map_big_blocks() -> None:
    """Have glibc give every block of 1 MiB or more its own mapping, returned when freed.

    Why: glibc raises its threshold for such mappings to the size of the last one freed
    (up to 32 MiB), so after the first big array of an import the next ones, tens of
    megabytes each (a million-row sheet's columns and their temporaries), come from the
    heap, whose freed holes stay part of the process: its memory grew by 150 MB over the
    check of such a sheet. A fixed threshold keeps it at what is in use. Process-wide and
    harmless elsewhere; does nothing where glibc's ``mallopt`` is not available.
    """
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_MMAP_THRESHOLD, _BIG_BLOCK)


def release_freed_memory() -> None:
    """Give memory freed by big temporary structures back to the operating system.

    calamine holds a whole sheet in C heap memory while it is read; glibc keeps the freed
    heap for reuse by C allocations, which Python objects do not use, so a million-row
    sheet would otherwise inflate the importing process by hundreds of megabytes until it
    ends. Does nothing where glibc's ``malloc_trim`` is not available.
    """
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


# --- ODS --------------------------------------------------------------------------------------
# odfpy directly rather than pandas: pandas drops merge spans and blank rows, and both matter
# for finding the header.


def _open_ods(path: Path) -> list:
    """The table elements of an ODS document; any odfpy failure means a broken file."""
    from odf.opendocument import load  # heavy import, only needed for ODS uploads
    from odf.table import Table

    try:
        return list(load(str(path)).spreadsheet.getElementsByType(Table))
    except Exception as exc:  # odfpy raises KeyError, XML and zip errors for broken files
        raise QuartierError(
            "Die ODS-Datei ist beschädigt oder unvollständig. Bitte neu speichern und erneut "
            "hochladen."
        ) from exc


def ods_sheet_names(path: Path) -> list[str]:
    """Names of the sheets of an ODS file."""
    return [str(table.getAttribute("name")) for table in _open_ods(path)]


def read_ods(path: Path, sheet: str | None, limit: RowLimit) -> Grid:
    """Rows of text and merged ranges of one ODS sheet."""
    by_name = {str(table.getAttribute("name")): table for table in _open_ods(path)}
    parsed: dict[str, tuple[list[list[str]], list[Merge]]] = {}

    def has_data(name: str) -> bool:
        parsed[name] = _ods_rows(by_name[name], limit)
        return bool(parsed[name][0])

    chosen = pick_sheet(list(by_name), sheet, has_data)
    rows, merges = parsed.get(chosen) or _ods_rows(by_name[chosen], limit)
    return Grid(rows_of(rows), merges, "ods", sheet=chosen, sheets=list(by_name))


def _ods_rows(table, limit: RowLimit) -> tuple[list[list[str]], list[Merge]]:
    """Expand repeated rows; trailing empty rows (often repeated a million times) are dropped."""
    from odf.namespaces import TABLENS
    from odf.table import TableRow

    rows: list[list[str]] = []
    merges: list[Merge] = []
    empty = 0  # empty rows are only written once a row with content follows them
    for element in table.getElementsByType(TableRow):
        cells, spans = _ods_cells(element, len(rows) + empty)
        repeat = int(element.attributes.get((TABLENS, "number-rows-repeated"), 1))
        if not any(cells):
            empty += repeat
            continue
        limit.take(repeat)
        rows.extend([] for _ in range(empty))
        empty = 0
        merges.extend(spans)
        rows.extend(list(cells) for _ in range(repeat))
    return rows, merges


def _ods_cells(element, row: int) -> tuple[list[str], list[Merge]]:
    """Texts of one ODS row and the merged ranges that start in it."""
    from odf.namespaces import TABLENS

    cells: list[str] = []
    spans: list[Merge] = []
    empty = 0  # as for rows: trailing empty cells are repeated up to column 16384
    for cell in element.childNodes:
        kind = getattr(cell, "qname", None)
        if kind not in ((TABLENS, "table-cell"), (TABLENS, "covered-table-cell")):
            continue
        attrs = cell.attributes
        repeat = int(attrs.get((TABLENS, "number-columns-repeated"), 1))
        column = len(cells) + empty
        across = int(attrs.get((TABLENS, "number-columns-spanned"), 1))
        down = int(attrs.get((TABLENS, "number-rows-spanned"), 1))
        if across > 1 or down > 1:
            spans.append((row, column, row + down - 1, column + across - 1))
        text = _ods_value(cell) if kind[1] == "table-cell" else ""
        if not text:
            empty += repeat
            continue
        cells.extend([""] * empty)
        empty = 0
        cells.extend([text] * min(repeat, MAX_COLUMNS + 1))
        if len(cells) > MAX_COLUMNS:
            break
    return cells, spans


def _ods_value(cell) -> str:
    """One ODS cell as text; typed values are written like Excel values."""
    from odf.namespaces import OFFICENS, TEXTNS

    attrs = cell.attributes
    kind = attrs.get((OFFICENS, "value-type"))
    if kind in ("float", "percentage", "currency"):
        try:
            return cell_text(float(attrs.get((OFFICENS, "value"))))
        except (TypeError, ValueError):
            pass  # a broken value attribute: fall back to the displayed text
    elif kind == "date":
        value = str(attrs.get((OFFICENS, "date-value"), ""))
        return value.removesuffix("T00:00:00").replace("T", " ")
    elif kind == "time":
        value = str(attrs.get((OFFICENS, "time-value")))
        match = re.fullmatch(r"PT(\d+)H(\d+)M(\d+)(?:\.\d+)?S", value)
        if match:
            return ":".join(f"{int(part):02d}" for part in match.groups())
    elif kind == "boolean":
        return "WAHR" if attrs.get((OFFICENS, "boolean-value")) == "true" else "FALSCH"
    paragraph = (TEXTNS, "p")
    texts = [_ods_text(p) for p in cell.childNodes if getattr(p, "qname", None) == paragraph]
    return "\n".join(texts).strip()


def _ods_text(node) -> str:
    """Text of an ODS paragraph with its run-length encoded spaces; comments are skipped."""
    from odf.namespaces import OFFICENS, TEXTNS

    parts = []
    for child in node.childNodes:
        kind = getattr(child, "qname", None)
        if kind is None:
            parts.append(getattr(child, "data", ""))
        elif kind == (TEXTNS, "s"):
            parts.append(" " * int(child.attributes.get((TEXTNS, "c"), 1)))
        elif kind == (TEXTNS, "tab"):
            parts.append("\t")
        elif kind == (TEXTNS, "line-break"):
            parts.append("\n")
        elif kind != (OFFICENS, "annotation"):
            parts.append(_ods_text(child))
    return "".join(parts)
