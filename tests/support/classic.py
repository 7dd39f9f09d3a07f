"""The disclosure rule of the first version, kept to prove that today's checks have teeth.

"No group has exactly one hidden cell": primary suppression of small counts,
then one complement wherever a group has a single hidden cell. It withstands
an attacker who differences one unknown at a time (:func:`recoverable`), but
not a linear program that also knows nothing is negative — the audit of
:mod:`quartier.core.audit` finds what it leaves narrow.
"""

from __future__ import annotations

import numpy as np

from quartier.core.disclosure import Groups, as_groups


def primary(values: np.ndarray, min_count) -> np.ndarray:
    """Cells whose count is 1 … min_count − 1 (``min_count`` a number or one per cell)."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (values >= 1) & (values < min_count)


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
    eligible = exposed[:0]  # the first version never hid a total as a complement
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
