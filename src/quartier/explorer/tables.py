"""Table view of a map (the accessible alternative) and its CSV download."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from quartier.core.numbers import round_half_up
from quartier.explorer.mapdata import MapResult
from quartier.exports.formulas import neutralise
from quartier.exports.metadata import confidential_note
from quartier.indicators.comparison import ranks
from quartier.indicators.status import BY_CODE, Status

SORT_KEYS = ("rang", "schluessel", "name", "wert", "abweichung")


@dataclass
class TableRow:
    """One area in the table: value, rank, deviation from the city value, class."""

    code: str
    name: str
    value: float | None
    status: Status
    rank: int | None
    deviation: float | None
    css_class: int


def table_rows(result: MapResult, sort: str = "rang") -> list[TableRow]:
    """Rows of a map result, ranked by value (1 = highest) and sorted by ``sort``."""
    ranked = ranks(result.values, result.status)
    rows = []
    for i, (code, name) in enumerate(zip(result.codes, result.names, strict=True)):
        value = float(result.values[i]) if ranked[i] else None
        deviation = None if value is None or result.city is None else value - result.city
        rows.append(
            TableRow(
                code,
                name,
                value,
                BY_CODE[result.status[i]],
                int(ranked[i]) or None,
                deviation,
                int(result.classification.classes[i]),
            )
        )
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key, descending = "rang", False
    missing_last = float("inf")
    sorters = {
        "rang": lambda r: r.rank if r.rank is not None else missing_last,
        "schluessel": lambda r: r.code,
        "name": lambda r: r.name.casefold(),
        "wert": lambda r: r.value if r.value is not None else -missing_last,
        "abweichung": lambda r: r.deviation if r.deviation is not None else -missing_last,
    }
    rows.sort(key=sorters[key], reverse=descending)
    return rows


def _cell(value: float | None, status: Status, decimals: int, german: bool, indicator=None) -> str:
    if status == Status.SUPPRESSED:
        return status.file_mark  # as in official statistics: unknown or secret
    label = indicator.category_label(value) if indicator is not None else None
    if label is not None:
        return label
    value = round_half_up(value, decimals)
    if value is None:
        return ""
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if german else text


def table_csv(result: MapResult, german: bool) -> str:
    """CSV text: semicolon and decimal comma for German Excel, else comma and point."""
    view, ind = result.view, result.view.indicator
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if german else ",", lineterminator="\r\n")
    unit = f" ({result.change_unit})" if result.change_unit else ""
    label = f"Veränderung {view.compare:%Y}–{view.period:%Y}" if view.compare else ind.name
    writer.writerow(
        ["Schlüssel", "Gebiet", f"{neutralise(label)}{unit}", "Rang", "Abweichung vom Stadtwert"]
    )
    for row in table_rows(result, "schluessel"):
        writer.writerow(
            [
                row.code,
                neutralise(row.name),
                _cell(row.value, row.status, ind.decimals, german, ind),
                row.rank or "",
                _cell(row.deviation, row.status, ind.decimals, german),
            ]
        )
    writer.writerow([])
    writer.writerow(["Raumebene", view.level.name])
    writer.writerow(["Stichtag", view.period.isoformat()])
    if ind.source:
        writer.writerow(["Quelle", neutralise(ind.source)])
    writer.writerow(["Stadtwert", _cell(result.city, Status.OK, ind.decimals, german)])
    if result.confidential:  # values others see hidden, as the export files say
        writer.writerow(["Vertraulich", confidential_note()])
    return "\ufeff" + out.getvalue()  # BOM: Excel then reads UTF-8 correctly
