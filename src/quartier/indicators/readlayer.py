"""The one read layer: every output gets indicator values from here.

Order of work, always: **visibility** (may this user see the indicator at all?),
then **aggregation** (values for the requested level, summed/recomputed from
finer levels when not stored there), then **disclosure control**
(:mod:`quartier.indicators.disclosure`). Nothing else reads the Value table for
output.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from django.db.models import QuerySet

from quartier.access.rights import filter_visible
from quartier.core import aggregation
from quartier.core.hierarchy import positions_of
from quartier.errors import NotFound
from quartier.indicators import disclosure
from quartier.indicators.datastate import cached_by_data_version
from quartier.indicators.models import Indicator, Kind, Value
from quartier.spatial.index import AreaIndex, area_index
from quartier.spatial.models import Level

# Status of one cell in a result.
OK, MISSING, SUPPRESSED = 0, 1, 2


@dataclass(frozen=True)
class AreaValues:
    """Values of one indicator for all areas of one level on one period."""

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
    confidential: bool = False

    def __len__(self) -> int:
        return self.area_ids.size

    def rows(self):
        """(code, name, value or None, status) per area, in code order."""
        for i in range(len(self)):
            value = None if self.status[i] != OK else float(self.values[i])
            yield self.codes[i], self.names[i], value, int(self.status[i])


def visible_indicators(user) -> QuerySet[Indicator]:
    """All indicators ``user`` may see (the catalogue, search, landing page)."""
    return filter_visible(Indicator.objects.all(), user)


def get_indicator(user, key: str) -> Indicator:
    """The indicator ``key`` if ``user`` may see it.

    Unknown and invisible indicators raise the same error, so that the name of a
    restricted indicator is never confirmed to someone who may not see it.
    """
    indicator = (
        visible_indicators(user)
        .select_related("numerator", "denominator", "weight", "owner")
        .filter(key=key)
        .first()
    )
    if indicator is None:
        raise NotFound(f"Indikator „{key}“ nicht gefunden. / Indicator not found.")
    return indicator


def area_values(user, indicator: Indicator, level: Level, period: date) -> AreaValues:
    """Values of a visible ``indicator`` at ``level`` on ``period`` for ``user``."""
    indicator = _ensure_visible(user, indicator)
    index = area_index()
    result = _compute(index, indicator, level, period)
    return disclosure.protect(result, user)


def total_value(user, indicator: Indicator, period: date) -> float | None:
    """The value for the whole territory (the city): one coarse cell over all areas.

    Uses the root level of the hierarchy; when the root has several areas their
    values are combined by the same rules as any aggregation.
    """
    indicator = _ensure_visible(user, indicator)
    index = area_index()
    roots = [level for level in index.levels if level.parent_id is None]
    if not roots:
        return None
    root = roots[0]
    result = disclosure.protect(_compute(index, indicator, root, period), user)
    if len(result) == 1:
        return None if result.status[0] != OK else float(result.values[0])
    single = _combine(indicator, result, np.zeros(len(result), dtype=np.int64), 1)
    return None if np.isnan(single[0]) else float(single[0])


def periods_by_indicator(user) -> dict[int, list[date]]:
    """Periods with data for each indicator ``user`` may see (rates: both parts present)."""
    visible = {ind.id: ind for ind in visible_indicators(user)}
    stored = _stored_periods()
    result = {}
    for ind_id, ind in visible.items():
        if ind.is_computed:
            periods = set(stored.get(ind.numerator_id, ())) & set(
                stored.get(ind.denominator_id, ())
            )
        else:
            periods = set(stored.get(ind_id, ()))
        if periods:
            result[ind_id] = sorted(periods)
    return result


@cached_by_data_version
def _stored_periods() -> dict[int, list[date]]:
    by_indicator: dict[int, list[date]] = defaultdict(list)
    for ind_id, period in Value.objects.values_list("indicator_id", "period").distinct().order_by():
        by_indicator[ind_id].append(period)
    return dict(by_indicator)


def _ensure_visible(user, indicator: Indicator) -> Indicator:
    if not visible_indicators(user).filter(pk=indicator.pk).exists():
        raise NotFound(f"Indikator „{indicator.key}“ nicht gefunden. / Indicator not found.")
    return indicator


# --- aggregation -----------------------------------------------------------


def _stored_by_level(index: AreaIndex, indicator_ids: list[int], period: date) -> dict:
    """{indicator id: {level id: (area ids, values)}} of stored values on ``period``."""
    rows = list(
        Value.objects.filter(indicator_id__in=indicator_ids, period=period)
        .order_by()
        .values_list("indicator_id", "area_id", "value")
    )
    out: dict[int, dict[int, tuple[np.ndarray, np.ndarray]]] = {i: {} for i in indicator_ids}
    if not rows:
        return out
    data = np.array([(r[0], r[1]) for r in rows], dtype=np.int64)
    values = np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=np.float64)
    levels = index.level_of(data[:, 1])
    for ind_id in indicator_ids:
        for level_id in np.unique(levels[data[:, 0] == ind_id]):
            mask = (data[:, 0] == ind_id) & (levels == level_id)
            out[ind_id][int(level_id)] = (data[mask, 1], values[mask])
    return out


def _aligned(index: AreaIndex, stored: dict, level: Level, positions: np.ndarray) -> np.ndarray:
    """Stored values of one indicator at ``level``, aligned to area ``positions``."""
    out = np.full(positions.size, np.nan)
    if level.id not in stored:
        return out
    ids, values = stored[level.id]
    where = positions_of(ids, index.areas(level).ids[positions])
    out[where[where >= 0]] = values[where >= 0]
    return out


def _compute(index: AreaIndex, indicator: Indicator, level: Level, period: date) -> AreaValues:
    """Values at ``level``: stored there, or aggregated from the nearest finer level with data."""
    parts = _parts(indicator)
    stored = _stored_by_level(index, [p.id for p in parts.values() if p], period)
    main_id = (parts.get("numerator") or parts["value"]).id
    target = index.areas(level).valid_at(period)
    for source in [level, *index.finer_levels(level)]:
        if source.id not in stored[main_id]:
            continue
        src_pos, _target, groups = index.ancestor_groups(source, level, period)
        inputs = {
            name: _aligned(index, stored[p.id], source, src_pos) if p else None
            for name, p in parts.items()
        }
        keep = groups >= 0
        inputs = {name: (arr[keep] if arr is not None else None) for name, arr in inputs.items()}
        return _result(
            indicator,
            level,
            period,
            index,
            target,
            source,
            inputs,
            groups[keep],
            same_level=source.id == level.id,
        )
    return _result(indicator, level, period, index, target, None, None, None, same_level=True)


def _parts(indicator: Indicator) -> dict[str, Indicator | None]:
    if indicator.is_computed:
        return {"numerator": indicator.numerator, "denominator": indicator.denominator}
    if indicator.kind == Kind.COUNT:
        return {"value": indicator}
    return {"value": indicator, "weight": indicator.weight}


def _result(indicator, level, period, index, target, source, inputs, groups, *, same_level):
    areas = index.areas(level)
    n = target.size
    base = AreaValues(
        indicator=indicator,
        level=level,
        period=period,
        area_ids=areas.ids[target],
        codes=[areas.codes[i] for i in target],
        names=[areas.names[i] for i in target],
        values=np.full(n, np.nan),
        status=np.full(n, MISSING, dtype=np.uint8),
        complete=np.zeros(n, dtype=bool),
        source_level=None if same_level else source,
    )
    if inputs is None:
        return base
    if indicator.is_computed:
        values, num, den = aggregation.aggregate_rate(
            inputs["numerator"], inputs["denominator"], groups, n, indicator.factor
        )
        complete = num.complete & den.complete
        base = replace(base, numerator=num.values, denominator=den.values)
    elif indicator.kind == Kind.COUNT:
        agg = aggregation.sum_counts(inputs["value"], groups, n)
        values, complete = agg.values, agg.complete
    elif same_level:
        agg = aggregation.sum_counts(inputs["value"], groups, n)  # 1:1, just aligns
        values, complete = agg.values, agg.complete
    elif inputs.get("weight") is not None:
        agg = aggregation.weighted_mean(inputs["value"], inputs["weight"], groups, n)
        values, complete = agg.values, agg.complete
    else:
        return base  # non-additive without weight: not aggregated
    status = np.where(np.isnan(values), MISSING, OK).astype(np.uint8)
    return replace(base, values=values, status=status, complete=complete)


def _combine(indicator: Indicator, result: AreaValues, groups: np.ndarray, n: int) -> np.ndarray:
    """Combine the cells of an already computed result into ``n`` coarser cells."""
    usable = result.status == OK
    if indicator.is_computed:
        num = np.where(usable, result.numerator, np.nan)
        den = np.where(usable, result.denominator, np.nan)
        return aggregation.aggregate_rate(num, den, groups, n, indicator.factor)[0]
    values = np.where(usable, result.values, np.nan)
    if indicator.kind == Kind.COUNT:
        return aggregation.sum_counts(values, groups, n).values
    return np.full(n, np.nan)
