"""XLSX export: a "Metadaten" sheet first (as in official statistics), then one sheet per level.

Data sheets have the long layout of :mod:`quartier.exports.tabular` with a frozen,
filterable header row. Numbers are numeric cells with a number format showing
the indicator's decimals; codes are text cells (leading zeros stay); periods are
date cells; hidden values are the text ``.``; missing values are empty. Every
text cell is neutralised against formula injection.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from quartier.exports import metadata
from quartier.exports.formulas import neutralise
from quartier.exports.selection import ExportData
from quartier.exports.tabular import Row, headers, long_rows
from quartier.indicators.models import Indicator
from quartier.indicators.status import Status

_BOLD = Font(bold=True)
_WARNING = Font(bold=True, color="A30000")
_HEADER_FILL = PatternFill("solid", fgColor="E8EEF4")
_WRAP = Alignment(wrap_text=True, vertical="top")
_RIGHT = Alignment(horizontal="right")
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _plain(value: str) -> str:
    """Text for an unstyled cell: illegal XML characters removed, formulas neutralised."""
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value or ""))


def _text(ws, value: str, **style) -> WriteOnlyCell:
    """A text cell: illegal XML characters removed, formula characters neutralised."""
    cell = WriteOnlyCell(ws, value=_plain(value))
    cell.data_type = "s"
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def number_format(indicator: Indicator) -> str:
    """Excel number format with the indicator's decimals and thousands grouping."""
    return "#,##0" + ("." + "0" * indicator.decimals if indicator.decimals else "")


def _sheet_title(name: str, used: set[str]) -> str:
    base = name.translate(_SHEET_NAME_FORBIDDEN).strip("'")[:31] or "Ebene"
    title, n = base, 2
    while title.casefold() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.casefold())
    return title


def _metadata_sheet(wb: Workbook, data: ExportData) -> None:
    ws = wb.create_sheet(_("Metadaten"))
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 60
    for col in range(3, 15):
        ws.column_dimensions[get_column_letter(col)].width = 24
    ws.append([_text(ws, _("Metadaten des Exports"), font=_BOLD)])
    for label, text in metadata.general(data):
        warning = text == metadata.confidential_note()
        ws.append(
            [
                _text(ws, label, font=_WARNING if warning else _BOLD),
                _text(ws, text, alignment=_WRAP, font=_WARNING if warning else Font()),
            ]
        )
    ws.append([])
    ws.append([_text(ws, _("Indikatoren"), font=_BOLD)])
    ws.append([_text(ws, h, font=_BOLD, fill=_HEADER_FILL) for h in metadata.indicator_headers()])
    for fields in metadata.indicator_rows(data):
        ws.append([_text(ws, text, alignment=_WRAP) for text in fields])


class _DataSheet:
    """One level's sheet. Styled cells are reused: write-only sheets write a row on append."""

    def __init__(self, wb: Workbook, title: str, data: ExportData):
        self.indicators = data.selection.indicators
        self.ws = ws = wb.create_sheet(title)
        self.rows = 1
        ws.freeze_panes = "A2"
        widths = [12, 12, 30, 12] + [18] * len(self.indicators)
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.append(
            [_text(ws, h, font=_BOLD, fill=_HEADER_FILL, alignment=_WRAP) for h in headers(data)]
        )
        self.period = WriteOnlyCell(ws)
        self.period.number_format = "DD.MM.YYYY"
        self.hidden = _text(ws, Status.SUPPRESSED.file_mark, alignment=_RIGHT)
        self.numbers = []
        for ind in self.indicators:
            template = WriteOnlyCell(ws)
            template.number_format = number_format(ind)
            self.numbers.append(template)

    def _value(self, i: int, status: Status, value):
        if status == Status.SUPPRESSED:
            return self.hidden
        if value is None:
            return None
        if isinstance(value, str):
            return _plain(value)
        self.numbers[i].value = value
        return self.numbers[i]

    def append(self, row: Row) -> None:
        """Write one row (level, code, name, period, values)."""
        self.period.value = row.period
        values = [self._value(i, s, v) for i, (s, v) in enumerate(row.cells)]
        self.ws.append(
            [_plain(row.level.key), _plain(row.code), _plain(row.name), self.period, *values]
        )
        self.rows += 1

    def finish(self) -> None:
        """Turn on the filter buttons over the header and all rows."""
        last_column = get_column_letter(4 + len(self.indicators))
        self.ws.auto_filter.ref = f"A1:{last_column}{self.rows}"


def _data_sheets(wb: Workbook, data: ExportData) -> None:
    used = {_("Metadaten").casefold()}
    sheets = {
        lv.level.id: _DataSheet(wb, _sheet_title(lv.level.name, used), data) for lv in data.levels
    }
    for row in long_rows(data):
        sheets[row.level.id].append(row)
    for sheet in sheets.values():
        sheet.finish()


def write_xlsx(data: ExportData) -> bytes:
    """The export as an XLSX workbook (bytes)."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "Quartier"
    wb.properties.title = _("Export aus Quartier")
    if data.confidential:
        wb.properties.keywords = _("vertraulich")
        wb.properties.subject = metadata.confidential_note()
    _metadata_sheet(wb, data)
    _data_sheets(wb, data)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
