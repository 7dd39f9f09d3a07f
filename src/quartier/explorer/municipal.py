"""Comparison across the Gemeinden of a Kreis (Gemeindevergleich).

One indicator for every Gemeinde, ranked and set against the Kreis value; and the
small areas of several Gemeinden side by side. Gemeinden often keep their own
indicators for the same thing ("Kinderarmut"), defined differently (SGB II only,
or with Kinderzuschlag; under 15 or under 18). Indicators sharing a *concept*
(:attr:`~quartier.indicators.models.Indicator.concept`) are gathered; only those
whose definition matches the chosen indicator's fill its column and its ranks,
the others stand beside it, marked as defined differently, so that the Kreis sees
the difference instead of ranking apples with pears.

Every value is read through the read layer (:class:`~quartier.indicators.
readlayer.Reader`) at the level it is published on, with its protection: this page
shows nothing the level's map and table would not show the same user, and only
indicators the user may see (another Gemeinde's internal ones are not gathered).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from quartier import cost
from quartier.access.territories import Place, municipalities
from quartier.errors import QuartierError
from quartier.explorer.units import difference, share_of
from quartier.indicators import readlayer, store
from quartier.indicators.comparison import ranks
from quartier.indicators.compute import stored_ids
from quartier.indicators.models import Indicator, Kind
from quartier.indicators.status import BY_CODE, Status
from quartier.spatial.models import Level


@dataclass
class Definition:
    """One way a concept is defined, numbered as the page shows it (1 = the chosen one's)."""

    number: int
    text: str
    indicators: list[Indicator]


@dataclass
class Cell:
    """One indicator's value for one area: the value (None unless shown) and its status."""

    indicator: Indicator
    period: date
    value: float | None
    status: Status
    source: str | None = None  # the level the value was summed from, if not its own


@dataclass
class MunicipalRow:
    """One Gemeinde: its comparable value, rank and deviation, and other definitions' values."""

    place: Place
    code: str
    cell: Cell | None  # from an indicator defined as the chosen one (None: no such data)
    rank: int | None = None
    deviation: float | None = None
    others: list[tuple[Definition, Cell]] = field(default_factory=list)


@dataclass
class SmallAreaRow:
    """One small area of a chosen Gemeinde in the small-area comparison."""

    place: Place
    level: Level
    area_id: int
    code: str
    name: str
    cell: Cell
    rank: int | None = None
    deviation: float | None = None  # from the Kreis value
    from_municipality: float | None = None  # from its Gemeinde's value


@dataclass
class MunicipalComparison:
    """Everything the Gemeindevergleich page shows."""

    indicator: Indicator
    period: date
    level: Level
    definitions: list[Definition]
    rows: list[MunicipalRow]
    whole: float | None  # the Kreis value (None where the indicator does not cover it all)
    as_share: bool  # counts are compared by their share of the Kreis
    small_level: Level | None = None
    small_rows: list[SmallAreaRow] = field(default_factory=list)

    @property
    def differing(self) -> bool:
        """True if the concept's indicators are defined in more than one way."""
        return len(self.definitions) > 1


def fingerprint(indicator: Indicator) -> tuple:
    """What must be equal for two indicators to be compared: kind, unit, factor and the
    definition text (spaces and case aside). Without a text an indicator is only
    comparable with itself — an unknown definition is not the same definition.
    """
    text = re.sub(r"\s+", " ", indicator.defined_as or "").strip().casefold()
    factor = indicator.factor if indicator.is_computed else None
    if not text:
        return ("own", indicator.pk)
    return (indicator.kind, indicator.unit.strip().casefold(), factor, text)


def definitions(reference: Indicator, siblings: list[Indicator]) -> list[Definition]:
    """The concept's definitions, the reference's first, each with its indicators."""
    groups: dict[tuple, list[Indicator]] = {fingerprint(reference): [reference]}
    for indicator in siblings:
        if indicator.pk != reference.pk:
            groups.setdefault(fingerprint(indicator), []).append(indicator)
    out = []
    for number, members in enumerate(groups.values(), start=1):
        out.append(Definition(number, members[0].defined_as.strip(), members))
    return out


def concept_siblings(reader, indicator: Indicator) -> list[Indicator]:
    """The visible indicators with values that share ``indicator``'s concept (itself included)."""
    if not indicator.concept:
        return [indicator]
    periods = reader.periods_by_indicator()
    found = reader.visible_indicators().filter(concept=indicator.concept)
    return [i for i in found if i.pk in periods or i.pk == indicator.pk]


def municipal_level(reader) -> Level:
    """The level of the Gemeinden's areas (a QuartierError 404 if the installation has none)."""
    level = reader.index.territory_level()
    if level is None or not municipalities():
        raise QuartierError(
            "Hier sind keine Gemeinden mit eigenem Gebiet eingerichtet; der Gemeindevergleich "
            "braucht sie (Verwaltung: Gebietskörperschaften).",
            status=404,
        )
    return level


def _period_for(reader, indicator: Indicator, period: date) -> date | None:
    """``indicator``'s latest period on or before ``period`` (None: none)."""
    own = [p for p in reader.periods_by_indicator().get(indicator.pk, []) if p <= period]
    return own[-1] if own else None


class _Values:
    """Protected values per (indicator, level), read once per page."""

    def __init__(self, reader, period: date) -> None:
        self.reader, self.period, self._kept = reader, period, {}

    def get(self, indicator: Indicator, level: Level):
        """(AreaValues, period) of ``indicator`` at ``level`` (None: no period to show)."""
        key = (indicator.pk, level.pk)
        if key not in self._kept:
            when = _period_for(self.reader, indicator, self.period)
            self._kept[key] = (
                None
                if when is None
                else (
                    self.reader.values(indicator, level, when),
                    when,
                )
            )
        return self._kept[key]

    def cell(self, indicator: Indicator, level: Level, area_id: int) -> Cell | None:
        """The value of one area (None: the indicator has no data for it)."""
        got = self.get(indicator, level)
        if got is None:
            return None
        result, when = got
        at = np.flatnonzero(result.area_ids == area_id)
        if not at.size:
            return None
        status = BY_CODE[result.status[at[0]]]
        if status == Status.MISSING:
            return None
        value = float(result.values[at[0]]) if status.shown else None
        return Cell(indicator, when, value, status, result.source_label)


def compare_municipalities(
    user,
    indicator: Indicator,
    period: date,
    chosen: list[str] | None = None,
    small_level_key: str = "",
) -> MunicipalComparison:
    """The Gemeindevergleich of ``indicator`` on ``period``; with ``chosen`` Gemeinde keys
    also their small areas at ``small_level_key`` (default: the level below the Gemeinden).
    """
    reader = readlayer.reader(user)
    level = municipal_level(reader)
    siblings = concept_siblings(reader, indicator)
    defs = definitions(indicator, siblings)
    index = reader.index
    cells = sum(cost.series_cells(index, level, [period]) for _i in siblings)
    with cost.limited(cells):
        values = _Values(reader, period)
        rows = _municipal_rows(values, level, defs)
        whole = reader.total(indicator, period)
        as_share = indicator.kind == Kind.COUNT
        _rank(rows, whole, as_share)
        comparison = MunicipalComparison(indicator, period, level, defs, rows, whole, as_share)
    if chosen:
        _add_small_areas(comparison, reader, values, chosen, small_level_key)
    return comparison


def _municipal_rows(values: _Values, level: Level, defs: list[Definition]) -> list[MunicipalRow]:
    index = values.reader.index
    areas = index.areas(level)
    codes = dict(zip(areas.ids.tolist(), areas.codes, strict=True))
    rows = []
    for place in municipalities():
        if place.area_id not in codes:
            continue  # its area lies on another level (set up inconsistently): not comparable
        row = MunicipalRow(place, codes[place.area_id], None)
        for definition in defs:
            # The first indicator of the definition with data for the Gemeinde gives its value.
            found = (values.cell(m, level, place.area_id) for m in definition.indicators)
            cell = next((c for c in found if c is not None), None)
            if cell is None:
                continue
            cell.source = _data_level(values, cell, level, place.area_id)
            if definition.number == 1:
                row.cell = cell
            else:
                row.others.append((definition, cell))
        rows.append(row)
    return rows


def _data_level(values: _Values, cell: Cell, level: Level, area_id: int) -> str:
    """The name of the finest level holding stored values of ``cell``'s indicator inside the
    area (the level the Gemeinde keeps its data on), or ``level``'s own. Read from the stored
    rows of the Gemeinde's areas alone — not by computing every finer level.
    """
    index = values.reader.index
    inside = index.within({area_id})
    rows = store.stored_rows(stored_ids(cell.indicator), cell.period, inside)
    present = np.zeros(inside.size, dtype=bool)
    for _values, found in rows.values():
        present |= found
    held = set(index.level_of(inside[present]).tolist())
    finer = [lv for lv in small_levels(values.reader, level) if lv.pk in held]
    return finer[-1].name if finer else level.name


def _deviation(value: float | None, whole: float | None, as_share: bool) -> float | None:
    return share_of(value, whole) if as_share else difference(value, whole)


def _rank(rows, whole: float | None, as_share: bool) -> None:
    """Rank (1 = highest) among the shown comparable values, and deviation from the Kreis."""
    cells = [row.cell for row in rows]
    values = np.array([c.value if c and c.value is not None else np.nan for c in cells])
    status = np.array([int(c.status) if c else int(Status.MISSING) for c in cells])
    ranked = ranks(values, status) if rows else np.zeros(0, dtype=np.int64)
    for row, rank in zip(rows, ranked, strict=True):
        row.rank = int(rank) or None
        row.deviation = _deviation(row.cell.value if row.cell else None, whole, as_share)


def small_levels(reader, level: Level) -> list[Level]:
    """The levels below the Gemeinden's, coarse to fine."""
    levels = reader.index.levels
    return levels[levels.index(level) + 1 :] if level in levels else []


def _add_small_areas(comparison, reader, values: _Values, chosen: list[str], key: str) -> None:
    """Small areas of the chosen Gemeinden at ``key``'s level or, where a Gemeinde has no
    data there, at the nearest coarser level that has (its Ortsteile instead of Sozialräume).
    """
    below = small_levels(reader, comparison.level)
    if not below:
        return
    target = next((lv for lv in below if lv.key == key), below[0])
    comparison.small_level = target
    walk = [lv for lv in below[: below.index(target) + 1]][::-1]
    by_key = {row.place.key: row for row in comparison.rows}
    index = reader.index
    for place_key in dict.fromkeys(chosen):
        row = by_key.get(place_key)
        if row is None or row.cell is None:
            continue
        inside = index.within({row.place.area_id})
        comparison.small_rows += _areas_of(values, row, inside, walk)
    small = comparison.small_rows
    values_ = np.array([r.cell.value if r.cell.value is not None else np.nan for r in small])
    status = np.array([int(r.cell.status) for r in small], dtype=np.int64)
    for item, rank in zip(small, ranks(values_, status), strict=True):
        item.rank = int(rank) or None
        item.deviation = _deviation(item.cell.value, comparison.whole, comparison.as_share)
        own = by_key[item.place.key].cell
        item.from_municipality = _deviation(
            item.cell.value, own.value if own else None, comparison.as_share
        )


def _areas_of(values: _Values, row: MunicipalRow, inside: np.ndarray, walk) -> list[SmallAreaRow]:
    """The Gemeinde's areas on the finest level of ``walk`` where it has data."""
    indicator = row.cell.indicator
    for level in walk:
        got = values.get(indicator, level)
        if got is None:
            return []
        result, when = got
        positions = np.flatnonzero(np.isin(result.area_ids, inside))
        codes = [BY_CODE[result.status[i]] for i in positions]
        if not positions.size or all(s == Status.MISSING for s in codes):
            continue
        out = []
        for i, status in zip(positions.tolist(), codes, strict=True):
            value = float(result.values[i]) if status.shown else None
            cell = Cell(indicator, when, value, status, result.source_label)
            area_id = int(result.area_ids[i])
            out.append(
                SmallAreaRow(row.place, level, area_id, result.codes[i], result.names[i], cell)
            )
        return out
    return []
