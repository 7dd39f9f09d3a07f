import numpy as np
import pytest

from quartier.core import palettes
from quartier.core.classification import ClassificationError, classify

NAN = np.nan


def test_quantiles_basic_and_upper_inclusive():
    values = np.arange(1, 11, dtype=float)
    c = classify(values, "quantiles", 5)
    assert c.k == 5 and sum(c.counts) == 10
    assert c.uppers[-1] == 10 and c.lower == 1
    assert c.counts == [2, 2, 2, 2, 2]
    assert c.classes.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_value_exactly_on_a_manual_break():
    c = classify(np.array([5.0, 10.0, 10.0001, 20.0]), "manual", 5, manual_breaks=[10, 15])
    assert c.uppers == [10.0, 15.0, 20.0]
    assert c.classes.tolist() == [0, 0, 1, 2]
    assert c.bounds() == [(5.0, 10.0), (10.0, 15.0), (15.0, 20.0)]


def test_all_values_equal_make_one_class():
    for method in ["quantiles", "natural_breaks", "equal_interval", "std_mean"]:
        c = classify(np.full(7, 3.5), method, 5)
        assert c.uppers == [3.5] and c.counts == [7], method


def test_fewer_distinct_values_than_classes():
    c = classify(np.array([1.0, 1.0, 2.0, 2.0, 3.0]), "quantiles", 5)
    assert c.uppers == [1.0, 2.0, 3.0]
    assert c.counts == [2, 2, 1]


def test_missing_and_suppressed_values_get_no_class_and_do_not_move_breaks():
    values = np.array([1.0, NAN, 2.0, 3.0, NAN, 4.0, 5.0, 6.0])
    c = classify(values, "equal_interval", 5)
    assert c.classes[1] == -1 and c.classes[4] == -1
    assert c.lower == 1.0 and c.uppers[-1] == 6.0
    assert sum(c.counts) == 6


def test_no_values_at_all():
    c = classify(np.array([NAN, NAN]), "quantiles", 5)
    assert c.k == 0 and (c.classes == -1).all()
    assert c.bounds() == []  # a map whose every value is secret has no legend rows


def test_negative_values_with_zero_break_for_change_maps():
    values = np.array([-5.0, -3.0, -0.5, 0.4, 2.0, 7.0, 9.0])
    c = classify(values, "equal_interval", 3, zero_break=True)
    assert 0.0 in c.uppers
    zero = c.uppers.index(0.0)
    assert all(c.classes[i] <= zero for i, v in enumerate(values) if v <= 0)
    assert all(c.classes[i] > zero for i, v in enumerate(values) if v > 0)
    colours = palettes.diverging(zero + 1, c.k - zero - 1, "worse")
    assert len(colours) == c.k


def test_std_mean_classes_like_berlin_mss():
    rng = np.random.default_rng(3)
    values = rng.normal(50, 10, 1000)
    c = classify(values, "std_mean", 5, sd_multiples=[-1, 1, 1.5])
    mean, sd = values.mean(), values.std(ddof=1)  # sample standard deviation
    assert c.uppers[:3] == pytest.approx([mean - sd, mean + sd, mean + 1.5 * sd])
    assert c.k == 4


def test_std_mean_with_zero_spread():
    assert classify(np.array([2.0, 2.0, 2.0]), "std_mean", 5).uppers == [2.0]


def test_natural_breaks_are_deterministic_on_large_data():
    rng = np.random.default_rng(5)
    values = np.concatenate(
        [rng.normal(10, 1, 3000), rng.normal(50, 2, 2000), rng.normal(100, 2, 1000)]
    )
    a = classify(values, "natural_breaks", 3)
    b = classify(values, "natural_breaks", 3)
    assert a.uppers == b.uppers
    assert 12 < a.uppers[0] < 40 and 55 < a.uppers[1] < 90  # a group's maximum, before a gap
    assert a.counts == [3000, 2000, 1000]


def test_bad_parameters():
    with pytest.raises(ClassificationError):
        classify(np.arange(10.0), "quantiles", 12)
    with pytest.raises(ClassificationError):
        classify(np.arange(10.0), "magic", 5)
    with pytest.raises(ClassificationError):
        classify(np.arange(10.0), "manual", 5, manual_breaks=[])


def test_manual_breaks_outside_the_data_are_dropped():
    c = classify(np.array([1.0, 2.0, 3.0]), "manual", 5, manual_breaks=[-10, 2, 99])
    assert c.uppers == [2.0, 3.0]


def test_palettes_follow_polarity():
    worse = palettes.sequential(5, "worse")
    better = palettes.sequential(5, "better")
    assert worse == better[::-1]
    assert len(set(worse)) == 5
    assert worse[-1] == "#800026"  # the "worse" end (high values) is the strongest colour
    assert better[0] == "#800026"  # for higher-is-better, low values are the worse end


def test_diverging_palette_puts_increase_of_a_bad_thing_in_red():
    colours = palettes.diverging(2, 2, "worse")
    r, g, b = (int(colours[-1][i : i + 2], 16) for i in (1, 3, 5))
    assert r > b  # strongest increase: red
    r, g, b = (int(colours[0][i : i + 2], 16) for i in (1, 3, 5))
    assert b > r  # strongest decrease: blue


def test_natural_breaks_when_the_sample_has_fewer_distinct_values_than_classes():
    # Mostly zeros and ten other values: more distinct values than classes, but the
    # quantile sample natural breaks run on holds only four of them (a 500 on the map).
    values = np.r_[np.zeros(4990), np.arange(1.0, 11.0)]
    c = classify(values, "natural_breaks", 5)
    assert 2 <= c.k <= 5 and c.uppers[0] == 0.0 and c.uppers[-1] == 10.0
    assert c.counts[0] == 4990 and sum(c.counts) == 5000


def test_infinite_values_get_no_class_like_missing_ones():
    values = np.array([1.0, np.inf, 2.0, -np.inf, NAN, 3.0])
    for method in ("quantiles", "natural_breaks", "equal_interval", "std_mean"):
        c = classify(values, method, 3)
        assert c.classes[[1, 3, 4]].tolist() == [-1, -1, -1] and c.uppers[-1] == 3.0, method
        assert sum(c.counts) == 3 and c.lower == 1.0


def test_equal_interval_on_extreme_spreads():
    # mapclassify's np.arange fails on both ("Maximum allowed size exceeded", "cannot compute
    # length"); the classes must still cover the data.
    tiny = np.array([0.0, 5e-324, 1e-323, 1.5e-323])
    for values in (tiny, np.array([-1e308, 0.0, 1.0, 1e308])):
        c = classify(values, "equal_interval", 3)
        assert c.uppers[-1] == values.max() and sum(c.counts) == values.size
        assert all(np.isfinite(c.uppers))


def test_quantiles_collapsing_on_ties_give_the_frequent_value_its_own_class():
    # Issue 16: 4,149 of 5,000 blocks at 0 made quantiles collapse into "0,0" and
    # "über 0,0 bis 1.000,0" without a word. Now 0 is one class, the rest quantiles.
    rng = np.random.default_rng(7)
    values = np.r_[np.zeros(4149), rng.uniform(0.5, 1000, 851), [NAN] * 3]
    c = classify(values, "quantiles", 5)
    assert c.k == 5 and c.uppers[0] == 0.0
    assert c.counts[0] == 4149 and sum(c.counts) == 5000
    assert max(c.counts[1:]) - min(c.counts[1:]) <= 1  # quantiles of the other values
    assert c.fallback is not None
    assert (c.fallback.value, c.fallback.count, c.fallback.total) == (0.0, 4149, 5000)
    assert c.fallback.requested == 5 and c.fallback.collapsed < 5


def test_ties_at_the_top_or_in_the_middle_keep_classes_on_both_sides():
    rng = np.random.default_rng(8)
    top = classify(np.r_[np.full(800, 100.0), rng.uniform(0, 99, 200)], "quantiles", 5)
    assert top.uppers[-1] == 100.0 and top.counts[-1] == 800 and top.k == 5
    middle = np.r_[rng.uniform(-5, -0.1, 100), np.zeros(800), rng.uniform(0.1, 10, 100)]
    c = classify(middle, "quantiles", 5)
    assert c.k == 5 and 0.0 in c.uppers and c.counts[c.uppers.index(0.0)] == 800
    assert c.fallback is not None and c.fallback.value == 0.0


def test_quantiles_without_collapse_need_no_fallback():
    assert classify(np.arange(1.0, 101.0), "quantiles", 5).fallback is None
    assert (
        classify(np.r_[np.zeros(800), np.arange(1.0, 201.0)], "natural_breaks", 5).fallback is None
    )
