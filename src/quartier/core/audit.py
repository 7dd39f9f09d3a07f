"""Audit of disclosure control: what a linear program infers about hidden cells.

An attacker who knows the published cells of additive tables, every equation
between them (a parent is the sum of its children, a total the sum of its
parts: :class:`~quartier.core.disclosure.Groups`) and a lower bound of every
hidden cell (1 where zeros are always published, 0 where a hidden zero is
possible) can compute, for each hidden cell, the range of values consistent
with all of it: two linear programs, solved here with HiGHS (highspy).

:func:`audit` checks a protection requirement per cell — the range must reach
``need_high`` and be at least ``need_width`` wide — and returns the cells it
fails for, with their ranges. Each component (hidden cells linked through
shared equations) is one small LP kept in HiGHS while the objective changes
from cell to cell (warm starts, ~1 ms each).
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from quartier.core.disclosure import as_groups


@dataclass(frozen=True)
class System:
    """The attacker's equations over the hidden cells: ``matrix @ x = rhs``, ``x >= lower``."""

    unknown: np.ndarray  # cell index of each unknown (hidden cell)
    matrix: sp.csr_matrix  # rows: equations with at least one unknown
    rhs: np.ndarray
    lower: np.ndarray  # per unknown
    component: np.ndarray  # per unknown: its connected component

    def column(self, cells: np.ndarray) -> np.ndarray:
        """Position of each cell among the unknowns (-1 if it is not hidden)."""
        position = np.full(int(self.unknown.max(initial=-1)) + 1, -1, dtype=np.int64)
        position[self.unknown] = np.arange(self.unknown.size)
        cells = np.asarray(cells, dtype=np.int64)
        inside = cells < position.size
        return np.where(inside, position[np.where(inside, cells, 0)], -1)


def system(published, present, structure, lower) -> System:
    """Build the attacker's linear system from what is published.

    ``published``: shown values, NaN where hidden; ``present``: the cell has a
    value at all; ``structure``: parent array or :class:`Groups`; ``lower``:
    the attacker's lower bound per cell (a number or one per cell).
    """
    groups = as_groups(structure)
    published = np.asarray(published, dtype=np.float64)
    present = np.asarray(present, dtype=bool)
    hidden = present & np.isnan(published)
    known = np.where(present & ~hidden, published, 0.0)
    member = present[groups.cell]
    live = present[groups.total]  # a total without a value publishes no equation
    live &= np.bincount(groups.group[member], minlength=groups.size) > 0
    rows = np.r_[np.arange(groups.size), groups.group[member]]
    cells = np.r_[groups.total, groups.cell[member]]
    signs = np.r_[-np.ones(groups.size), np.ones(int(member.sum()))]
    keep = live[rows]
    rows, cells, signs = rows[keep], cells[keep], signs[keep]
    unknown = np.flatnonzero(hidden)
    column = np.full(published.size, -1, dtype=np.int64)
    column[unknown] = np.arange(unknown.size)
    is_unknown = column[cells] >= 0
    # Known cells move to the right-hand side: Σ unknown ± x = −Σ known ± value.
    rhs = -np.bincount(
        rows[~is_unknown],
        weights=signs[~is_unknown] * known[cells[~is_unknown]],
        minlength=groups.size,
    )
    matrix = sp.csr_matrix(
        (signs[is_unknown], (rows[is_unknown], column[cells[is_unknown]])),
        shape=(groups.size, unknown.size),
    )
    used = np.diff(matrix.indptr) > 0
    matrix, rhs = matrix[used], rhs[used]
    lower = np.broadcast_to(np.asarray(lower, dtype=np.float64), published.shape)[unknown]
    linked = (abs(matrix).T @ abs(matrix)).tocsr()
    _count, component = connected_components(linked, directed=False)
    return System(unknown, matrix, rhs, np.array(lower), component)


@dataclass(frozen=True)
class Finding:
    """A hidden cell whose range is too narrow."""

    cell: int
    value: float
    low: float
    high: float


def _solver():
    """A silent HiGHS instance: the raw binding (highspy's wrapper prints a banner on stdout)."""
    raw = getattr(getattr(highspy, "_core", None), "_Highs", None)
    highs = raw() if raw is not None else highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


class _Component:
    """The linear program of one component, kept in HiGHS for many objectives (warm starts)."""

    def __init__(self, sys: System, which: int):
        self.columns = np.flatnonzero(sys.component == which)
        part = sys.matrix[:, self.columns].tocsc()
        used = np.flatnonzero(np.diff(part.tocsr().indptr) > 0)
        part = part[used]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = int(self.columns.size), int(used.size)
        lp.col_cost_ = np.zeros(self.columns.size)
        lp.col_lower_ = sys.lower[self.columns]
        lp.col_upper_ = np.full(self.columns.size, highspy.kHighsInf)
        lp.row_lower_ = lp.row_upper_ = sys.rhs[used]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_ = part.indptr, part.indices
        lp.a_matrix_.value_ = part.data
        self.highs = _solver()
        self.highs.setOptionValue("presolve", "off")  # keeps the basis between objectives
        self.highs.passModel(lp)

    def local(self, columns: np.ndarray) -> np.ndarray:
        """Positions of system columns within this component."""
        return np.searchsorted(self.columns, columns)

    def extreme(self, j: int, sense) -> tuple[float, np.ndarray | None]:
        """The largest (or smallest) value of variable ``j``, and the solution reaching it."""
        h = self.highs
        h.changeObjectiveSense(sense)
        h.changeColCost(int(j), 1.0)
        h.run()
        status = h.getModelStatus()
        h.changeColCost(int(j), 0.0)
        if status == highspy.HighsModelStatus.kUnbounded:
            return (np.inf if sense == highspy.ObjSense.kMaximize else -np.inf), None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"audit LP: {h.modelStatusToString(status)}")
        solution = np.array(h.getSolution().col_value)
        return float(solution[j]), solution


def _groups_of(sys: System, cols: np.ndarray):
    """Indices into ``cols`` per component."""
    component = sys.component[cols]
    for which in np.unique(component):
        yield which, np.flatnonzero(component == which)


def ranges(sys: System, cells) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each hidden cell in ``cells`` (±inf where unbounded)."""
    cols = sys.column(cells)
    if (cols < 0).any():
        raise ValueError("ranges are asked for cells that are not hidden")
    low, high = np.empty(cols.size), np.empty(cols.size)
    for which, items in _groups_of(sys, cols):
        lp = _Component(sys, which)
        for i, j in zip(items, lp.local(cols[items]), strict=True):
            low[i] = lp.extreme(j, highspy.ObjSense.kMinimize)[0]
            high[i] = lp.extreme(j, highspy.ObjSense.kMaximize)[0]
    return low, high


def audit(sys: System, values, cells, need_high, need_width) -> list[Finding]:
    """Hidden cells whose range fails the requirement: high ≥ need_high, high − low ≥ need_width.

    ``values`` are the true values of all cells (the audit runs with full rights);
    ``cells`` the hidden cells to check, with one requirement each. A cell is
    cleared as soon as some consistent table has it at ``truth + reach`` (reach =
    max(need_high − truth, need_width)): then high ≥ need_high, and since the
    true table is consistent, the range is wide enough. Every solution found is
    kept and clears further cells without solving for them.
    """
    cells = np.asarray(cells, dtype=np.int64)
    truth = np.asarray(values, dtype=np.float64)[cells]
    need_high = np.broadcast_to(np.asarray(need_high, dtype=np.float64), cells.shape)
    need_width = np.broadcast_to(np.asarray(need_width, dtype=np.float64), cells.shape)
    goal = truth + np.maximum(need_high - truth, need_width) - 1e-6
    cols = sys.column(cells)
    if (cols < 0).any():
        raise ValueError("the audit is asked for cells that are not hidden")
    findings = []
    for which, items in _groups_of(sys, cols):
        lp = _Component(sys, which)
        local = lp.local(cols[items])
        seen = np.full(lp.columns.size, -np.inf)  # the largest value seen per variable
        for i, j in zip(items, local, strict=True):
            if seen[j] >= goal[i]:
                continue
            high, solution = lp.extreme(j, highspy.ObjSense.kMaximize)
            if solution is not None:
                seen = np.maximum(seen, solution)
            if high >= goal[i]:
                continue
            low = lp.extreme(j, highspy.ObjSense.kMinimize)[0]
            if high < need_high[i] - 1e-6 or high - low < need_width[i] - 1e-6:
                findings.append(Finding(int(cells[i]), float(truth[i]), low, high))
    return findings
