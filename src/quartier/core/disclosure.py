"""Disclosure control (Geheimhaltung) for counts that add up — plain numpy.

Cells are counts (NaN = no value). A *group* is a total cell and the member
cells it is the sum of (members without a value are not part of the sum). The
groups of a hierarchy of areas are each parent with its children
(:func:`tree_groups`); counts of several indicators that add up (residents =
the sum of the age groups) give further groups, one per area (see
:mod:`quartier.indicators.disclosure`). A cell may belong to many groups.

* **Primary suppression**: counts from 1 to ``min_count - 1`` (0 is not secret).
* **Secondary suppression**: a group in which exactly one cell is suppressed
  would give that cell away by subtraction; another cell of the group is
  suppressed — the smallest member that is at least its ``min_count`` (so that
  the two hidden cells together leave a real range), else the smallest
  positive member, else the total — until no group has exactly one hidden cell.

:func:`recoverable` is the matching attack: it iterates "one unknown in a
group → solve it" to a fixed point. After :func:`protect_counts` it recovers
nothing from the same groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Groups:
    """Additive groups over cells: ``total[g]`` = Σ cells ``cell[i]`` with ``group[i] == g``.

    ``total_hideable[g]`` says whether secondary suppression may pick the total
    of group g as its complement while members are still visible. Not for areas
    (a whole district must not vanish to protect one block), but for sums of
    counts (hiding "under 18" can protect more cheaply than hiding "under 15").
    """

    total: np.ndarray  # cell index of each group's total
    group: np.ndarray  # per membership: the group
    cell: np.ndarray  # per membership: the member cell
    total_hideable: np.ndarray | None = None  # per group; None = never

    @property
    def size(self) -> int:
        """Number of groups."""
        return int(self.total.size)

    def hideable(self) -> np.ndarray:
        """``total_hideable`` as a boolean array over the groups."""
        if self.total_hideable is None:
            return np.zeros(self.size, dtype=bool)
        return np.asarray(self.total_hideable, dtype=bool)


def tree_groups(parent) -> Groups:
    """One group per parent cell of a hierarchy (``parent[i]`` = parent cell of i, -1 = none)."""
    parent = np.asarray(parent, dtype=np.int64)
    child = np.flatnonzero(parent >= 0)
    totals, group = np.unique(parent[child], return_inverse=True)
    return Groups(totals.astype(np.int64), group.astype(np.int64), child.astype(np.int64))


def join(*parts: Groups) -> Groups:
    """All groups of ``parts`` in one :class:`Groups`."""
    offsets = np.cumsum([0] + [p.size for p in parts])
    return Groups(
        np.concatenate([p.total for p in parts]).astype(np.int64),
        np.concatenate([p.group + off for p, off in zip(parts, offsets, strict=False)]).astype(
            np.int64
        ),
        np.concatenate([p.cell for p in parts]).astype(np.int64),
        np.concatenate([p.hideable() for p in parts]),
    )


def primary(values: np.ndarray, min_count) -> np.ndarray:
    """Cells whose count is 1 … min_count − 1 (``min_count`` a number or one per cell)."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (values >= 1) & (values < min_count)


def as_groups(structure) -> Groups:
    """``structure`` as :class:`Groups` (a parent array becomes its tree groups)."""
    return structure if isinstance(structure, Groups) else tree_groups(structure)


def _unknown_per_group(hidden: np.ndarray, present: np.ndarray, groups: Groups) -> np.ndarray:
    """Hidden cells in each group (its total and its present members)."""
    member = present[groups.cell]
    counts = np.bincount(
        groups.group[member], weights=hidden[groups.cell[member]], minlength=groups.size
    )
    has_members = np.bincount(groups.group[member], minlength=groups.size) > 0
    total_present = present[groups.total]
    counts = counts + (hidden[groups.total] & total_present)
    # A total without a value publishes nothing: nothing in its group can be recovered
    # by subtraction (counting it made protection loop on hiding a cell that is not there).
    return np.where(has_members & total_present, counts, 0).astype(np.int64)


def _new_exposures(unknown: np.ndarray, present: np.ndarray, groups: Groups) -> np.ndarray:
    """Per cell: how many of its groups have no hidden cell yet (hiding it would expose them)."""
    n = present.size
    open_group = unknown == 0
    open_group &= np.bincount(groups.group, minlength=groups.size) > 0
    open_group &= present[groups.total]
    as_member = np.bincount(groups.cell[open_group[groups.group]], minlength=n)
    as_total = np.bincount(groups.total[open_group], minlength=n)
    return as_member + as_total


def _complement(values, hidden, present, groups: Groups, exposed, minimum, unknown, keep):
    """One more cell to hide in each of the ``exposed`` groups (those with one hidden cell)."""
    extra = np.zeros(values.size, dtype=bool)
    candidate = np.isin(groups.group, exposed)
    candidate &= present[groups.cell] & ~hidden[groups.cell]
    cells, owner = groups.cell[candidate], groups.group[candidate]
    # Where allowed, the total is a candidate too: it may expose fewer other groups.
    eligible = exposed[groups.hideable()[exposed] & ~hidden[groups.total[exposed]]]
    cells = np.r_[cells, groups.total[eligible]].astype(np.int64)
    owner = np.r_[owner, eligible].astype(np.int64)
    chosen = np.zeros(groups.size, dtype=bool)
    if cells.size:
        v = values[cells]
        # Rank: cells ≥ their min_count first, then other positive ones, then zeros;
        # among those the cell users need least (``keep``), then the one whose hiding
        # exposes the fewest other groups (with
        # counts linked by sums a careless choice cascades through the whole city);
        # then the smallest.
        tier = np.where(v >= minimum[cells], 0, np.where(v > 0, 1, 2))
        cost = _new_exposures(unknown, present, groups)[cells]
        order = np.lexsort((cells, v, cost, keep[cells], tier, owner))
        ordered_cells, ordered_owner = cells[order], owner[order]
        first = np.r_[True, ordered_owner[1:] != ordered_owner[:-1]]
        extra[ordered_cells[first]] = True
        chosen[ordered_owner[first]] = True
    # No candidate left: hide the total itself.
    left = groups.total[exposed[~chosen[exposed]]]
    extra[left[~hidden[left]]] = True
    return extra


def protect_counts(
    values: np.ndarray,
    structure,
    min_count,
    forced: np.ndarray | None = None,
    keep: np.ndarray | None = None,
    max_rounds: int = 1000,
) -> np.ndarray:
    """Suppressed cells after primary and secondary suppression.

    ``values`` are the counts of all cells (NaN = no value); ``structure`` is
    either the parent cell of each cell (-1 = none) or :class:`Groups`;
    ``min_count`` is one number or one per cell; ``forced`` marks cells hidden
    for other reasons, which the secondary step must protect as well; ``keep``
    ranks cells by how much users need them (higher = hidden later).
    """
    values = np.asarray(values, dtype=np.float64)
    groups = as_groups(structure)
    minimum = np.broadcast_to(np.asarray(min_count, dtype=np.float64), values.shape)
    keep = np.zeros(values.size) if keep is None else np.asarray(keep, dtype=np.float64)
    present = ~np.isnan(values)
    hidden = primary(values, minimum) & present
    if forced is not None:
        hidden |= np.asarray(forced, dtype=bool) & present
    for _ in range(max_rounds):
        unknown = _unknown_per_group(hidden, present, groups)
        exposed = np.flatnonzero(unknown == 1)
        if exposed.size == 0:
            return hidden
        hidden |= _complement(values, hidden, present, groups, exposed, minimum, unknown, keep)
    raise RuntimeError("secondary suppression did not converge")


def recoverable(published: np.ndarray, present: np.ndarray, structure) -> np.ndarray:
    """Cells an attacker can compute exactly from the published cells by differencing.

    ``published`` holds the shown values (NaN where hidden), ``present`` marks
    cells that have a value at all, ``structure`` is a parent array or
    :class:`Groups`. Groups with exactly one unknown cell are solved,
    repeatedly, until nothing changes; returns the cells recovered.
    """
    groups = as_groups(structure)
    known = present & ~np.isnan(published)
    values = np.where(known, published, 0.0)
    recovered = np.zeros(published.size, dtype=bool)
    order = np.argsort(groups.group, kind="stable")
    member_cells = groups.cell[order]
    starts = np.searchsorted(groups.group[order], np.arange(groups.size + 1))
    while True:
        unknown = _unknown_per_group(~known, present, groups)
        solvable = np.flatnonzero(unknown == 1)
        progress = False
        for g in solvable:
            members = member_cells[starts[g] : starts[g + 1]]
            members = members[present[members]]
            missing = members[~known[members]]
            total = groups.total[g]
            if not known[total] and missing.size == 0:
                values[total] = values[members].sum()
                known[total] = recovered[total] = True
            elif known[total] and missing.size == 1:
                m = missing[0]
                values[m] = values[total] - values[members[known[members]]].sum()
                known[m] = recovered[m] = True
            else:
                continue  # solved earlier in this round through another group
            progress = True
        if not progress:
            return recovered
