"""Secondary suppression with protection intervals, attacked by a linear program.

The protection (:mod:`quartier.core.protection`, combinatorial moves) and the
attacker (:mod:`quartier.core.audit`, HiGHS) are independent methods: every
random table protected by the one is audited by the other.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quartier.core import audit
from quartier.core.protection import ProtectionError, Table, patterns, protect, verify
from tests.support.classic import protect_counts, recoverable


def attack(table: Table, values: np.ndarray, hidden: np.ndarray, minimum) -> list:
    """Small hidden counts whose range an LP attacker narrows below [1 … m−1 wide, reaching m].

    The attacker knows every shown cell, every equation, that nothing is negative
    and — stronger than anyone outside — which hidden cells are not zero.
    """
    flat_values = values.T.ravel()
    flat_hidden = hidden.T.ravel()
    minimum = np.broadcast_to(np.asarray(minimum, dtype=float), values.shape).T.ravel()
    present = ~np.isnan(flat_values)
    published = np.where(flat_hidden, np.nan, flat_values)
    floor = np.where(flat_values >= 1, 1.0, 0.0)
    system = audit.system(published, present, table.groups(), floor)
    small = np.flatnonzero(present & flat_hidden & (flat_values >= 1) & (flat_values < minimum))
    return audit.audit(system, flat_values, small, minimum[small], minimum[small] - 1)


def test_two_small_blocks_do_not_hide_each_other():
    # The example: a Sozialraum of 468 households, two hidden blocks of 1 each.
    values = np.array([0.0, 1, 1] + [29] * 14 + [60])
    values[0] = values[1:].sum()
    table = Table(np.array([-1] + [0] * 17), 1)
    classic = protect_counts(values, table.parent, 3)  # the first version: exactly these two
    assert np.flatnonzero(classic).tolist() == [1, 2]
    pinned = attack(table, values[:, None], classic[:, None], 3)
    assert [(f.low, f.high) for f in pinned] == [(1.0, 1.0), (1.0, 1.0)]
    hidden, moves = protect(table, values[:, None], (values == 1)[:, None], reach=2)
    assert hidden[1:3, 0].all() and hidden[:, 0].sum() == 3  # one complement with room
    assert attack(table, values[:, None], hidden, 3) == []
    assert moves.targets.size == 2


def test_small_siblings_share_a_move():
    # Every sibling is small: two of them take half the move each (the LP would too).
    values = np.array([0.0, 1, 2, 2, 0, 7])
    values[0] = values[1:].sum()
    table = Table(np.array([-1, 0, 0, 0, 0, 0]), 1)
    targets = (values >= 1) & (values < 3)
    hidden, _moves = protect(
        table, values[:, None], targets[:, None], reach=2, floor=(values[:, None] >= 1) * 1.0
    )
    assert attack(table, values[:, None], hidden, 3) == []
    assert not hidden[0, 0]  # the parent stays


def test_a_move_is_checked_against_the_equations_and_fails_closed():
    values = np.array([[10.0], [1.0], [9.0]])
    table = Table(np.array([-1, 0, 0]), 1)
    hidden, moves = protect(table, values, np.array([[False], [True], [False]]), reach=2)
    moves.entry_weight[moves.entry_weight < 0] = 0.0  # the sibling no longer compensates
    with pytest.raises(ProtectionError):
        verify(table, values, hidden, moves, 2, 1.0)


def test_patterns_balance_every_declared_sum():
    # total = a + b + c, young = a + b
    sums = ((0, (1, 2, 3)), (4, (1, 2)))
    moves = patterns(5, sums)
    for move in moves:
        assert move[0] == move[1:4].sum() and move[4] == move[1] + move[2]
    assert {tuple(m) for m in moves} >= {(0, 1, -1, 0, 0), (1, 1, 0, 0, 1), (1, 0, 0, 1, 0)}
    assert not any((m == -n).all() for m in moves for n in moves)  # a move or its opposite


@st.composite
def trees(draw):
    """Random 4-level hierarchies with many small counts; parents are sums of children."""
    parent, values = [-1], [0.0]
    for _ in range(draw(st.integers(1, 3))):
        mid = len(values)
        parent.append(0)
        values.append(0.0)
        for _ in range(draw(st.integers(1, 5))):
            low = len(values)
            parent.append(mid)
            values.append(0.0)
            for v in draw(
                st.lists(st.one_of(st.integers(0, 3), st.integers(0, 40)), min_size=1, max_size=6)
            ):
                parent.append(low)
                values.append(float(v))
    values = np.array(values)
    for i in range(len(values) - 1, 0, -1):
        values[parent[i]] += values[i]
    return np.array(parent), values, draw(st.integers(2, 5))


@settings(max_examples=200, deadline=None)
@given(trees())
def test_lp_attacker_narrows_no_small_count_on_random_hierarchies(case):
    parent, values, minimum = case
    table = Table(parent, 1)
    targets = (values >= 1) & (values < minimum)
    hidden, _ = protect(
        table,
        values[:, None],
        targets[:, None],
        reach=minimum - 1,
        floor=(values[:, None] >= 1) * 1.0,
    )
    assert hidden[targets, 0].all()
    assert attack(table, values[:, None], hidden, minimum) == []


# Parts p0…p4 and totals over them, declared partly through other totals:
# columns 0–4 the parts, 5 = young (p0+p1), 6 = mid (young+p2), 7 = all.
SUMS = ((5, (0, 1)), (6, (5, 2)), (7, (0, 1, 2, 3, 4)))


@st.composite
def linked_tables(draw):
    """A city, its districts and blocks; five parts per block, totals computed from them."""
    n_mid = draw(st.integers(1, 4))
    parent = [-1] + [0] * n_mid
    for mid in range(n_mid):
        parent += [1 + mid] * draw(st.integers(1, 5))
    parent = np.array(parent)
    values = np.zeros((parent.size, 8))
    leaves = [i for i in range(parent.size) if i not in set(parent.tolist())]
    for leaf in leaves:
        values[leaf, :5] = draw(
            st.lists(st.one_of(st.integers(0, 4), st.integers(0, 40)), min_size=5, max_size=5)
        )
    for i in range(parent.size - 1, 0, -1):
        values[parent[i], :5] += values[i, :5]
    values[:, 5] = values[:, 0] + values[:, 1]
    values[:, 6] = values[:, 5] + values[:, 2]
    values[:, 7] = values[:, :5].sum(axis=1)
    return parent, values, draw(st.integers(2, 4))


@settings(max_examples=150, deadline=None)
@given(linked_tables())
def test_lp_attacker_narrows_no_small_count_in_counts_linked_by_sums(case):
    parent, values, minimum = case
    table = Table(parent, 8, SUMS)
    targets = (values >= 1) & (values < minimum)
    hidden, _ = protect(table, values, targets, reach=minimum - 1, floor=(values >= 1) * 1.0)
    assert hidden[targets].all()
    assert attack(table, values, hidden, minimum) == []


@settings(max_examples=60, deadline=None)
@given(linked_tables())
def test_the_first_version_withstood_differencing_but_not_the_lp(case):
    """The audit has teeth: the old rule leaves cells an LP narrows, often."""
    parent, values, minimum = case
    table = Table(parent, 8, SUMS)
    flat = values.T.ravel()
    hidden = protect_counts(flat, table.groups(), minimum)
    published = np.where(hidden, np.nan, flat)
    assert not recoverable(published, np.ones(flat.size, bool), table.groups()).any()


def test_the_audit_finds_what_the_first_version_leaves_open():
    found = 0
    rng = np.random.default_rng(7)
    for _ in range(40):
        parent = np.array([-1, 0, 0, 1, 1, 1, 2, 2, 2, 2])
        values = np.zeros((10, 8))
        values[3:, :5] = rng.choice([0, 1, 1, 2, 3, 9, 25], size=(7, 5))
        for i in range(9, 0, -1):
            values[parent[i], :5] += values[i, :5]
        values[:, 5] = values[:, 0] + values[:, 1]
        values[:, 6] = values[:, 5] + values[:, 2]
        values[:, 7] = values[:, :5].sum(axis=1)
        table = Table(parent, 8, SUMS)
        hidden = protect_counts(values.T.ravel(), table.groups(), 3).reshape(8, 10).T
        found += len(attack(table, values, hidden, 3))
    assert found > 20


def test_audit_ranges_are_those_of_the_equations():
    # parent 10 = a + b + c with a, b hidden, c = 4 shown: a + b = 6, each in [1, 5] (floor 1)
    system = audit.system(
        np.array([10.0, np.nan, np.nan, 4.0]), np.ones(4, bool), np.array([-1, 0, 0, 0]), 1.0
    )
    low, high = audit.ranges(system, [1, 2])
    assert low.tolist() == [1.0, 1.0] and high.tolist() == [5.0, 5.0]
    # a hidden parent without a known total: unbounded above
    system = audit.system(
        np.array([np.nan, np.nan, 3.0]), np.ones(3, bool), np.array([-1, 0, 0]), 0.0
    )
    low, high = audit.ranges(system, [0, 1])
    assert low.tolist() == [3.0, 0.0] and high.tolist() == [np.inf, np.inf]
