"""Which cells disclosure control hides: tables of areas × counts built from stored values.

For one period, a count indicator — or all counts linked by sums ("Summe
aus", :mod:`quartier.indicators.families`) — becomes one table: a row per area
of every level that shows it (plus the whole territory where the top level has
several areas), a column per count. :mod:`quartier.core.protection` hides the
small counts and chooses further cells so that every small count keeps a range
of at least Mindestfallzahl − 1 above its value, against an attacker who knows
all published cells, all sums, that zeros are published and nothing is negative.

Two rules make further cells targets:

* **Mindestnenner of a rate**: where a rate's denominator is below it, the rate
  is hidden — and so is its numerator there (zeros included), or the rate would
  simply be numerator ÷ denominator; the numerator gets the range of a small count.
* **Weighted means** (mean age, weighted by residents): a mean over fewer than
  Mindestnenner units is hidden. Parent mean × parent weight minus the shown
  children's products would give it back, so the products (mean × weight) form a
  table of their own, protected the same way: the attacker cannot exclude that
  a hidden mean is twice its value. A mean is also hidden where its weight is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from quartier.core import protection
from quartier.core.hierarchy import positions_of
from quartier.indicators import families, store
from quartier.indicators.compute import compute
from quartier.indicators.models import Indicator, Kind
from quartier.spatial.index import AreaIndex

# Hiding a cell one level up costs this many times as much: users need the coarser levels.
LEVEL_COST = 25.0
# The family's widest count (all residents) is hidden last.
TOTAL_COST = 4.0

Masks = dict[int, np.ndarray]  # level id → hidden mask over the level's areas on the period


@dataclass
class Rows:
    """The rows of a table: areas of some levels valid on a period, their parents, costs."""

    levels: list
    offsets: dict[int, int]  # level id → first row
    sizes: dict[int, int]
    parent: np.ndarray
    cost: np.ndarray  # per row: LEVEL_COST ** (levels above the finest)
    tops: list[tuple[int, slice]]  # added rows for several top-level areas: (row, members)

    def masks(self, hidden: np.ndarray) -> Masks:
        """{level id: hidden mask} of one column."""
        return {lv.id: hidden[self.slice(lv.id)] for lv in self.levels}

    def slice(self, level_id: int) -> slice:
        """The rows of one level."""
        return slice(self.offsets[level_id], self.offsets[level_id] + self.sizes[level_id])

    def column(self, index: AreaIndex, indicator: Indicator, period: date) -> np.ndarray:
        """Values of ``indicator`` in these rows (NaN where it has none).

        A count not stored at a level is the sum of its areas' children, on whatever
        finer level each child is (what :func:`~quartier.indicators.compute.compute`
        does, without aggregating from the finest level once per level); other
        values are computed.
        """
        out = np.full(self.parent.size, np.nan)
        stored = store.stored(index, [indicator.pk], [period])[(indicator.pk, period)]
        for finer, level in zip([None, *self.levels[::-1]], self.levels[::-1], strict=False):
            part = self.slice(level.id)
            if indicator.kind != Kind.COUNT or level.id in stored or finer is None:
                out[part] = compute(index, indicator, level, period).values
                continue
            # The children on any finer level (already filled: finest first).
            child = np.arange(part.stop, sum(self.sizes.values()))
            child = child[(self.parent[child] >= part.start) & (self.parent[child] < part.stop)]
            child = child[~np.isnan(out[child])]
            sums = np.bincount(self.parent[child] - part.start, out[child], part.stop - part.start)
            seen = np.bincount(self.parent[child] - part.start, minlength=part.stop - part.start)
            out[part] = np.where(seen > 0, sums, np.nan)
        self.add_tops(out)
        return out

    def add_tops(self, column: np.ndarray) -> None:
        """Fill the added top rows with the sum of their members."""
        for row, members in self.tops:
            part = column[members]
            column[row] = np.nansum(part) if not np.isnan(part).all() else np.nan

    def spread(self, masks: Masks) -> np.ndarray:
        """A {level id: mask} as one column over these rows (False where a level is absent)."""
        out = np.zeros(self.parent.size, dtype=bool)
        for level in self.levels:
            mask = masks.get(level.id)
            if mask is not None and mask.size == self.sizes[level.id]:
                out[self.slice(level.id)] = mask
        return out


def levels_of(index: AreaIndex, indicator: Indicator, period: date) -> list:
    """The levels that show values of ``indicator``: its stored levels and all above them."""
    stored = store.stored(index, [indicator.pk], [period])[(indicator.pk, period)]
    levels = {}
    for level in index.levels:
        if level.id in stored:
            for step in index.chain_to_root(level):
                levels[step.id] = step
    return list(levels.values())


def build_rows(index: AreaIndex, levels, period: date) -> Rows:
    """The rows of ``levels`` valid on ``period``, in the index's order, with parents and costs."""
    wanted = {lv.id for lv in levels}
    ordered = [lv for lv in index.levels if lv.id in wanted]
    by_id = {lv.id: lv for lv in ordered}
    offsets, sizes, depth, start = {}, {}, {}, 0
    for level in ordered:
        offsets[level.id], sizes[level.id] = start, index.valid_positions(level, period).size
        start += sizes[level.id]
        upper = by_id.get(level.parent_id)
        depth[level.id] = depth[upper.id] + 1 if upper is not None else 0
    parent = np.full(start, -1, dtype=np.int64)
    # Each row's parent row, on whatever level of the table the parent area is: a parent
    # may skip a level (a Gemeinde without Ortsteile), and the sum must still bind.
    row_ids = np.concatenate(
        [index.areas(lv).ids[index.valid_positions(lv, period)] for lv in ordered]
        or [np.zeros(0, dtype=np.int64)]
    )
    for level in ordered:
        if by_id.get(level.parent_id) is None:
            continue
        parent_ids = index.areas(level).parent_ids[index.valid_positions(level, period)]
        pos = positions_of(parent_ids, row_ids)
        first = offsets[level.id]
        parent[first : first + pos.size] = np.where(pos >= first, -1, pos)  # only coarser rows
    finest = max(depth.values(), default=0)
    cost = np.ones(start)
    for level in ordered:
        first = offsets[level.id]
        cost[first : first + sizes[level.id]] = LEVEL_COST ** (finest - depth[level.id])
    tops = []
    for level in ordered:
        if level.parent_id not in by_id and sizes[level.id] > 1:
            members = slice(offsets[level.id], offsets[level.id] + sizes[level.id])
            parent = np.r_[parent, -1]
            parent[members] = parent.size - 1
            cost = np.r_[cost, LEVEL_COST ** (finest + 1)]
            tops.append((parent.size - 1, members))
    return Rows(ordered, offsets, sizes, parent, cost, tops)


def count_masks(
    index: AreaIndex, members: list[Indicator], sums, period: date, widest=()
) -> dict[int, Masks]:
    """Protect counts linked by ``sums`` ((total id, part ids) pairs) as one table.

    Returns {indicator id: {level id: hidden mask}}. ``widest`` are the ids of
    the family's grand totals (hidden last).
    """
    levels = {lv.id: lv for m in members for lv in levels_of(index, m, period)}
    if not levels:
        return {m.pk: {} for m in members}
    rows = build_rows(index, list(levels.values()), period)
    values = np.column_stack([rows.column(index, m, period) for m in members])
    column = {m.pk: i for i, m in enumerate(members)}
    minimum = np.array([m.min_count for m in members], dtype=np.float64)
    targets = (values >= 1) & (values < minimum)
    forced = _small_denominator(index, members, rows, period) & ~np.isnan(values)
    targets |= forced
    # Zeros may serve as complements. Moves still keep every non-zero cell at 1 or more, so
    # even an attacker who knew which hidden cells are not zero would learn nothing.
    floor = np.where(values >= 1, 1.0, 0.0)
    table = protection.Table(
        rows.parent,
        len(members),
        tuple((column[t], tuple(column[p] for p in parts)) for t, parts in sums),
    )
    cost = rows.cost[:, None] * np.where([m.pk in widest for m in members], TOTAL_COST, 1.0)
    reach = float(minimum[targets.any(axis=0)].max(initial=1.0)) - 1
    # A numerator hidden for its rate's Mindestnenner must not be recomputable exactly,
    # whatever the Mindestfallzahl (even 1).
    reach = max(reach, 1.0 if forced.any() else 0.0)
    hidden = targets
    if targets.any() and reach > 0:
        hidden, _moves = protection.protect(
            table,
            values,
            targets,
            reach=reach,
            floor=floor,
            cost=cost * (1 + np.log1p(np.nan_to_num(values)) / 10),
            hideable=~np.isnan(values),
        )
    return {m.pk: rows.masks(hidden[:, i]) for i, m in enumerate(members)}


def _small_denominator(index, members, rows: Rows, period: date) -> np.ndarray:
    """Cells of counts that are the numerator of a rate whose denominator is too small there."""
    relations = families.relations()
    out = np.zeros((rows.parent.size, len(members)), dtype=bool)
    for j, member in enumerate(members):
        for denominator, minimum in relations.small_bases.get(member.pk, ()):
            values = rows.column(index, relations.counts[denominator], period)
            with np.errstate(invalid="ignore"):  # no rate where the denominator is 0
                out[:, j] |= (values >= 1) & (values < minimum)
    return out


def mean_masks(index: AreaIndex, indicator: Indicator, period: date, weight: Masks) -> Masks:
    """Protect a weighted mean: hidden where its weight is small or hidden, plus complements."""
    levels = levels_of(index, indicator, period)
    if not levels:
        return {}
    rows = build_rows(index, levels, period)
    means = rows.column(index, indicator, period)
    weights = rows.column(index, indicator.weight, period)
    products = means * weights
    rows.add_tops(products)
    present = ~np.isnan(products)
    with np.errstate(invalid="ignore"):
        targets = present & (weights >= 1) & (weights < indicator.min_denominator)
    hidden = targets | (rows.spread(weight) & present)
    if targets.any():
        floor = 0.0 if np.nanmin(products) >= 0 else -np.inf
        hidden, _moves = protection.protect(
            protection.Table(rows.parent, 1),
            products[:, None],
            targets[:, None],
            hidden=hidden[:, None],
            reach=float(products[targets].max()),
            floor=floor,
            cost=rows.cost[:, None],
            hideable=present[:, None],
        )
        hidden = hidden[:, 0]
    return rows.masks(hidden)
