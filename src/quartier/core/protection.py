"""Secondary suppression with protection intervals, for tables of areas × counts.

A *table* has one row per area (all levels, plus a row for the whole territory
where its top level has several areas) and one column per count; a parent row
is the sum of its child rows, and columns may add up (declared sums: residents
= Σ age groups). Some cells must be protected (*targets*: small counts, and
cells hidden for other reasons that need a range).

The attacker knows every published cell, every equation, and a lower bound of
every hidden cell (1 where zeros are always published). A target is protected
when a table exists that is consistent with all of that and in which the target
is ``reach`` larger than its true value: the attacker cannot exclude that value,
and since the true table is consistent too, the range is ``reach`` wide.

Such a table is built as a *move*: the target's row moves up by a balanced
pattern of its columns (+1 on the target's column, −1 on another part, the
totals following — :func:`patterns`), and a sibling row moves down by the same
pattern (or two siblings by half each), so their parent stays; a row with
children passes its move on to one child or splits it between two, down to the
finest level; where no sibling can take the move, the parent moves along and a
sibling of the parent takes it, and so on up to the top. Every moved cell must
be hidden, and cells moving down need room (value − floor ≥ their share of the
reach). For every target the cheapest move is chosen (cost of the cells newly
hidden; :mod:`quartier.core.moves`) and its cells are hidden: each move then
holds, whatever else is hidden — the idea of τ-Argus' hypercube method, with the
hierarchy taken into account.

At the end every target's move is checked against the equations themselves
(:class:`~quartier.core.disclosure.Groups`), independently of how it was found;
a failed check raises :class:`ProtectionError` — disclosure control fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from quartier.core.disclosure import Groups, join
from quartier.core.moves import Hierarchy, Moves, Search, cells, choose

INF = np.inf


class ProtectionError(RuntimeError):
    """No protecting move was found, or a move failed the independent check."""


@dataclass(frozen=True)
class Table:
    """The structure of one table: rows (areas) in a hierarchy, columns linked by sums."""

    parent: np.ndarray  # per row: the parent row, -1 for a root
    columns: int
    sums: tuple[tuple[int, tuple[int, ...]], ...] = ()  # (total column, part columns)

    @property
    def rows(self) -> int:
        """Number of rows."""
        return int(self.parent.size)

    def cell(self, rows, columns) -> np.ndarray:
        """Flat cell index (column-major: all rows of column 0, then column 1 …)."""
        return np.asarray(columns) * self.rows + np.asarray(rows)

    def groups(self) -> Groups:
        """Every equation over the flat cells: parent = Σ children, total = Σ parts."""
        n = self.rows
        child = np.flatnonzero(self.parent >= 0)
        totals, group = np.unique(self.parent[child], return_inverse=True)
        parts = [Groups(totals + c * n, group, child + c * n) for c in range(self.columns)]
        rows = np.arange(n)
        for total, members in self.sums:
            cells = np.concatenate([rows + m * n for m in members])
            parts.append(Groups(rows + total * n, np.tile(rows, len(members)), cells))
        return join(*parts)


def patterns(columns: int, sums) -> np.ndarray:
    """Balanced moves of one row: +1 on one base column, −1 on another or none; totals follow.

    Base columns are those that are no declared total; a total moves by the sum
    of its base columns. Moves that break a declared sum are left out; of a move
    and its opposite only one is kept (a move is applied with either sign).
    """
    sums = {total: tuple(parts) for total, parts in sums}
    bases: dict[int, frozenset[int]] = {}

    def expand(col: int, seen: frozenset[int]) -> frozenset[int]:
        if col not in sums:
            return frozenset({col})
        if col not in bases:
            parts = [expand(p, seen | {p}) for p in sums[col] if p not in seen]
            bases[col] = frozenset().union(*parts)
        return bases[col]

    cover = [expand(c, frozenset({c})) for c in range(columns)]
    base = [c for c in range(columns) if c not in sums]
    found = set()
    for up in base:
        for down in [None, *base]:
            if down == up:
                continue
            move = np.array([(up in b) - (down in b) for b in cover], dtype=np.int64)
            if all(move[t] == sum(move[p] for p in parts) for t, parts in sums.items()):
                found.add(max(tuple(move), tuple(-move)))  # a move and its opposite are one
    return np.array(sorted(found), dtype=np.int8).reshape(-1, columns)


def protect(
    table: Table,
    values: np.ndarray,
    targets: np.ndarray,
    *,
    hidden: np.ndarray | None = None,
    reach: float,
    floor: np.ndarray | float = 1.0,
    cost: np.ndarray | float = 1.0,
    hideable: np.ndarray | None = None,
) -> tuple[np.ndarray, Moves]:
    """Hidden cells (rows × columns) that protect every target, and each target's move.

    ``values`` (rows × columns, NaN = no value); ``targets`` cells needing a
    range ``reach`` wide above their value; ``hidden`` cells hidden anyway
    (default: the targets); ``floor`` the attacker's lower bound of a hidden
    cell; ``cost`` of hiding a cell; ``hideable`` cells that may be hidden as
    complements (default: values ≥ 1 — zeros are always published).
    """
    values = np.asarray(values, dtype=np.float64)
    present = ~np.isnan(values)
    targets = np.asarray(targets, dtype=bool) & present
    shape = values.shape
    floor = np.broadcast_to(np.asarray(floor, dtype=np.float64), shape)
    state = Search(
        table=table,
        hierarchy=Hierarchy(table.parent),
        moves_q=patterns(table.columns, table.sums),
        present=present,
        hidden=(targets if hidden is None else np.asarray(hidden, dtype=bool) | targets) & present,
        hideable=(values >= 1) if hideable is None else np.asarray(hideable, dtype=bool),
        capacity=np.where(present, values - floor, -INF),
        cost=np.broadcast_to(np.asarray(cost, dtype=np.float64), shape).copy(),
        reach=float(reach),
    )
    state.hidden = state.hidden.copy()
    rows, cols = np.nonzero(targets)
    # One round: every target takes its cheapest move given the cells hidden so far; once
    # all those cells are hidden, each move is valid (it needs only its own cells hidden).
    moves = choose(state, rows, cols)
    if not np.isfinite(moves.cost).all():
        raise ProtectionError("no protecting move for some cells")
    d = displacement(table, moves, state.moves_q)
    new = d[np.flatnonzero(moves.cost > 0)].indices
    state.hidden[new % table.rows, new // table.rows] = True
    verify(table, values, state.hidden, moves, reach, floor, d)
    return state.hidden, moves


def displacement(table: Table, moves: Moves, q: np.ndarray | None = None) -> sp.csr_matrix:
    """The moves as a sparse matrix (targets × flat cells), before scaling by the reach."""
    q = patterns(table.columns, table.sums) if q is None else q
    t, moved, d = cells(table, q, moves)
    return sp.csr_matrix(
        (d.astype(np.float64), (t, moved)), shape=(moves.targets.size, table.rows * table.columns)
    )


def verify(table, values, hidden, moves: Moves, reach: float, floor, d=None) -> None:
    """Check every move against the equations, the hidden cells and the floors; raise if wrong.

    Independent of how the moves were found: each move, scaled by ``reach``
    and added to the true values, must satisfy every equation of
    :meth:`Table.groups` (among cells with values), touch hidden cells only,
    keep every cell at or above its floor, and raise its target by ``reach``.
    """
    n_cells = table.rows * table.columns
    flat = np.asarray(values, dtype=np.float64).T.ravel()
    present = ~np.isnan(flat)
    groups = table.groups()
    member = present[groups.cell] & present[groups.total[groups.group]]
    live = present[groups.total]
    incidence = sp.csr_matrix(
        (
            np.r_[-np.ones(int(live.sum())), np.ones(int(member.sum()))],
            (
                np.r_[groups.total[live], groups.cell[member]],
                np.r_[np.flatnonzero(live), groups.group[member]],
            ),
        ),
        shape=(n_cells, groups.size),
    )
    d = displacement(table, moves) if d is None else d
    if abs(d @ incidence).sum() > 1e-9:
        raise ProtectionError("a move breaks an equation")
    coo = d.tocoo()
    if not np.asarray(hidden).T.ravel()[coo.col].all() or not present[coo.col].all():
        raise ProtectionError("a move touches a published cell")
    floor_flat = np.broadcast_to(np.asarray(floor, dtype=np.float64), np.shape(values)).T.ravel()
    if (flat[coo.col] + reach * coo.data < floor_flat[coo.col] - 1e-9).any():
        raise ProtectionError("a move takes a cell below what the attacker knows")
    raised = np.zeros(moves.targets.size)
    on_target = coo.col == moves.targets[coo.row]
    np.add.at(raised, coo.row[on_target], coo.data[on_target])
    if (abs(raised - 1) > 1e-9).any():
        raise ProtectionError("a move does not raise its target")
