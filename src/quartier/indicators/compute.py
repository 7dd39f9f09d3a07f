"""Values of one indicator at one level and period, from stored values — used by the read layer.

A value stored at the requested level is used as it is; otherwise the nearest
finer level with data is aggregated up with :mod:`quartier.core.aggregation`.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

import numpy as np

from quartier.core import aggregation
from quartier.indicators import datastate, store
from quartier.indicators.models import Indicator, Kind
from quartier.indicators.status import BY_CODE, Status, shown
from quartier.spatial.index import AreaIndex
from quartier.spatial.models import Level


@dataclass(frozen=True)
class AreaValues:
    """Values of one indicator for all areas of one level on one period.

    ``status`` holds one :class:`Status` code per area; ``index_version`` names
    the :class:`AreaIndex` the areas come from (disclosure control checks that
    its masks describe the same areas).
    """

    indicator: Indicator
    level: Level
    period: date
    area_ids: np.ndarray
    codes: list[str]
    names: list[str]
    values: np.ndarray
    status: np.ndarray
    complete: np.ndarray
    source_level: Level | None = None
    numerator: np.ndarray | None = None
    denominator: np.ndarray | None = None
    index_version: int = 0
    # Set when only some areas are here: their indices into the areas valid on ``period``.
    page_rows: np.ndarray | None = None
    # Where Gemeinden hold their data on different levels: every level summed from.
    source_levels: tuple = ()

    @property
    def source_label(self) -> str | None:
        """The level (or levels, one per Gemeinde) the values were summed or computed from."""
        if self.source_levels:
            return " / ".join(level.name for level in self.source_levels)
        return self.source_level.name if self.source_level else None

    def __len__(self) -> int:
        return self.area_ids.size

    # Cached: asked for every row of a profile, and the arrays never change (read-only).
    @cached_property
    def shown(self) -> np.ndarray:
        """Mask of the areas whose value this user sees (OK or CONFIDENTIAL)."""
        return shown(self.status)

    @cached_property
    def confidential(self) -> bool:
        """True if some value shown here is hidden (geheim) for others."""
        return bool((self.status == Status.CONFIDENTIAL).any())

    def position(self, code: str) -> int | None:
        """Index of the area with ``code`` (codes are sorted), or None."""
        i = bisect_left(self.codes, code)
        return i if i < len(self.codes) and self.codes[i] == code else None

    def value_of(self, code: str) -> float | None:
        """The shown value of the area with ``code`` (None if missing, suppressed or absent)."""
        i = self.position(code)
        if i is None or not BY_CODE[self.status[i]].shown:
            return None
        return float(self.values[i])

    def status_of(self, code: str) -> Status:
        """The status of the area with ``code`` (MISSING if there is no such area)."""
        i = self.position(code)
        return Status.MISSING if i is None else BY_CODE[self.status[i]]

    def rows(self):
        """(code, name, value or None, :class:`Status`) per area, in code order."""
        for i in range(len(self)):
            status = BY_CODE[self.status[i]]
            value = float(self.values[i]) if status.shown else None
            yield self.codes[i], self.names[i], value, status


def parts(indicator: Indicator) -> dict[str, Indicator | None]:
    """The stored indicators a value is computed from, by role."""
    if indicator.is_computed:
        return {"numerator": indicator.numerator, "denominator": indicator.denominator}
    if indicator.kind == Kind.COUNT:
        return {"value": indicator}
    return {"value": indicator, "weight": indicator.weight}


def stored_ids(indicator: Indicator) -> list[int]:
    """Ids of the stored indicators needed for ``indicator``."""
    return [p.id for p in parts(indicator).values() if p is not None]


def compute(index: AreaIndex, indicator: Indicator, level: Level, period: date) -> AreaValues:
    """Values at ``level``: stored there, or aggregated from the nearest finer level with data.

    The result is the same for every user, so it is kept until the stored values
    it is computed from change (the stamps of its parts are in the key): a
    profile needs every indicator over every period at its level, and the next
    profile of that level needs the same (459 ms → see bench/profiles.py).
    """
    if not datastate.is_pinned():  # the key's stamps and the values read: one state
        with datastate.pinned():
            return compute(index, indicator, level, period)
    key = _key(index, indicator, level, period)
    result = store.remembered(
        key, lambda: _frozen(_compute(index, indicator, level, period)), _nbytes
    )
    # The indicator's other fields (name, unit, decimals) may have been edited since.
    return result if result.indicator is indicator else _with_indicator(result, indicator)


def _with_indicator(result: AreaValues, indicator: Indicator) -> AreaValues:
    """``result`` naming ``indicator``: a shallow copy (a profile makes hundreds; replace()
    runs the whole constructor each time).
    """
    copy = object.__new__(AreaValues)
    copy.__dict__.update(result.__dict__)
    copy.__dict__["indicator"] = indicator
    return copy


def compute_rows(
    index: AreaIndex, indicator: Indicator, level: Level, period: date, rows: np.ndarray
) -> AreaValues:
    """Values of the areas at ``rows`` only (indices into the areas valid on ``period``).

    A page of features needs its own areas' values: when the level's whole result
    is not at hand, and the values are stored at ``level`` itself, only those rows
    are read — the work grows with the page, not with the level. Otherwise (values
    aggregated from a finer level) the whole level is computed and cut.
    """
    full = store.peek(_key(index, indicator, level, period))
    if full is None:
        part = _stored_rows(index, indicator, level, period, rows)
        if part is not None:
            return part
        full = compute(index, indicator, level, period)
    return _cut(full if full.indicator is indicator else _with_indicator(full, indicator), rows)


def _cut(result: AreaValues, rows: np.ndarray) -> AreaValues:
    """``result`` for the areas at ``rows`` only."""
    rows = np.asarray(rows, dtype=np.int64)

    def cut(array):
        return None if array is None else array[rows]

    return replace(
        result,
        area_ids=result.area_ids[rows],
        codes=[result.codes[i] for i in rows.tolist()],
        names=[result.names[i] for i in rows.tolist()],
        values=result.values[rows],
        status=result.status[rows],
        complete=result.complete[rows],
        numerator=cut(result.numerator),
        denominator=cut(result.denominator),
        page_rows=rows,
    )


def _stored_rows(index, indicator, level, period, rows) -> AreaValues | None:
    """The values at ``rows`` read for those areas alone, or None if not stored at ``level``.

    :func:`_compute` takes a level's values from the level itself when it has any
    stored value there; a stored value among the page's areas proves that, so the
    result is the same as cutting the whole level's. Without one, the caller
    computes the whole level (it may be aggregated from a finer one). Where territories
    take their areas from different levels (at or below the territory level), it takes a
    stored value for *every* area of the page: then each of their territories has data at
    ``level`` and uses it.
    """
    top = index.territory_level()
    per_territory = top is not None and index.chain(level, top) is not None
    roles = parts(indicator)
    target = index.valid_positions(level, period)[rows]
    ids = index.areas(level).ids[target]
    found = store.stored_rows(stored_ids(indicator), period, ids)
    main = roles["numerator"] if "numerator" in roles else roles["value"]
    present = found[main.id][1]
    if not present.any() or (per_territory and not present.all()):
        return None
    inputs = {name: (found[p.id][0] if p else None) for name, p in roles.items()}
    groups = np.arange(ids.size)
    return _result(indicator, level, period, index, target, level, inputs, groups, rows)


def _key(index: AreaIndex, indicator: Indicator, level: Level, period: date) -> tuple:
    # The stamps of the stored values read: an import into another indicator keeps the result.
    state = datastate.current()
    defined = definition(indicator)
    stamps = state.remember(("compute", defined), lambda: state.of(stored_ids(indicator)))
    return (*defined, level.id, period, index.version, stamps)


def definition(indicator: Indicator) -> tuple:
    """What a computed value depends on besides the stored values and the areas."""
    return (
        indicator.pk,
        indicator.kind,
        indicator.numerator_id,
        indicator.denominator_id,
        indicator.weight_id,
        indicator.factor,
    )


def _frozen(result: AreaValues) -> AreaValues:
    """``result`` with read-only arrays: a shared result must not be changed by anyone."""
    for array in (result.values, result.status, result.complete, result.area_ids):
        array.flags.writeable = False
    for array in (result.numerator, result.denominator):
        if array is not None:
            array.flags.writeable = False
    return result


def _nbytes(result: AreaValues) -> int:
    arrays = (result.values, result.status, result.complete, result.area_ids)
    extra = (a for a in (result.numerator, result.denominator) if a is not None)
    return sum(a.nbytes for a in (*arrays, *extra)) + 200


def _compute(index: AreaIndex, indicator: Indicator, level: Level, period: date) -> AreaValues:
    roles = parts(indicator)
    data = store.stored(index, stored_ids(indicator), [period])
    by_role = {name: (data[(p.id, period)] if p else None) for name, p in roles.items()}
    # A rate is located by its numerator (an empty dict when the period has no data).
    main = by_role["numerator"] if "numerator" in by_role else by_role["value"]
    target = index.valid_positions(level, period)
    top = index.territory_level()
    if top is not None and level.id != top.id and index.chain(top, level):
        if level.id in main:  # stored for the Kreis itself: used as it is, as in a city
            return _from_source(index, indicator, level, period, target, level, by_role)
        return _sum_of_territories(index, indicator, level, period, top, target)
    sources = [s for s in [level, *index.finer_levels(level)] if s.id in main]
    if top is None or not index.chain(level, top) or len(sources) <= 1:
        # One city: the nearest level with data, for all areas alike.
        source = sources[0] if sources else None
        return _from_source(index, indicator, level, period, target, source, by_role)
    return _per_territory(index, indicator, level, period, target, sources, by_role, main)


def _from_source(index, indicator, level, period, target, source, by_role) -> AreaValues:
    """Values at ``level`` from the stored values at ``source`` (None: none at all)."""
    if source is None:
        return _result(indicator, level, period, index, target, None, None, None)
    _source, _target, groups = index.ancestor_groups(source, level, period)
    keep = groups >= 0
    inputs = {
        name: (
            _aligned(index, stored, source, period, groups.size)[keep]
            if stored is not None
            else None
        )
        for name, stored in by_role.items()
    }
    return _result(indicator, level, period, index, target, source, inputs, groups[keep])


def _per_territory(index, indicator, level, period, target, sources, by_role, main) -> AreaValues:
    """Values at ``level`` where territories (Gemeinden) hold their data on different levels:
    each territory's areas from the nearest level with data *in that territory* — the rule
    of one city, applied per Gemeinde (areas in no territory count as one more).
    """
    territory = index.territory_groups(level, period)
    chosen = np.full(target.size, -1)
    for k, source in enumerate(sources):
        _source, _target, groups = index.ancestor_groups(source, level, period)
        present = ~np.isnan(_aligned(index, main, source, period, groups.size)) & (groups >= 0)
        with_data = np.unique(territory[groups[present]])
        chosen[(chosen < 0) & np.isin(territory, with_data)] = k
    used = np.unique(chosen[chosen >= 0])
    if used.size == 1 and (chosen == used[0]).all():
        return _from_source(index, indicator, level, period, target, sources[used[0]], by_role)
    out = _result(indicator, level, period, index, target, None, None, None)
    values, status, complete = out.values.copy(), out.status.copy(), out.complete.copy()
    numerator = denominator = None
    for k in used.tolist():
        part = _from_source(index, indicator, level, period, target, sources[k], by_role)
        mask = chosen == k
        values[mask], status[mask], complete[mask] = (
            part.values[mask],
            part.status[mask],
            part.complete[mask],
        )
        if part.numerator is not None:
            if numerator is None:
                numerator, denominator = np.full(target.size, np.nan), np.full(target.size, np.nan)
            numerator[mask], denominator[mask] = part.numerator[mask], part.denominator[mask]
    most = sources[int(np.bincount(chosen[chosen >= 0]).argmax())]
    return replace(
        out,
        values=values,
        status=status,
        complete=complete,
        numerator=numerator,
        denominator=denominator,
        source_level=None if most.id == level.id else most,
        source_levels=tuple(sources[k] for k in used.tolist() if sources[k].id != level.id),
    )


def _sum_of_territories(index, indicator, level, period, top, target) -> AreaValues:
    """Values at a level above the territories' (the Kreis): the territories' values summed
    (rates from their numerators and denominators, means weighted); complete only where
    every territory in it is.
    """
    below = compute(index, indicator, top, period)
    _source, _target, groups = index.ancestor_groups(top, level, period)
    keep = groups >= 0
    if indicator.is_computed:
        nothing = np.full(below.values.size, np.nan)  # no data at all: no parts either
        inputs = {
            "numerator": nothing if below.numerator is None else below.numerator,
            "denominator": nothing if below.denominator is None else below.denominator,
        }
    elif indicator.kind != Kind.COUNT and indicator.weight is not None:
        weight = compute(index, indicator.weight, top, period).values
        inputs = {"value": below.values, "weight": weight}
    else:
        inputs = {"value": below.values}
    inputs = {name: array[keep] for name, array in inputs.items()}
    result = _result(indicator, level, period, index, target, top, inputs, groups[keep])
    partial = np.bincount(groups[keep][~below.complete[keep]], minlength=target.size) > 0
    return replace(result, complete=result.complete & ~partial)


def _aligned(index: AreaIndex, stored: dict, level: Level, period: date, size: int) -> np.ndarray:
    """Stored values of one indicator at ``level``, ordered like the areas valid on ``period``."""
    out = np.full(size, np.nan)
    if level.id not in stored:
        return out
    ids, values = stored[level.id]
    where = index.within_valid(level, period, ids)
    out[where[where >= 0]] = values[where >= 0]
    return out


def _result(
    indicator, level, period, index, target, source, inputs, groups, rows=None
) -> AreaValues:
    areas = index.areas(level)
    if rows is None:
        codes, names = index.valid_labels(level, period)
    else:  # ``target`` holds the rows' positions: no list of all the level's labels
        codes = [areas.codes[i] for i in target.tolist()]
        names = [areas.names[i] for i in target.tolist()]
    n = target.size
    same_level = source is None or source.id == level.id
    base = AreaValues(
        indicator=indicator,
        level=level,
        period=period,
        area_ids=areas.ids[target],
        codes=codes,
        names=names,
        values=np.full(n, np.nan),
        status=np.full(n, Status.MISSING, dtype=np.uint8),
        complete=np.zeros(n, dtype=bool),
        source_level=None if same_level else source,
        index_version=index.version,
        page_rows=rows,
    )
    if inputs is None:
        return base
    if indicator.is_computed:
        values, num, den = aggregation.aggregate_rate(
            inputs["numerator"], inputs["denominator"], groups, n, indicator.factor
        )
        complete = num.complete & den.complete
        base = replace(base, numerator=num.values, denominator=den.values)
    elif indicator.kind == Kind.COUNT or same_level:
        agg = aggregation.sum_counts(inputs["value"], groups, n)  # at the same level: 1:1
        values, complete = agg.values, agg.complete
    elif inputs.get("weight") is not None:
        agg = aggregation.weighted_mean(inputs["value"], inputs["weight"], groups, n)
        values, complete = agg.values, agg.complete
    else:
        return base  # non-additive without weight: not aggregated
    status = np.where(np.isnan(values), Status.MISSING, Status.OK).astype(np.uint8)
    return replace(base, values=values, status=status, complete=complete)


def combine_all(indicator: Indicator, result: AreaValues) -> float | None:
    """One value for all cells of ``result`` together (e.g. districts → city)."""
    usable = result.shown
    groups = np.zeros(len(result), dtype=np.int64)
    if indicator.is_computed:
        num = np.where(usable, result.numerator, np.nan)
        den = np.where(usable, result.denominator, np.nan)
        value = aggregation.aggregate_rate(num, den, groups, 1, indicator.factor)[0][0]
    elif indicator.kind == Kind.COUNT:
        value = aggregation.sum_counts(np.where(usable, result.values, np.nan), groups, 1).values[0]
    else:
        return None
    return None if np.isnan(value) else float(value)
