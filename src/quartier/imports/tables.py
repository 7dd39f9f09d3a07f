"""Read statistics tables uploaded by municipal staff (CSV, XLSX, ODS) into plain rows of text.

The reader guesses what people would otherwise have to tell it — format, encoding, delimiter,
sheet, header row, number format — and says in German what it guessed (``RawTable.notes``).
Cells stay text (IDs such as "001" keep their zeros); :mod:`quartier.imports.cells` turns them
into numbers later. Every bad input ends in a :class:`~quartier.errors.QuartierError`.

Format sniffing lives in :mod:`.sniffing`, the XLSX/ODS readers in :mod:`.sheets`; this module
reads CSV and turns any grid of cells into a :class:`RawTable`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import numpy as np

from quartier.errors import QuartierError
from quartier.imports.cells import detect_number_format
from quartier.imports.cellstore import CellBuilder, Rows
from quartier.imports.sheets import (
    MAX_COLUMNS,
    Grid,
    RowLimit,
    map_big_blocks,
    ods_sheet_names,
    read_ods,
    read_xlsx,
    too_many_rows,
    xlsx_sheet_names,
)
from quartier.imports.sniffing import (
    MAX_UNZIPPED_BYTES,
    decode_text,
    detect_delimiter,
    sniff_format,
    trimmed_len,
)

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UNZIPPED_BYTES",
    "RawTable",
    "list_sheets",
    "read_table",
    "sniff_format",
]

MAX_ROWS = 1_000_000  # without Django settings; else QUARTIER_MAX_IMPORT_ROWS
_HEADER_SEARCH = 20  # title lines above the header are few; search no further
_SHAPE_ROWS = 200  # rows used to learn how many cells a typical data row fills
_FORMAT_SAMPLE_ROWS = 5000
_NUMBERISH = re.compile(r"[+\-\u2212]?[\d.,\s]*\d[\d.,\s]*%?")


@dataclass
class RawTable:
    """A table as text: header names, data rows and what the reader detected."""

    columns: list[str]
    rows: Sequence[list[str]]  # lists, or read from a file: cellstore.Rows (compact)
    header_row: int
    file_format: str
    encoding: str | None
    delimiter: str | None
    decimal: str
    thousands: str | None
    sheet: str | None
    sheets: list[str]
    notes: list[str]
    # Row number in the file of each data row (1-based, header and title rows counted, as a
    # spreadsheet shows it); None for tables built in code: then rows follow the header.
    lines: Sequence[int] | None = None

    def line(self, index: int) -> int:
        """The file's row number of data row ``index``, as messages name it ("Zeile 7")."""
        if self.lines is None:
            return index + self.header_row + 2
        return int(self.lines[index])


def list_sheets(path: Path) -> list[str]:
    """Names of all sheets of an xlsx or ods file; [] for CSV."""
    file_format = sniff_format(path)
    if file_format == "xlsx":
        return xlsx_sheet_names(path)
    if file_format == "ods":
        return ods_sheet_names(path)
    return []


def read_table(
    path: Path,
    *,
    original_name: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_rows: int | None = None,
) -> RawTable:
    """Read a CSV, XLSX or ODS file into a :class:`RawTable` of text cells.

    Everything not given is detected: format, encoding, delimiter, sheet (the first with
    data), header row (0-based) and number format. Raises QuartierError with a German message
    for every input it cannot read; a table longer than ``max_rows`` (default:
    ``QUARTIER_MAX_IMPORT_ROWS``) is refused while reading, before it is held in memory.
    """
    if max_rows is None:
        max_rows = configured_max_rows()
    map_big_blocks()  # before the big arrays of reading and checking a table
    file_format = sniff_format(path, original_name)
    limit = RowLimit(max_rows, slack=_HEADER_SEARCH + 2)
    if file_format == "csv":
        grid = _read_csv(path, encoding, delimiter, limit)
    elif file_format == "xlsx":
        grid = read_xlsx(path, sheet, limit)
    else:
        grid = read_ods(path, sheet, limit)
    return _shape(grid, header_row, max_rows)


def configured_max_rows() -> int:
    """``QUARTIER_MAX_IMPORT_ROWS`` when Django is configured, else :data:`MAX_ROWS`."""
    from django.conf import settings

    if not settings.configured:
        return MAX_ROWS
    config = getattr(settings, "QUARTIER", None)
    return getattr(config, "max_import_rows", MAX_ROWS)


# --- CSV ------------------------------------------------------------------------------------


def _read_csv(path: Path, encoding: str | None, delimiter: str | None, limit: RowLimit) -> Grid:
    """Decode and split a CSV file into rows of stripped text."""
    text, used = decode_text(path.read_bytes(), encoding)
    if delimiter in ("tab", "\\t"):
        delimiter = "\t"
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        raise QuartierError(f"„{delimiter}“ ist kein gültiges Trennzeichen (ein Zeichen).")
    delimiter = delimiter or detect_delimiter(text)
    builder = CellBuilder()
    number = builder.number
    # strict: an unclosed quote must not silently swallow the rest of the file into one cell
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            cells = [number(cell.strip()) for cell in row]
            if any(cells):
                limit.take()
            builder.add(cells)
    except csv.Error as exc:
        raise QuartierError(
            f"Die CSV-Datei ist in Zeile {reader.line_num} nicht lesbar. Bitte prüfen, ob alle "
            "Anführungszeichen geschlossen sind."
        ) from exc
    notes = ["Zeichenkodierung Windows-1252 erkannt."] if used == "cp1252" else []
    del text
    return Grid(builder.finish(), None, "csv", encoding=used, delimiter=delimiter, notes=notes)


# --- from a grid of cells to a table -----------------------------------------------------------


def _shape(grid: Grid, header_row: int | None, max_rows: int) -> RawTable:
    """Find the header, name the columns, pad the rows and detect the number format."""
    rows = grid.rows
    nonempty = rows.lengths() > 0
    if not nonempty.any():
        where = f"Das Tabellenblatt „{grid.sheet}“" if grid.sheet else "Die Datei"
        raise QuartierError(f"{where} enthält keine Daten.")
    hcopies = _fill_merges(rows, grid.merges or [])
    if header_row is None:
        top = _find_header(rows, hcopies)
    elif 0 <= header_row < len(rows):
        top = header_row
    else:
        raise QuartierError(
            f"Die Kopfzeile {header_row + 1} gibt es nicht; die Tabelle hat {len(rows)} Zeilen."
        )
    top, bottom = _header_span(rows, top, grid.merges, hcopies, auto=header_row is None)
    # blank rows are dropped, so row numbers are kept (4 bytes a row); merges may fill some
    lengths = rows.lengths()
    below = lengths > 0
    below[: bottom + 1] = False
    lines = (np.flatnonzero(below) + 1).astype(np.uint32)
    if not len(lines):
        raise QuartierError(
            f"Unter der Kopfzeile (Zeile {bottom + 1}) stehen keine Daten. Bitte die Datei "
            "oder die gewählte Kopfzeile prüfen."
        )
    if len(lines) > max_rows:
        raise too_many_rows(max_rows)
    header_width, width = _widths(rows[top : bottom + 1], int(lengths[below].max()))
    lower = rows[bottom] if bottom > top else None
    names = _header_names(rows[top], lower, grid.merges is None, width)
    columns, name_notes = _unique_names(names, header_width)
    padded = rows.select(below, width)
    decimal, thousands = _number_format(padded, german_hint=grid.delimiter == ";")
    notes = [*grid.notes, *_header_notes(grid, top, bottom, auto=header_row is None)]
    return RawTable(
        columns=columns,
        rows=padded,
        header_row=top,
        file_format=grid.file_format,
        encoding=grid.encoding,
        delimiter=grid.delimiter,
        decimal=decimal,
        thousands=thousands,
        sheet=grid.sheet,
        sheets=grid.sheets,
        notes=notes + name_notes,
        lines=lines,
    )


def _widths(header: list[list[str]], data_width: int) -> tuple[int, int]:
    """Width of the header and of the table: the last filled column (trailing delimiters and
    formatted but empty spreadsheet columns do not count); ``data_width`` is the data rows'.
    """
    header_width = max(trimmed_len(row) for row in header)
    width = max(header_width, data_width)
    if width > MAX_COLUMNS:
        raise QuartierError(
            f"Die Tabelle hat mehr als {MAX_COLUMNS} Spalten. Bitte nur die benötigten Spalten "
            "hochladen oder die Tabelle ins Langformat bringen."
        )
    return header_width, width


def _fill_merges(rows: Rows, merges: list[tuple[int, int, int, int]]) -> set:
    """Copy each merged value into every cell it spans; return the cells copied sideways.

    Sideways copies are remembered so that a title merged across the whole width still counts
    as one cell when the header is searched.
    """
    hcopies: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in merges:
        if r1 >= len(rows):
            continue
        c2 = min(c2, MAX_COLUMNS)  # a merge across a whole row must not create 16384 cells
        value = rows[r1][c1] if c1 < len(rows[r1]) else ""
        for r in range(r1, min(r2, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c2:
                row.extend([""] * (c2 + 1 - len(row)))
            for c in range(c1, c2 + 1):
                row[c] = value
                if c > c1:
                    hcopies.add((r, c))
            rows[r] = row  # a row of a cell store is a copy: written back
    return hcopies


def _filled(row: list[str], r: int, hcopies: set) -> list[str]:
    """The non-empty cells of row ``r`` that are not sideways copies of a merged cell."""
    return [v for c, v in enumerate(row) if v and (r, c) not in hcopies]


def _text_share(cells: list[str]) -> float:
    """Share of cells that are text rather than numbers (0 for no cells)."""
    if not cells:
        return 0.0
    return sum(1 for v in cells if not _NUMBERISH.fullmatch(v)) / len(cells)


def _find_header(rows: list[list[str]], hcopies: set) -> int:
    """The header row: the first of the first 20 rows that fills about as many cells as a
    data row, is followed by such a row and is mostly text (title lines fill one cell); or the
    text row right above the first data row if the header is narrower than the data.
    """
    counts = [len(_filled(row, r, hcopies)) for r, row in enumerate(rows[:_SHAPE_ROWS])]
    nonzero = sorted(count for count in counts if count)
    typical = nonzero[len(nonzero) // 2]
    # a header fills nearly as many cells as a typical data row; the row after it may be
    # sparser (missing values), so it only has to be clearly more than a title line
    threshold = max(min(2, typical), math.ceil(0.8 * typical))
    lenient = max(min(2, typical), math.ceil(0.5 * typical))
    candidates = []
    for r in range(min(len(counts), _HEADER_SEARCH)):
        following = next((count for count in counts[r + 1 :] if count), lenient)
        if counts[r] >= threshold and following >= lenient:
            candidates.append(r)
    for r in candidates:
        if _text_share(_filled(rows[r], r, hcopies)) >= 0.5:
            return r
        above = _filled(rows[r - 1], r - 1, hcopies) if r else []
        if r == candidates[0] and len(above) >= 2 and _text_share(above) >= 0.5:
            return r - 1  # a header narrower than its data rows (unnamed extra columns)
    # A header of years ("Stadtteil;2019;2020") is mostly numbers: take the first wide row.
    return candidates[0] if candidates else counts.index(nonzero[-1])


def _header_span(
    rows: list[list[str]], h: int, merges: list | None, hcopies: set, *, auto: bool
) -> tuple[int, int]:
    """First and last header row: a header can take two rows (group names above sub-headers).

    A group row is recognised by a merged cell over several columns (or reaching into the
    next row), or — without merges, as in CSV — by gaps that the other row fills ("Stadtteil"
    only above, "unter 6" only below); a text row without either may be a title.
    """

    def starts_merge(r: int) -> bool:
        return any(r1 == r and (c2 > c1 or r2 > r) for r1, c1, r2, c2 in merges or [])

    below = h + 1
    has_below = below < len(rows) and _text_share(_filled(rows[below], below, hcopies)) >= 0.5
    if has_below and starts_merge(h):
        return h, below
    if not auto:
        return h, h
    if (
        h > 0
        and _is_group_row(rows, h - 1, h, hcopies)
        and (starts_merge(h - 1) or _complementary(rows[h - 1], rows[h]))
    ):
        return h - 1, h
    if (
        has_below
        and _is_group_row(rows, h, below, hcopies)
        and _complementary(rows[h], rows[below])
    ):
        return h, below
    return h, h


def _complementary(upper: list[str], lower: list[str]) -> bool:
    """True if each row has a filled cell where the other one is empty."""
    pairs = list(zip_longest(upper, lower, fillvalue=""))
    return any(up and not low for up, low in pairs) and any(low and not up for up, low in pairs)


def _is_group_row(rows: list[list[str]], upper: int, lower: int, hcopies: set) -> bool:
    """True if ``upper`` could name groups of the header ``lower``: text cells, no more than
    below, not just one cell in the first column (that is a title line).
    """
    origins = [(c, v) for c, v in enumerate(rows[upper]) if v and (upper, c) not in hcopies]
    if not origins or all(c == 0 for c, _ in origins):
        return False
    if any(_NUMBERISH.fullmatch(v) for _, v in origins):
        return False
    return len(_filled(rows[lower], lower, hcopies)) >= len(origins)


def _header_names(
    upper: list[str], lower: list[str] | None, fill_groups: bool, width: int
) -> list[str]:
    """Column names from one header row, or "group – sub-header" from two."""
    top = [" ".join(v.split()) for v in upper[:width]] + [""] * max(0, width - len(upper))
    if lower is None:
        return top
    sub = [" ".join(v.split()) for v in lower[:width]] + [""] * max(0, width - len(lower))
    if fill_groups:
        # Without merge information (CSV) a group name stands in its first column only and
        # holds for the empty cells to its right that have a sub-header below them.
        group = ""
        for c in range(width):
            if top[c]:
                group = top[c] if sub[c] else ""
            elif group and sub[c]:
                top[c] = group
            else:
                group = ""
    names = []
    for up, low in zip(top, sub, strict=True):
        if not low or low == up:
            names.append(up)
        elif not up:
            names.append(low)
        else:
            names.append(f"{up} – {low}")
    return names


def _unique_names(names: list[str], header_width: int) -> tuple[list[str], list[str]]:
    """Name empty headers "Spalte N" (1-based) and number duplicates "Name (2)"."""
    columns: list[str] = []
    taken = {name for name in names if name}
    unnamed, extra, doubled = [], [], []
    for index, name in enumerate(names):
        if not name:
            name = f"Spalte {index + 1}"
            (extra if index >= header_width else unnamed).append(name)
        elif name in columns:
            number = 2
            while f"{name} ({number})" in taken:
                number += 1
            name = f"{name} ({number})"
            doubled.append(name)
        taken.add(name)
        columns.append(name)
    notes = []
    if unnamed:
        notes.append(f"Spalten ohne Überschrift heißen jetzt {_listing(unnamed)}.")
    if extra:
        notes.append(
            "Einige Zeilen haben mehr Werte als die Kopfzeile; die zusätzlichen Spalten heißen "
            f"{_listing(extra)}."
        )
    if doubled:
        notes.append(f"Doppelte Spaltennamen wurden durchnummeriert: {_listing(doubled)}.")
    return columns, notes


def _listing(names: list[str], limit: int = 4) -> str:
    """„A“, „B“ und 3 weitere — short enough for one note."""
    shown = ", ".join(f"„{name}“" for name in names[:limit])
    return shown + (f" und {len(names) - limit} weitere" if len(names) > limit else "")


def _header_notes(grid: Grid, top: int, bottom: int, *, auto: bool) -> list[str]:
    """German notes on where the header was found and how merged cells were read."""
    notes = []
    if auto and top > 0:
        notes.append(f"Kopfzeile in Zeile {top + 1} erkannt; die Zeilen darüber sind übersprungen.")
    if bottom > top:
        notes.append(
            f"Die Kopfzeile steht in zwei Zeilen ({top + 1} und {bottom + 1}); die Spaltennamen "
            "wurden als „Oberbegriff – Unterbegriff“ zusammengesetzt."
        )
    merges = grid.merges or []
    if any(r1 <= bottom and r2 >= top and c2 > c1 for r1, c1, r2, c2 in merges):
        notes.append("Verbundene Zellen der Kopfzeile gelten für jede überspannte Spalte.")
    if any(r2 > bottom for _, _, r2, _ in merges):
        notes.append("Verbundene Zellen im Datenbereich gelten für jede überspannte Zelle.")
    return notes


def _number_format(rows: list[list[str]], *, german_hint: bool) -> tuple[str, str | None]:
    """Decimal mark and thousands separator from cells spread over the whole table."""
    step = max(1, len(rows) // _FORMAT_SAMPLE_ROWS)
    samples = [cell for row in rows[::step] for cell in row if cell]
    return detect_number_format(samples, german_hint=german_hint)
