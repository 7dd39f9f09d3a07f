"""What an export contains: indicators, levels and periods, checked and read via the read layer.

Everything here goes through :mod:`quartier.indicators.readlayer`, so visibility
and disclosure control hold for exports exactly as for the map and the table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from quartier import cost
from quartier.core.numbers import round_half_up
from quartier.errors import NotFound, QuartierError
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator
from quartier.indicators.status import BY_CODE, Status
from quartier.spatial.index import area_index
from quartier.spatial.models import Level

#: Largest table an export may hold, in cells: rows (areas × periods) × (4 + indicators).
MAX_CELLS = 2_000_000
#: XLSX is written cell by cell (openpyxl, about 40,000 cells a second): a lower limit.
MAX_CELLS_XLSX = 500_000


@dataclass(frozen=True)
class Selection:
    """Checked request: visible indicators, levels and the periods of each indicator."""

    indicators: list[Indicator]
    levels: list[Level]
    periods: dict[int, list[date]]  # indicator pk → periods exported for it
    latest: bool  # True when the periods were not chosen: the latest of each indicator

    @property
    def all_periods(self) -> list[date]:
        """All periods of the export, ascending."""
        return sorted({p for plist in self.periods.values() for p in plist})


@dataclass(frozen=True)
class LevelValues:
    """The read layer's results of one level, by (indicator pk, period)."""

    level: Level
    results: dict[tuple[int, date], readlayer.AreaValues]


@dataclass(frozen=True)
class ExportData:
    """Everything a writer needs: the selection, the values and who exported when."""

    selection: Selection
    levels: list[LevelValues]
    username: str
    created: datetime = field(default_factory=timezone.localtime)
    sum_parts: dict[int, list[Indicator]] = field(default_factory=dict)  # visible parts

    @property
    def confidential(self) -> bool:
        """True when the user sees values that are hidden (geheim) for others."""
        return any(r.confidential for lv in self.levels for r in lv.results.values())


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in items if item and item.strip()))


def select(user, indicator_keys, level_keys, periods) -> Selection:
    """Check the request against what ``user`` may see; raise QuartierError/NotFound."""
    keys, level_keys = _unique(list(indicator_keys or [])), _unique(list(level_keys or []))
    if not keys:
        raise QuartierError(
            "Bitte mindestens einen Indikator wählen. / Choose at least one indicator."
        )
    if not level_keys:
        raise QuartierError("Bitte mindestens eine Raumebene wählen. / Choose at least one level.")
    reader = readlayer.reader(user)
    indicators = [reader.get_indicator(key) for key in keys]
    levels = []
    index = reader.index
    for key in level_keys:
        try:
            levels.append(index.level(key))
        except QuartierError as exc:
            raise NotFound(exc.message) from None
    with_data = reader.periods_by_indicator()
    if not periods:
        chosen = {ind.pk: with_data[ind.pk][-1:] for ind in indicators if with_data.get(ind.pk)}
    else:
        wanted = sorted(set(periods))
        chosen = {
            ind.pk: [p for p in wanted if p in with_data.get(ind.pk, ())] for ind in indicators
        }
        for period in wanted:
            if not any(period in plist for plist in chosen.values()):
                raise QuartierError(
                    f"Für den Stichtag {period:%d.%m.%Y} liegen für die gewählten Indikatoren "
                    "keine Werte vor. / No values on this date."
                )
        chosen = {pk: plist for pk, plist in chosen.items() if plist}
    if not chosen:
        raise QuartierError("Für die gewählten Indikatoren liegen keine Werte vor. / No values.")
    return Selection(indicators, levels, chosen, latest=not periods)


def count_cells(selection: Selection) -> int:
    """Cells of the export's long table: rows (areas × periods) × (4 + indicators)."""
    index = area_index()
    rows = sum(
        index.valid_positions(level, period).size
        for level in selection.levels
        for period in selection.all_periods
    )
    return rows * (4 + len(selection.indicators))


def work_cells(selection: Selection) -> int:
    """The read layer's work for the export, in cells (:func:`quartier.cost.series_cells`)."""
    index = area_index()
    return sum(
        cost.series_cells(index, level, selection.periods.get(ind.pk, []))
        for level in selection.levels
        for ind in selection.indicators
    )


def check_size(selection: Selection, limit: int = MAX_CELLS) -> None:
    """Refuse exports larger than ``limit`` cells, before any value is read."""
    cells = count_cells(selection)
    if cells > limit:
        raise QuartierError(
            f"Der Export wäre zu groß ({_thousands(cells)} Tabellenzellen, höchstens "
            f"{_thousands(limit)}). Bitte weniger Indikatoren, Stichtage oder eine "
            "gröbere Raumebene wählen. / Export too large."
        )


def read(user, selection: Selection) -> ExportData:
    """Read all values through the read layer (visibility, aggregation, disclosure)."""
    reader = readlayer.reader(user)
    levels = []
    for level in selection.levels:
        results = {}
        for ind in selection.indicators:
            plist = selection.periods.get(ind.pk, [])
            for period, result in zip(plist, reader.series(ind, level, plist), strict=True):
                results[(ind.pk, period)] = result
        levels.append(LevelValues(level, results))
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    return ExportData(
        selection,
        levels,
        user.get_username() if signed_in else "",
        sum_parts=reader.sum_parts(selection.indicators),
    )


def cell(
    indicator: Indicator, result, position: int | None
) -> tuple[Status, float | int | str | None]:
    """(status, shown value) of one area in a read-layer result.

    The value is rounded like every other output (half away from zero, the
    indicator's decimals; an int when it has none), or the category label for
    classes and types. Suppressed and missing cells have no value at all.
    """
    if result is None or position is None:
        return Status.MISSING, None
    status = BY_CODE[result.status[position]]
    value = float(result.values[position])
    if not status.shown or math.isnan(value):
        return (Status.MISSING if status != Status.SUPPRESSED else status), None
    label = indicator.category_label(value)
    if label is not None:
        return status, label
    rounded = round_half_up(value, indicator.decimals)
    return status, int(rounded) if indicator.decimals == 0 else rounded


def positions(result) -> dict[int, int]:
    """Area id → position in a read-layer result."""
    return {int(area_id): i for i, area_id in enumerate(result.area_ids.tolist())}
