import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quartier.core import aggregation as agg

NAN = np.nan


def test_counts_are_summed_and_missing_children_are_skipped():
    result = agg.sum_counts(np.array([1, 2, NAN, 4, NAN]), np.array([0, 0, 0, 1, 2]), 3)
    assert result.values[0] == 3
    assert result.values[1] == 4
    assert np.isnan(result.values[2])  # no child with data: unknown, not zero
    assert result.complete.tolist() == [False, True, False]
    assert result.coverage.tolist() == [2, 1, 0]


def test_zero_is_a_value_not_missing():
    result = agg.sum_counts(np.array([0.0, 0.0]), np.array([0, 0]), 1)
    assert result.values[0] == 0 and result.complete[0]


def test_rate_is_recomputed_not_averaged():
    num = np.array([1.0, 30.0])
    den = np.array([2.0, 100.0])
    rates, nsum, dsum = agg.aggregate_rate(num, den, np.array([0, 0]), 1, 100.0)
    assert rates[0] == pytest.approx(31 / 102 * 100)
    mean_of_rates = np.mean(agg.rate(num, den, 100.0))
    assert rates[0] != pytest.approx(mean_of_rates)
    assert nsum.values[0] == 31 and dsum.values[0] == 102


def test_rate_uses_only_children_with_both_parts():
    rates, _, dsum = agg.aggregate_rate(
        np.array([5.0, NAN]), np.array([10.0, 1000.0]), np.array([0, 0]), 1, 100.0
    )
    assert rates[0] == 50.0
    assert dsum.values[0] == 10.0


def test_rate_with_zero_denominator_is_missing():
    assert np.isnan(agg.rate(np.array([0.0]), np.array([0.0]), 100.0)[0])


def test_weighted_mean():
    result = agg.weighted_mean(
        np.array([30.0, 60.0, NAN]), np.array([3.0, 1.0, 5.0]), np.array([0, 0, 0]), 1
    )
    assert result.values[0] == pytest.approx((30 * 3 + 60) / 4)


def test_bad_groups_are_rejected():
    with pytest.raises(ValueError):
        agg.sum_counts(np.array([1.0]), np.array([3]), 2)
    with pytest.raises(ValueError):
        agg.sum_counts(np.array([1.0, 2.0]), np.array([0]), 2)


counts = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(counts, st.data())
def test_two_step_aggregation_equals_one_step(values, data):
    n = len(values)
    mid = data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    top_of_mid = data.draw(st.lists(st.integers(0, 1), min_size=5, max_size=5))
    values = np.array(values, dtype=float)
    mid = np.array(mid)
    step1 = agg.sum_counts(values, mid, 5).values
    present = ~np.isnan(step1)
    step2 = agg.sum_counts(step1[present], np.array(top_of_mid)[present], 2).values
    direct = agg.sum_counts(values, np.array(top_of_mid)[mid], 2).values
    np.testing.assert_array_equal(step2, direct)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 500)), min_size=1, max_size=40))
def test_aggregated_rate_is_ratio_of_sums(pairs):
    num = np.array([min(a, b) for a, b in pairs], dtype=float)
    den = np.array([b for _a, b in pairs], dtype=float)
    rates, _, _ = agg.aggregate_rate(num, den, np.zeros(len(pairs), dtype=int), 1, 100.0)
    assert rates[0] == pytest.approx(num.sum() / den.sum() * 100)
