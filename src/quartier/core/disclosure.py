"""Disclosure control (Geheimhaltung) for counts in a hierarchy of areas — plain numpy.

Cells are the areas of all levels of one indicator and period, linked by
``parent`` (index of the parent cell, -1 for the top). Every parent with its
children forms a *group*: the parent is the sum of its children (children
without a value are not part of the sum).

* **Primary suppression**: counts from 1 to ``min_count - 1`` (0 is not secret).
* **Secondary suppression**: a group in which exactly one cell is suppressed
  would give that cell away by subtraction; another cell of the group is
  suppressed — the smallest child that is at least ``min_count`` (so that the
  two hidden cells together leave a real range), else the smallest positive
  child, else the parent — until no group has exactly one hidden cell.

:func:`recoverable` is the matching attack: it iterates "one unknown in a
group → solve it" to a fixed point. After :func:`protect_counts` it recovers
nothing.
"""

from __future__ import annotations

import numpy as np


def primary(values: np.ndarray, min_count: int) -> np.ndarray:
    """Cells whose count is 1 … min_count − 1."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (values >= 1) & (values < min_count)


def _unknown_per_group(hidden: np.ndarray, present: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """For every cell as a parent: hidden cells in its group (itself and its present children)."""
    n = hidden.size
    child = (parent >= 0) & present
    counts = np.bincount(parent[child], weights=hidden[child].astype(np.float64), minlength=n)
    has_children = np.bincount(parent[child], minlength=n) > 0
    counts = counts + (hidden & present)
    # A parent without a value publishes no total: nothing in its group can be recovered
    # by subtraction (counting it made protection loop on hiding a cell that is not there).
    return np.where(has_children & present, counts, 0).astype(np.int64)


def _complement(values, hidden, present, parent, groups, min_count) -> np.ndarray:
    """One more cell to hide in each of ``groups`` (parents whose group has one hidden cell)."""
    n = values.size
    child = np.flatnonzero((parent >= 0) & present & ~hidden & np.isin(parent, groups))
    extra = np.zeros(n, dtype=bool)
    chosen_groups = set()
    if child.size:
        v = values[child]
        # Rank: children ≥ min_count first, then other positive ones, then zeros; smallest first.
        tier = np.where(v >= min_count, 0, np.where(v > 0, 1, 2))
        order = np.lexsort((child, v, tier, parent[child]))
        ordered = child[order]
        first = np.r_[True, parent[ordered][1:] != parent[ordered][:-1]]
        picks = ordered[first]
        extra[picks] = True
        chosen_groups = set(parent[picks].tolist())
    for g in groups:  # no visible child left: hide the parent itself
        if int(g) not in chosen_groups and not hidden[g]:
            extra[g] = True
    return extra


def protect_counts(
    values: np.ndarray,
    parent: np.ndarray,
    min_count: int,
    forced: np.ndarray | None = None,
    max_rounds: int = 1000,
) -> np.ndarray:
    """Suppressed cells after primary and secondary suppression.

    ``values`` are the counts of all cells (NaN = no value), ``parent`` the
    parent cell of each cell (-1 = none); ``forced`` marks cells hidden for
    other reasons, which the secondary step must protect as well.
    """
    values = np.asarray(values, dtype=np.float64)
    parent = np.asarray(parent, dtype=np.int64)
    present = ~np.isnan(values)
    hidden = primary(values, min_count) & present
    if forced is not None:
        hidden |= np.asarray(forced, dtype=bool) & present
    for _ in range(max_rounds):
        unknown = _unknown_per_group(hidden, present, parent)
        exposed = np.flatnonzero(unknown == 1)
        if exposed.size == 0:
            return hidden
        hidden |= _complement(values, hidden, present, parent, exposed, min_count)
    raise RuntimeError("secondary suppression did not converge")


def recoverable(published: np.ndarray, present: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Cells an attacker can compute exactly from the published cells by differencing.

    ``published`` holds the shown values (NaN where hidden), ``present`` marks
    cells that have a value at all. Groups with exactly one unknown cell are
    solved, repeatedly, until nothing changes; returns the cells recovered.
    """
    known = present & ~np.isnan(published)
    values = np.where(known, published, 0.0)
    parent = np.asarray(parent, dtype=np.int64)
    recovered = np.zeros(published.size, dtype=bool)
    child = np.flatnonzero((parent >= 0) & present)
    while True:
        unknown = _unknown_per_group(~known, present, parent)
        solvable = np.flatnonzero(unknown == 1)
        if solvable.size == 0:
            return recovered
        progress = False
        child_sum = np.bincount(
            parent[child], weights=values[child] * known[child], minlength=published.size
        )
        for g in solvable:
            members = child[parent[child] == g]
            missing = members[~known[members]]
            if not known[g]:
                values[g], known[g], recovered[g] = child_sum[g], True, True
            elif missing.size == 1:
                m = missing[0]
                values[m] = values[g] - child_sum[g]
                known[m], recovered[m] = True, True
            else:
                continue
            progress = True
        if not progress:
            return recovered
