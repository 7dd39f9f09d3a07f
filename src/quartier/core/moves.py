"""The search for protecting moves (see :mod:`quartier.core.protection` for the idea).

Everything is vectorised over rows × patterns: the cost of moving each row by
each pattern (:meth:`Search.row_costs`), the cheapest way to pass a row's move
down to the finest level (:meth:`Search.chains`, splitting between two children
where that is cheaper), the cheapest siblings to take the opposite move
(:meth:`Search.siblings`), and for every target the cheapest combination over
patterns and heights (:func:`choose`). Groups of children are laid out densely
(:class:`Hierarchy`) so that minima over children are plain numpy reductions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INF = np.inf


class Hierarchy:
    """Rows grouped by parent, laid out densely (groups × children) for minima over children."""

    def __init__(self, parent: np.ndarray):
        self.parent = parent
        depth = np.zeros(parent.size, dtype=np.int64)
        for _ in range(parent.size):
            deeper = np.where(parent >= 0, depth[np.maximum(parent, 0)] + 1, 0)
            if np.array_equal(deeper, depth):
                break
            depth = deeper
        self.depth = depth
        child = np.flatnonzero(parent >= 0)
        child = child[np.lexsort((child, parent[child]))]  # grouped by parent
        self.tops, group = np.unique(parent[child], return_inverse=True)
        starts = np.searchsorted(group, np.arange(self.tops.size))
        position = np.arange(child.size) - starts[group]
        width = int(position.max(initial=-1)) + 1
        self.slots = np.full((self.tops.size, width), -1, dtype=np.int64)  # (groups, children)
        self.slots[group, position] = child
        self.width = (self.slots >= 0).sum(axis=1)  # children per group
        self.group_of = np.full(parent.size, -1, dtype=np.int64)  # per row: its parent's group
        self.group_of[child] = group
        # Groups by the depth of their children, deepest first (chains are built bottom-up).
        child_depth = depth[self.tops] + 1
        self.by_depth = [
            np.flatnonzero(child_depth == d) for d in range(int(depth.max(initial=0)), 0, -1)
        ]

    def dense(self, values: np.ndarray, groups=slice(None)) -> np.ndarray:
        """``values`` (rows × patterns) as (groups, children, patterns), inf where no child."""
        slots = self.group_slots(groups)
        out = values[np.maximum(slots, 0)]
        out[slots < 0] = INF
        return out

    def group_slots(self, groups=slice(None)) -> np.ndarray:
        """The children of ``groups`` (padded with -1 to the widest of them, not of all)."""
        return self.slots[groups][:, : int(self.width[groups].max(initial=0))]

    def smallest(self, values: np.ndarray, count: int, groups=slice(None)):
        """The ``count`` smallest values per group and pattern: (costs, rows), each (n, g, p)."""
        block = self.dense(values, groups)
        slots = self.group_slots(groups)
        costs, rows = [], []
        for i in range(count):
            if i >= block.shape[1]:  # fewer children than asked for
                costs.append(np.full((block.shape[0], block.shape[2]), INF))
                rows.append(np.full((block.shape[0], block.shape[2]), -1, dtype=np.int64))
                continue
            at = np.argmin(block, axis=1)  # (groups, patterns)
            low = np.take_along_axis(block, at[:, None, :], axis=1)[:, 0, :]
            costs.append(low)
            rows.append(
                np.where(np.isfinite(low), slots[np.arange(slots.shape[0])[:, None], at], -1)
            )
            if i + 1 < count:
                np.put_along_axis(block, at[:, None, :], INF, axis=1)
        return np.array(costs), np.array(rows)


# A move is taken by one row, or split evenly between two (each with half the room) — by
# siblings, and by children all the way down. (Quarters hid exactly the same cells in
# Musterstadt — with a Mindestfallzahl of 3 a quarter needs as much room as a half — at a
# third more work.)
SHARES = (1.0, 0.5)


@dataclass
class Search:
    """Everything one protection run needs, as rows × columns arrays unless noted."""

    table: object  # quartier.core.protection.Table
    hierarchy: Hierarchy
    moves_q: np.ndarray  # (patterns, columns)
    present: np.ndarray
    hidden: np.ndarray
    hideable: np.ndarray
    capacity: np.ndarray
    cost: np.ndarray
    reach: float

    def __post_init__(self):
        q = self.moves_q.astype(np.float64).T  # (columns, patterns)
        self.support = (q != 0).astype(np.float64)
        down = {1: (q < 0).astype(np.float64), -1: (q > 0).astype(np.float64)}
        parent = self.table.parent
        child = np.flatnonzero(parent >= 0)
        kids = np.zeros_like(self.present)
        np.logical_or.at(kids, parent[child], self.present[child])
        self.has_kids = (kids.astype(np.float64) @ self.support) > 0  # (rows, patterns)
        linked = np.zeros_like(self.present)
        linked[child] = self.present[parent[child]] & self.present[child]
        self.in_parent = (linked.astype(np.float64) @ self.support) > 0
        missing = (~self.present).astype(np.float64) @ self.support
        # Impossible whatever is hidden: a cell without value, or too little room moving down.
        self.blocked = {
            (sign, share): missing
            + (self.capacity < self.reach * share - 1e-9).astype(np.float64) @ down[sign]
            for sign in (1, -1)
            for share in SHARES
        }

    def row_costs(self) -> dict:
        """Cost of moving each row by sign × share × each pattern (inf where impossible).

        float32: costs are small sums, and half the memory makes the minima faster.
        """
        closed = (~(self.hidden | self.hideable)).astype(np.float64) @ self.support
        new = np.where(self.hidden, 0.0, self.cost) @ self.support
        return {
            key: np.where(bad + closed > 0, INF, new).astype(np.float32)
            for key, bad in self.blocked.items()
        }

    def chains(self, row_costs: dict) -> dict:
        """Cheapest move of each row passed down to the finest level, per (sign, share).

        Returns {(sign, share): (cost, child, second child)}: a row with children
        passes its move to one child, or splits it between two (half each).
        """
        h = self.hierarchy
        out = {}
        for key, cost in row_costs.items():
            out[key] = (
                cost.copy(),
                np.full(cost.shape, -1, np.int64),
                np.full(cost.shape, -1, np.int64),
            )
        for groups in h.by_depth:
            tops = h.tops[groups]
            needs = self.has_kids[tops]
            for sign, share in row_costs:
                (best,), (first,) = h.smallest(out[sign, share][0], 1, groups)
                second = np.full(first.shape, -1, dtype=np.int64)
                if (sign, share / 2) in out:
                    (c1, c2), (r1, r2) = h.smallest(out[sign, share / 2][0], 2, groups)
                    split = c1 + c2 < best
                    best = np.where(split, c1 + c2, best)
                    first, second = np.where(split, r1, first), np.where(split, r2, -1)
                cost, child, child2 = out[sign, share]
                cost[tops] = np.where(needs, cost[tops] + best, cost[tops])
                child[tops] = np.where(needs, first, -1)
                child2[tops] = np.where(needs, second, -1)
        return out

    def siblings(self, chains: dict) -> dict:
        """Per row, pattern and sign: the cheapest siblings to take a move (cost, row, row).

        One sibling with the full move, or two with half of it each — whichever
        costs less; never the row itself.
        """
        h = self.hierarchy
        shape = self.has_kids.shape
        out = {}
        child = np.flatnonzero(h.group_of >= 0)
        g, me = h.group_of[child], child[:, None]
        for sign in (1, -1):
            cost = np.full(shape, INF)
            first, second = np.full(shape, -1, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
            if child.size:
                (c1, c2), (r1, r2) = h.smallest(chains[sign, 1.0][0], 2)
                mine = me == r1[g]
                single = np.where(mine, c2[g], c1[g])
                single_row = np.where(mine, r2[g], r1[g])
                costs, rows = h.smallest(chains[sign, 0.5][0], 3)
                skip0 = me == rows[0][g]
                skip1 = skip0 | (me == rows[1][g])
                a = np.where(skip0, rows[1][g], rows[0][g])
                b = np.where(skip1, rows[2][g], rows[1][g])
                pair = np.where(skip0, costs[1][g], costs[0][g])
                pair = pair + np.where(skip1, costs[2][g], costs[1][g])
                use_pair = pair < single
                cost[child] = np.where(use_pair, pair, single)
                first[child] = np.where(use_pair, a, single_row)
                second[child] = np.where(use_pair, b, -1)
            out[sign] = (cost, first, second)
        return out


@dataclass
class Moves:
    """One move per target: its pattern and sign, and the rows that move, with a weight each.

    Entry ``e`` moves row ``entry_row[e]`` of target ``entry_target[e]`` by
    ``entry_weight[e]`` × sign × pattern: +1 with the target, −1, −½ … against it.
    """

    targets: np.ndarray  # flat cells
    pattern: np.ndarray
    sign: np.ndarray
    cost: np.ndarray
    entry_target: np.ndarray
    entry_row: np.ndarray
    entry_weight: np.ndarray


def choose(s: Search, rows: np.ndarray, cols: np.ndarray) -> Moves:
    """The cheapest move of each target, over patterns, signs, heights and siblings."""
    row_cost = s.row_costs()
    chains = s.chains(row_cost)
    siblings = s.siblings(chains)
    # Per row and pattern, moving with sign + (left half) or − (right half): the cost of the
    # row's chain, of the siblings that take the opposite move, of climbing to the row.
    tables = {
        "chain": np.concatenate([chains[1, 1.0][0], chains[-1, 1.0][0]], axis=1),
        "sibling": np.concatenate([siblings[-1][0], siblings[1][0]], axis=1),
        "climb": np.concatenate([row_cost[1, 1.0], row_cost[-1, 1.0]], axis=1),
    }
    best = np.full(rows.size, INF)
    choice = np.full((rows.size, 6), -1, dtype=np.int64)  # pattern, sign, height, top, 2 sibs
    for col in np.unique(cols):
        which = np.flatnonzero(cols == col)
        ks = np.flatnonzero(s.moves_q[:, col])
        best[which], choice[which] = _choose_column(
            s, rows[which], ks, s.moves_q[ks, col].astype(np.int64), tables, siblings
        )
    return _moves(s, rows, cols, best, choice, chains)


def _choose_column(s: Search, rows, ks, signs, tables: dict, siblings):
    """Best moves for targets of one column, among the patterns ``ks`` that move it."""
    parent = s.table.parent
    n = rows.size
    j_all = np.arange(ks.size)
    plus = signs == 1

    # Each pattern's entry for the sign it moves this column: columns of [plus | minus].
    pick = np.where(plus, ks, ks + s.moves_q.shape[0])
    chain, sibling, climb = (tables[name][:, pick] for name in ("chain", "sibling", "climb"))
    linked = s.in_parent[:, ks]
    at = np.broadcast_to(rows[:, None], (n, ks.size)).copy()
    cost = chain[at, j_all]
    active = np.ones(at.shape, dtype=bool)
    best = np.full(n, INF)
    choice = np.full((n, 6), -1, dtype=np.int64)
    for height in range(int(s.hierarchy.depth.max(initial=0)) + 1):
        free = ~linked[at, j_all]
        total = np.where(active, np.where(free, cost, cost + sibling[at, j_all]), INF)
        j = np.argmin(total, axis=1)
        low = total[np.arange(n), j]
        better = low < best - 1e-6
        if better.any():
            i, jj = np.flatnonzero(better), j[better]
            top, kk, sg = at[i, jj], ks[jj], signs[jj]
            sib1 = np.where(sg == 1, siblings[-1][1][top, kk], siblings[1][1][top, kk])
            sib2 = np.where(sg == 1, siblings[-1][2][top, kk], siblings[1][2][top, kk])
            best[i] = low[better]
            choice[i] = np.c_[kk, sg, np.full(i.size, height), top, sib1, sib2]
            choice[i[free[i, jj]], 4:] = -1
        active &= ~free & (parent[at] >= 0)
        if not active.any():
            break
        at = np.where(active, parent[at], at)
        cost = cost + np.where(active, climb[at, j_all], 0.0)
        active &= cost < best[:, None]  # climbing further cannot beat the best move found
    return best, choice


def _expand(chains: dict, target, row, sign, share, weight, k) -> tuple:
    """The rows below the given ones that carry their moves down (entries, as arrays)."""
    out = [[], [], []]
    while row.size:
        nxt = [[] for _ in range(6)]
        for (sgn, shr), (_cost, child, child2) in chains.items():
            pick = (sign == sgn) & (share == shr)
            if not pick.any():
                continue
            first, second = child[row[pick], k[target[pick]]], child2[row[pick], k[target[pick]]]
            one, two = (first >= 0) & (second < 0), second >= 0
            for rows, part, halve in ((first, one, False), (first, two, True), (second, two, True)):
                nxt[0].append(target[pick][part])
                nxt[1].append(rows[part])
                nxt[2].append(sign[pick][part])
                nxt[3].append(share[pick][part] / (2 if halve else 1))
                nxt[4].append(weight[pick][part] / (2 if halve else 1))
        target, row, sign, share, weight = (
            np.concatenate(a) if a else np.empty(0) for a in nxt[:5]
        )
        row = row.astype(np.int64)
        target = target.astype(np.int64)
        out[0].append(target)
        out[1].append(row)
        out[2].append(weight)
    return tuple(np.concatenate(a) if a else np.empty(0) for a in out)


def _moves(s: Search, rows, cols, best, choice, chains) -> Moves:
    """Materialise the chosen moves: the rows of each, with their weights."""
    parent = s.table.parent
    k, sign, height, _top, sib1, sib2 = choice.T
    k = np.maximum(k, 0)
    n = rows.size
    idx = np.arange(n)
    share = np.where(sib2 >= 0, 0.5, 1.0)
    entries = [(idx, rows, np.ones(n))]  # the target's row
    at = rows.copy()
    for h in range(1, int(height.max(initial=0)) + 1):  # ancestors moving along
        climbing = height >= h
        at = np.where(climbing, parent[np.maximum(at, 0)], at)
        entries.append((idx[climbing], at[climbing], np.ones(int(climbing.sum()))))
    for sib in (sib1, sib2):  # siblings taking the move
        has = sib >= 0
        entries.append((idx[has], sib[has], -share[has]))
    starts = [
        (idx, rows, sign, np.ones(n), np.ones(n)),
        *[
            (idx[sib >= 0], sib[sib >= 0], -sign[sib >= 0], share[sib >= 0], -share[sib >= 0])
            for sib in (sib1, sib2)
        ],
    ]
    for target, row, sgn, shr, weight in starts:
        entries.append(_expand(chains, target, row, sgn, shr, weight, k))
    target = np.concatenate([e[0] for e in entries]).astype(np.int64)
    row = np.concatenate([e[1] for e in entries]).astype(np.int64)
    weight = np.concatenate([e[2] for e in entries]).astype(np.float64)
    return Moves(s.table.cell(rows, cols), k, sign, best, target, row, weight)


def cells(table, q: np.ndarray, moves: Moves):
    """(target index, flat cell, displacement) of every moved cell."""
    t = moves.entry_target
    d = q[moves.pattern[t]] * (moves.sign[t] * moves.entry_weight)[:, None]  # (entries, columns)
    e, col = np.nonzero(d)
    return t[e], table.cell(moves.entry_row[e], col), d[e, col]
