"""Additive groups of cells — the equations disclosure control and its attacker work with.

Cells are counts (NaN = no value). A *group* is a total cell and the member
cells it is the sum of (members without a value are not part of the sum). The
groups of a hierarchy of areas are each parent with its children
(:func:`tree_groups`); counts that add up (residents = the sum of the age
groups) give further groups, one per area. A cell may belong to many groups.
Suppression is :mod:`quartier.core.protection`, the attacker :mod:`quartier.core.audit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Groups:
    """Additive groups over cells: ``total[g]`` = Σ cells ``cell[i]`` with ``group[i] == g``."""

    total: np.ndarray  # cell index of each group's total
    group: np.ndarray  # per membership: the group
    cell: np.ndarray  # per membership: the member cell

    @property
    def size(self) -> int:
        """Number of groups."""
        return int(self.total.size)


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
    )


def as_groups(structure) -> Groups:
    """``structure`` as :class:`Groups` (a parent array becomes its tree groups)."""
    return structure if isinstance(structure, Groups) else tree_groups(structure)
