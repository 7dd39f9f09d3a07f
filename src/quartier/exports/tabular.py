"""The long table of an export (one row per area × period, one column per indicator) and CSV.

CSV is UTF-8 with a byte order mark (Excel then reads umlauts correctly) and
CR LF line ends. ``csv-de`` uses semicolons and decimal commas, as German
Excel expects; ``csv`` commas and decimal points. The table comes first, so that
Excel and any CSV reader see a clean header; after one empty line follows a
short metadata block (as in the table view's CSV): export date, levels,
periods, the disclosure note, a "vertraulich" warning where needed, and one line
per indicator with its definition.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from quartier.exports import metadata
from quartier.exports.formulas import neutralise
from quartier.exports.selection import ExportData, cell, positions
from quartier.indicators.models import Indicator
from quartier.indicators.status import Status
from quartier.spatial.models import Level


@dataclass(frozen=True)
class Row:
    """One area on one period: its (status, value) per indicator, in selection order."""

    level: Level
    code: str
    name: str
    period: date
    cells: list[tuple[Status, float | int | str | None]]


def indicator_header(indicator: Indicator) -> str:
    """Header of an indicator column, e.g. ``ew_gesamt – Einwohner (Personen)``."""
    unit = f" ({indicator.unit})" if indicator.unit else ""
    return f"{indicator.key} – {indicator.name}{unit}"


def headers(data: ExportData) -> list[str]:
    """Header row of the long table."""
    fixed = [_("Ebene"), _("Schlüssel"), _("Gebiet"), _("Stichtag")]
    return fixed + [indicator_header(ind) for ind in data.selection.indicators]


def long_rows(data: ExportData) -> Iterator[Row]:
    """Rows per level and period (ascending), areas in code order within each period."""
    indicators = data.selection.indicators
    for level_values in data.levels:
        for period in data.selection.all_periods:
            results = [level_values.results.get((ind.pk, period)) for ind in indicators]
            base = next(r for r in results if r is not None)
            lookups = [positions(r) if r is not None else {} for r in results]
            for i, area_id in enumerate(base.area_ids.tolist()):
                cells = [
                    cell(ind, result, lookup.get(area_id))
                    for ind, result, lookup in zip(indicators, results, lookups, strict=True)
                ]
                yield Row(level_values.level, base.codes[i], base.names[i], period, cells)


def csv_cell(indicator: Indicator, status: Status, value, german: bool) -> str:
    """A value as CSV text: ``.`` for hidden, empty for missing, numbers unquoted as numbers."""
    if status == Status.SUPPRESSED:
        return status.file_mark  # as in official statistics
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    text = f"{value:.{indicator.decimals}f}"
    return text.replace(".", ",") if german else text


def write_csv(data: ExportData, german: bool) -> bytes:
    """The export as CSV bytes (see the module docstring for the layout)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if german else ",", lineterminator="\r\n")
    indicators = data.selection.indicators
    writer.writerow([neutralise(h) for h in headers(data)])
    for row in long_rows(data):
        writer.writerow(
            [
                neutralise(row.level.key),
                neutralise(row.code),
                neutralise(row.name),
                row.period.isoformat(),
                *(
                    csv_cell(ind, status, value, german)
                    for ind, (status, value) in zip(indicators, row.cells, strict=True)
                ),
            ]
        )
    writer.writerow([])
    writer.writerow([_("Metadaten")])
    for label, text in metadata.general(data):
        writer.writerow([neutralise(label), neutralise(text)])
    writer.writerow([])
    writer.writerow([neutralise(h) for h in metadata.indicator_headers()])
    for fields in metadata.indicator_rows(data):
        writer.writerow([neutralise(text) for text in fields])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
