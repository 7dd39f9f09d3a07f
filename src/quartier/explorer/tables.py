"""Table view of a map (the accessible alternative) and its CSV download."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext

from quartier.access.territories import whole_noun
from quartier.core.numbers import round_half_up
from quartier.explorer.mapdata import MapResult
from quartier.explorer.units import difference, difference_unit, share_of
from quartier.exports.formulas import neutralise
from quartier.exports.metadata import confidential_note
from quartier.indicators.comparison import ranks
from quartier.indicators.models import Kind
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


def counts_as_share(result: MapResult) -> bool:
    """Counts are compared with the city by their share of it, not by a difference.

    In change mode a count's change has no meaningful share either; it gets none.
    """
    return result.view.indicator.kind == Kind.COUNT


def deviation_label(result: MapResult, translate: bool = True) -> str:
    """Heading of the deviation column, with the unit its numbers are in.

    CSV files keep German headings (``translate=False``), as their other columns.
    """
    tr = gettext if translate else str
    kreis = whole_noun() == "kreis"
    if counts_as_share(result):
        return tr("Anteil am Kreis (%)") if kreis else tr("Anteil an der Stadt (%)")
    unit = result.view.indicator.unit.strip()
    unit = difference_unit(unit) if translate else {"%": "Prozentpunkte"}.get(unit, unit)
    label = tr("Abweichung vom Kreiswert") if kreis else tr("Abweichung vom Stadtwert")
    return f"{label} ({unit})" if unit else label


def _deviation(result: MapResult, value: float | None) -> float | None:
    if counts_as_share(result):
        return None if result.view.compare else share_of(value, result.city)
    return difference(value, result.city)


def table_rows(result: MapResult, sort: str = "rang") -> list[TableRow]:
    """Rows of a map result, ranked by value (1 = highest) and sorted by ``sort``."""
    ranked = ranks(result.values, result.status)
    rows = []
    for i, (code, name) in enumerate(zip(result.codes, result.names, strict=True)):
        value = float(result.values[i]) if ranked[i] else None
        deviation = _deviation(result, value)
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


def deviation_decimals(result: MapResult) -> int:
    """Shares of the city get one decimal; differences the indicator's."""
    return 1 if counts_as_share(result) else result.view.indicator.decimals


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
        [
            "Schlüssel",
            "Gebiet",
            f"{neutralise(label)}{unit}",
            "Rang",
            deviation_label(result, False),
        ]
    )
    for row in table_rows(result, "schluessel"):
        writer.writerow(
            [
                row.code,
                neutralise(row.name),
                _cell(row.value, row.status, ind.decimals, german, ind),
                row.rank or "",
                _cell(row.deviation, row.status, deviation_decimals(result), german),
            ]
        )
    writer.writerow([])
    writer.writerow(["Raumebene", view.level.name])
    writer.writerow(["Stichtag", view.period.isoformat()])
    if ind.source:
        writer.writerow(["Quelle", neutralise(ind.source)])
    writer.writerow(
        [
            "Kreiswert" if whole_noun() == "kreis" else "Stadtwert",
            _cell(result.city, Status.OK, ind.decimals, german),
        ]
    )
    if result.confidential:  # values others see hidden, as the export files say
        writer.writerow(["Vertraulich", confidential_note()])
    return "\ufeff" + out.getvalue()  # BOM: Excel then reads UTF-8 correctly
