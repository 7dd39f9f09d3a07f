"""Disclosure control (Geheimhaltung) — the last step of the read layer.

For one indicator and period, all levels are protected together
(:mod:`quartier.core.disclosure`): primary suppression of small counts, then
secondary suppression until no hidden cell can be recomputed from a parent and
its children, at every level up to the whole city. Counts linked by sums
("Summe aus", :mod:`quartier.indicators.families`) are protected together, so
that no hidden cell can be recomputed within an area either. Rates are hidden where their
numerator or denominator is hidden or the denominator is below the indicator's
minimum; weighted means where their weight is.

:func:`protect` applies the result: hidden values become NaN with status
SUPPRESSED — they never leave the read layer. The owning unit's data stewards
and administrators get the unprotected values, marked ``confidential``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.access.rights import may_see_unsuppressed
from quartier.core import disclosure as core
from quartier.indicators import families
from quartier.indicators.compute import SUPPRESSED, compute
from quartier.indicators.datastate import data_version
from quartier.indicators.models import Indicator, Kind
from quartier.spatial.index import AreaIndex, area_index

_MAX_CACHED = 4000
_lock = threading.Lock()
_cache: OrderedDict[tuple, dict[int, np.ndarray]] = OrderedDict()


def clear() -> None:
    """Forget cached protection masks."""
    with _lock:
        _cache.clear()


def protect(result, user):
    """``result`` as ``user`` may see it: hidden cells removed, or marked confidential."""
    masks = hidden_cells(area_index(), result.indicator, result.period)
    mask = masks.get(result.level.id)
    derived = result.indicator.confidential  # an analysis result from unprotected values
    if not derived and (mask is None or mask.size != len(result) or not mask.any()):
        return result
    if derived or may_see_unsuppressed(user, result.indicator):
        audit.record_once(
            ("confidential", result.indicator.pk, result.level.id, result.period),
            AuditEntry.Action.CONFIDENTIAL,
            result.indicator.key,
            user=user,
            level=result.level.key,
            period=result.period.isoformat(),
        )
        return replace(result, confidential=True)
    values = np.where(mask, np.nan, result.values)
    status = np.where(mask, SUPPRESSED, result.status).astype(np.uint8)
    numerator = None if result.numerator is None else np.where(mask, np.nan, result.numerator)
    denominator = None if result.denominator is None else np.where(mask, np.nan, result.denominator)
    return replace(
        result, values=values, status=status, numerator=numerator, denominator=denominator
    )


def hidden_cells(index: AreaIndex, indicator: Indicator, period: date) -> dict[int, np.ndarray]:
    """{level id: hidden mask over the areas valid on ``period``} for ``indicator`` (cached)."""
    # Thresholds and sums are part of the key: changing them in the admin takes effect.
    version = (period, data_version(), families.relations().version, id(index))
    key = (indicator.pk, *version)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    family = families.family_of(indicator.pk) if indicator.kind == Kind.COUNT else None
    if family is None:
        found = {indicator.pk: _masks(index, indicator, period)}
    else:
        found = _family_masks(index, family, period)
    with _lock:
        for pk, masks in found.items():
            _cache[(pk, *version)] = masks
        while len(_cache) > _MAX_CACHED:
            _cache.popitem(last=False)
    return found[indicator.pk]


def _masks(index: AreaIndex, indicator: Indicator, period: date) -> dict[int, np.ndarray]:
    if indicator.is_computed:
        num = hidden_cells(index, indicator.numerator, period)
        den = hidden_cells(index, indicator.denominator, period)
        small = _below(index, indicator.denominator, period, indicator.min_denominator)
        return _union(num, den, small)
    if indicator.kind == Kind.COUNT:
        return _count_masks(index, indicator, period)
    if indicator.weight_id:
        weight = hidden_cells(index, indicator.weight, period)
        return _union(weight, _below(index, indicator.weight, period, indicator.min_denominator))
    return {}


def _union(*mask_sets: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    for masks in mask_sets:
        for level_id, mask in masks.items():
            out[level_id] = out[level_id] | mask if level_id in out else mask.copy()
    return out


def _below(index, count: Indicator, period: date, minimum: int) -> dict[int, np.ndarray]:
    """Cells where ``count`` is below ``minimum`` (e.g. a too small denominator)."""
    out = {}
    for level in _levels(index, count, period):
        values = compute(index, count, level, period).values
        with np.errstate(invalid="ignore"):
            out[level.id] = ~np.isnan(values) & (values < minimum)
    return out


def _levels(index: AreaIndex, indicator: Indicator, period: date):
    """The levels that show values of ``indicator``: its stored levels and all above them."""
    from quartier.indicators import store

    stored = store.stored(index, [indicator.pk], [period])[(indicator.pk, period)]
    levels = {}
    for level in index.levels:
        if level.id in stored:
            for step in index.chain_to_root(level):
                levels[step.id] = step
    return list(levels.values())


@dataclass
class _Cells:
    """Where the cells of one count lie in the array of a whole family."""

    levels: list
    offsets: dict[int, int]  # level id → first cell
    sizes: dict[int, int]  # level id → number of cells
    top: int | None  # an added cell for the sum of the top level's areas (the city)

    def level_cells(self, level_id: int) -> np.ndarray:
        """Cell indices of one level's areas."""
        return np.arange(self.sizes[level_id]) + self.offsets[level_id]

    def masks(self, hidden: np.ndarray) -> dict[int, np.ndarray]:
        """{level id: hidden mask}."""
        return {lv.id: hidden[self.level_cells(lv.id)] for lv in self.levels}


def _count_masks(index: AreaIndex, indicator: Indicator, period: date) -> dict[int, np.ndarray]:
    """Primary and secondary suppression of a count across all its levels."""
    values, parent, table = _count_cells(index, indicator, period, 0)
    if table is None:
        return {}
    hidden = core.protect_counts(values, parent, indicator.min_count)
    return table.masks(hidden)


def _count_cells(index, indicator, period, start):
    """(values, parent cells, :class:`_Cells`) of a count; parent indices begin at ``start``."""
    levels = _levels(index, indicator, period)
    if not levels:
        return np.empty(0), np.empty(0, dtype=np.int64), None
    offsets, sizes, values, ids = {}, {}, [], []
    for level in levels:
        result = compute(index, indicator, level, period)
        offsets[level.id] = sum(v.size for v in values)
        sizes[level.id] = result.values.size
        values.append(result.values)
        ids.append(result.area_ids)
    cells = np.concatenate(values)
    parent = _parents(index, levels, offsets, period, cells.size)
    n = cells.size
    cells, parent = _add_total(cells, parent, levels, offsets, ids)
    top = n + start if cells.size > n else None
    parent = np.where(parent >= 0, parent + start, -1)
    offsets = {k: v + start for k, v in offsets.items()}
    return cells, parent, _Cells(levels, offsets, sizes, top)


def _family_masks(index: AreaIndex, family, period: date) -> dict[int, dict[int, np.ndarray]]:
    """Protect counts linked by sums as one table: {indicator id: {level id: hidden mask}}.

    The groups are each count's hierarchy (parent and children) and, for every
    area and every sum, the total with its members.
    """
    indicators = {i.pk: i for i in Indicator.objects.filter(pk__in=family.members)}
    values, parents, minimum, keep, tables = [], [], [], [], {}
    grand_totals = family.grand_totals()
    start = 0
    for pk in family.members:
        cells, parent, table = _count_cells(index, indicators[pk], period, start)
        if table is None:
            continue
        values.append(cells)
        parents.append(parent)
        minimum.append(np.full(cells.size, indicators[pk].min_count, dtype=np.float64))
        # The family's grand total (all residents) is hidden last.
        keep.append(np.full(cells.size, float(pk in grand_totals), dtype=np.float64))
        tables[pk] = table
        start += cells.size
    if not tables:
        return {pk: {} for pk in family.members}
    cells = np.concatenate(values)
    groups = core.join(core.tree_groups(np.concatenate(parents)), _sum_groups(family, tables))
    hidden = core.protect_counts(cells, groups, np.concatenate(minimum), keep=np.concatenate(keep))
    return {pk: tables[pk].masks(hidden) if pk in tables else {} for pk in family.members}


def _sum_groups(family, tables: dict[int, _Cells]) -> core.Groups:
    """One group per area and equation: the total's cell with its members' cells."""
    totals, group, cell = [], [], []
    groups_so_far = 0
    for total, members in family.equations:
        involved = [tables.get(pk) for pk in (total, *members)]
        if any(t is None for t in involved):
            continue  # a count without values this period adds nothing to subtract
        shared = set.intersection(*({lv.id for lv in t.levels} for t in involved))
        blocks = [[t.level_cells(level_id) for t in involved] for level_id in sorted(shared)]
        if all(t.top is not None for t in involved):
            blocks.append([np.array([t.top]) for t in involved])
        for total_cells, *member_cells in blocks:
            if any(m.size != total_cells.size for m in member_cells):
                continue
            ids = np.arange(total_cells.size) + groups_so_far
            groups_so_far += total_cells.size
            totals.append(total_cells)
            for m in member_cells:
                group.append(ids)
                cell.append(m)
    if not totals:
        empty = np.empty(0, dtype=np.int64)
        return core.Groups(empty, empty, empty)
    total = np.concatenate(totals)
    # A sum's total may be hidden instead of a member (see core.Groups).
    hideable = np.ones(total.size, dtype=bool)
    return core.Groups(total, np.concatenate(group), np.concatenate(cell), hideable)


def _parents(index, levels, offsets, period, n) -> np.ndarray:
    """Parent cell of each cell (-1 where the parent level is not among ``levels``)."""
    from quartier.core.hierarchy import positions_of

    parent = np.full(n, -1, dtype=np.int64)
    by_id = {lv.id: lv for lv in levels}
    for level in levels:
        upper = by_id.get(level.parent_id)
        if upper is None:
            continue
        parent_ids = index.areas(level).parent_ids[index.valid_positions(level, period)]
        upper_ids = index.areas(upper).ids[index.valid_positions(upper, period)]
        pos = positions_of(parent_ids, upper_ids)
        start = offsets[level.id]
        parent[start : start + pos.size] = np.where(pos >= 0, offsets[upper.id] + pos, -1)
    return parent


def _add_total(cells, parent, levels, offsets, ids):
    """Top-level cells of several areas add up to a published total (the city): add that cell."""
    tops = [i for i, lv in enumerate(levels) if lv.parent_id not in {x.id for x in levels}]
    for i in tops:
        if ids[i].size > 1:
            start = offsets[levels[i].id]
            members = slice(start, start + ids[i].size)
            total = np.nansum(cells[members]) if not np.isnan(cells[members]).all() else np.nan
            parent = np.r_[parent, -1]
            parent[members] = parent.size - 1
            cells = np.r_[cells, total]
    return cells, parent
