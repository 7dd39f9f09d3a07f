"""Read XLSX and ODS worksheets into rows of text plus their merged ranges.

Spreadsheet values arrive typed (numbers, dates, booleans); they are written as text here so
that every format reaches the header logic in :mod:`quartier.imports.tables` the same way:
integers without ".0", floats losslessly, dates as ISO dates. Text cells stay as typed, so an
ID entered as text ("001") keeps its zeros.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from quartier.errors import QuartierError

MAX_COLUMNS = 500
Merge = tuple[int, int, int, int]  # 0-based, inclusive: first row, first col, last row, last col


@dataclass
class Grid:
    """Cells of one sheet or CSV file before the header is known."""

    rows: list[list[str]]
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
# calamine holds the sheet compactly outside Python and hands out one row at a time; the
# reader turns each row into texts from a pool, so a million rows of repeated codes, periods
# and counts share their strings.

_BROKEN_XLSX = (
    "Die Excel-Datei ist beschädigt oder unvollständig. Bitte in Excel öffnen, neu "
    "speichern und erneut hochladen."
)


def open_xlsx(path: Path):
    """Open a workbook with calamine; any failure to open means a broken file."""
    from python_calamine import CalamineWorkbook

    try:
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
    """Cell values as text, each distinct text stored once.

    Statistics tables repeat few values (area codes, periods, small counts) over many rows;
    one shared string per distinct value instead of one per cell keeps a million rows small.
    The pool stops growing at ``size`` entries (then texts are made per cell, as before).
    """

    def __init__(self, size: int = 500_000) -> None:
        self.size = size
        self.numbers: dict[float, str] = {}
        self.texts: dict[str, str] = {}

    def text(self, value: object) -> str:
        """``value`` as text (see :func:`cell_text`), shared with equal values before."""
        if type(value) is float:  # bool and int compare equal to floats: own dict for floats
            found = self.numbers.get(value)
            if found is None:
                found = cell_text(value)
                if len(self.numbers) < self.size:
                    self.numbers[value] = found
            return found
        text = cell_text(value)
        found = self.texts.get(text)
        if found is None:
            if len(self.texts) < self.size:
                self.texts[text] = text
            return text
        return found


def _sheet(book, name: str):
    try:
        return book.get_sheet_by_name(name)
    except Exception as exc:  # a sheet part that is missing or not XML
        raise QuartierError(_BROKEN_XLSX) from exc


def read_xlsx(path: Path, sheet: str | None, limit: RowLimit) -> Grid:
    """Rows of text and merged ranges of one worksheet, read one row at a time."""
    book = open_xlsx(path)
    names = _worksheet_names(book)

    loaded: dict = {}  # the sheet last looked at: calamine parses a whole sheet to load it

    def has_data(name: str) -> bool:
        loaded.clear()
        loaded[name] = _sheet(book, name)
        return any(any(v != "" for v in row) for row in loaded[name].iter_rows())

    chosen = pick_sheet(names, sheet, has_data)
    ws = loaded.pop(chosen, None) or _sheet(book, chosen)
    loaded.clear()
    first_col = ws.start[1] if ws.start else 0
    width = MAX_COLUMNS + 1 - first_col  # caps the work for sheets formatted out to column XFD
    pad = [""] * first_col  # calamine leaves out empty columns on the left
    pool = TextPool()
    text = pool.text
    rows: list[list[str]] = []
    try:
        for values in ws.iter_rows():
            row = [text(v) for v in values[:width]]
            if pad:
                row = pad + row
            while row and not row[-1]:
                row.pop()
            if row:
                limit.take()
            rows.append(row)
    except QuartierError:
        raise
    except Exception as exc:  # a cell calamine cannot decode
        raise QuartierError(_BROKEN_XLSX) from exc
    if ws.end and len(rows) < ws.end[0] + 1:  # empty rows at the top left out
        rows[0:0] = [[] for _ in range(ws.end[0] + 1 - len(rows))]
    merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in ws.merged_cell_ranges or ()]
    ws = book = None  # calamine frees the sheet now
    release_freed_memory()
    return Grid(rows, merges, "xlsx", sheet=chosen, sheets=names)


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
    return Grid(rows, merges, "ods", sheet=chosen, sheets=list(by_name))


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
