"""The generic composite index builder: standardisation, combination, classes, edge cases."""

import numpy as np
import pytest

from quartier.core.indices import (
    Component,
    IndexSpec,
    classify_quantiles,
    classify_sd,
    compute_index,
    standardise,
)
from quartier.errors import QuartierError

NAN = np.nan
MSS_INCLUSIVE = ("left", "both", "right", "right")


def spec(*components, **kw):
    return IndexSpec(components=tuple(components), **kw)


# --- standardise -------------------------------------------------------------------------------


def test_z_uses_population_sd_by_default_and_ignores_nan():
    z = standardise(np.array([1.0, 3.0, NAN]), "z")
    assert z[:2].tolist() == [-1.0, 1.0] and np.isnan(z[2])


def test_z_with_sample_sd():
    z = standardise(np.array([1.0, 3.0]), "z", ddof=1)
    np.testing.assert_allclose(z, [-1 / np.sqrt(2), 1 / np.sqrt(2)])


def test_mask_restricts_the_statistics():
    x = np.array([1.0, 3.0, 100.0])
    z = standardise(x, "z", 0, mask=np.array([True, True, False]))
    assert z[:2].tolist() == [-1.0, 1.0] and np.isnan(z[2])


def test_minmax_and_rank():
    x = np.array([2.0, 4.0, 10.0, NAN, 4.0])
    np.testing.assert_allclose(standardise(x, "minmax")[[0, 1, 2, 4]], [0, 0.25, 1, 0.25])
    # average ranks 1, 2.5, 4, 2.5 → (r - 1) / 3
    np.testing.assert_allclose(standardise(x, "rank")[[0, 1, 2, 4]], [0, 0.5, 1, 0.5])


def test_constant_values_raise_for_z_and_minmax_but_rank_is_defined():
    for method in ("z", "minmax"):
        with pytest.raises(QuartierError, match="„S1“.*denselben Wert"):
            standardise(np.full(4, 7.0), method, name="S1")
    np.testing.assert_allclose(standardise(np.full(4, 7.0), "rank"), 0.5)


def test_fewer_than_two_values_and_unknown_method():
    with pytest.raises(QuartierError, match="mindestens zwei Gebiete"):
        standardise(np.array([1.0, NAN]), "z")
    with pytest.raises(QuartierError, match="Unbekannte Standardisierung"):
        standardise(np.array([1.0, 2.0]), "t")


# --- compute_index ----------------------------------------------------------------------------


def test_sum_of_z_scores_is_restandardised():
    a = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    b = np.array([5.0, 3.0, 4.0, 1.0, 2.0])
    r = compute_index({"a": a, "b": b}, spec(Component("a"), Component("b")))
    raw = (a - a.mean()) / a.std() + (b - b.mean()) / b.std()
    np.testing.assert_allclose(r.raw, raw, atol=1e-12)
    np.testing.assert_allclose(r.score, (raw - raw.mean()) / raw.std(), atol=1e-12)
    assert r.mean == pytest.approx(0.0, abs=1e-12) and r.sd == pytest.approx(raw.std())
    assert r.included.all() and set(r.standardised) == {"a", "b"}


def test_missing_component_and_excluded_area_take_no_part():
    a = np.array([1.0, 2.0, 3.0, NAN, 5.0, 1000.0])
    b = np.array([2.0, 1.0, 4.0, 3.0, 5.0, 1000.0])
    exclude = np.array([False, False, False, False, False, True])
    r = compute_index({"a": a, "b": b}, spec(Component("a"), Component("b")), exclude)
    assert r.included.tolist() == [True, True, True, False, True, False]
    assert np.isnan(r.score[[3, 5]]).all() and r.classes[[3, 5]].tolist() == [0, 0]
    # the statistics are those of the four participating areas only
    keep = r.included
    za = (a[keep] - a[keep].mean()) / a[keep].std()
    np.testing.assert_allclose(r.standardised["a"][keep], za)
    assert r.class_labels()[3] is None


def test_direction_minus_one_reverses_the_component():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    up = compute_index({"x": x}, spec(Component("x")))
    down = compute_index({"x": x}, spec(Component("x", direction=-1)))
    np.testing.assert_allclose(down.score, -up.score)
    mm = compute_index(
        {"x": x}, spec(Component("x", -1), standardise="minmax", restandardise=False)
    )
    np.testing.assert_allclose(mm.score, 1 - (x - 1) / 7)


def test_weights_in_sum_and_mean():
    a = np.array([0.0, 1.0, 2.0])
    b = np.array([2.0, 0.0, 1.0])
    comps = (Component("a", weight=3.0), Component("b", weight=1.0))
    s = compute_index({"a": a, "b": b}, IndexSpec(comps, "minmax", "sum", False, "none"))
    np.testing.assert_allclose(s.score, 3 * a / 2 + b / 2)
    m = compute_index({"a": a, "b": b}, IndexSpec(comps, "minmax", "mean", False, "none"))
    np.testing.assert_allclose(m.score, (3 * a / 2 + b / 2) / 4)
    assert m.classes.tolist() == [0, 0, 0] and m.labels == []


def test_rank_standardisation_in_an_index():
    a = np.array([10.0, 30.0, 20.0, 40.0])
    r = compute_index({"a": a}, spec(Component("a"), standardise="rank", restandardise=False))
    np.testing.assert_allclose(r.score, [0, 2 / 3, 1 / 3, 1])


def test_constant_component_names_the_indicator():
    values = {"S1": np.array([1.0, 2.0, 3.0]), "S3": np.array([4.0, 4.0, 4.0])}
    with pytest.raises(QuartierError, match="„S3“"):
        compute_index(values, spec(Component("S1"), Component("S3")))


def test_constant_after_exclusion_also_raises():
    values = {"a": np.array([1.0, 1.0, 9.0])}
    with pytest.raises(QuartierError, match="denselben Wert"):
        compute_index(values, spec(Component("a")), np.array([False, False, True]))


def test_perfectly_opposed_components_give_a_constant_sum():
    x = np.array([1.0, 2.0, 3.0])
    values = {"a": x, "b": x}
    with pytest.raises(QuartierError, match="Indexsumme"):
        compute_index(values, spec(Component("a"), Component("b", direction=-1)))


def test_bad_input_gets_german_messages():
    x = np.array([1.0, 2.0, 3.0])
    cases = [
        ({"a": x}, spec(Component("b")), "fehlen die Werte"),
        ({"a": x, "b": x[:2]}, spec(Component("a"), Component("b")), "dieselben Gebiete"),
        ({"a": x}, spec(Component("a", direction=2)), "Richtung"),
        ({"a": x}, spec(Component("a", weight=-1)), "Gewicht"),
        ({"a": x}, spec(Component("a", weight=0)), "Gewicht über 0"),
        ({"a": x}, spec(Component("a"), Component("a")), "nur einmal"),
        ({"a": x}, spec(), "mindestens einen Indikator"),
        ({"a": x}, spec(Component("a"), combine="max"), "Verknüpfung"),
        ({"a": x}, spec(Component("a"), classify="jenks"), "Klassenbildung"),
        ({"a": x}, spec(Component("a"), labels=("a", "b")), "4 Klassenbezeichnungen"),
    ]
    for values, s, message in cases:
        with pytest.raises(QuartierError, match=message):
            compute_index(values, s)
    with pytest.raises(QuartierError, match="Ausschlussliste"):
        compute_index({"a": x}, spec(Component("a")), np.array([True]))


def test_labels_and_counts():
    x = np.array([-3.0, -2.0, 0.0, 0.0, 0.0, 0.0, 2.0, 3.0])
    labels = ("hoch", "mittel", "niedrig", "sehr niedrig")
    r = compute_index({"x": x}, spec(Component("x"), labels=labels))
    assert r.labels == list(labels)
    assert sum(r.counts().values()) == 8 and list(r.counts()) == list(labels)
    assert r.class_labels()[0] == "hoch" and r.class_labels()[-1] == "sehr niedrig"
    default = compute_index({"x": x}, spec(Component("x")))
    assert default.labels == ["Klasse 1", "Klasse 2", "Klasse 3", "Klasse 4"]


def test_values_exactly_on_the_mss_boundaries():
    # mean 0, population SD 2: z = x / 2 exactly, so -2 → -1 SD, 2 → +1 SD, 3 → +1.5 SD.
    x = np.array([3.0, -3.0, 2.0, -2.0, 1.0, -1.0, 0.0])
    r = compute_index({"x": x}, spec(Component("x")))
    np.testing.assert_array_equal(r.score, x / 2)
    assert r.classes.tolist() == [3, 1, 2, 2, 2, 2, 2]


def test_sd_classes_without_restandardisation_use_the_sd_of_the_score():
    x = np.array([3.0, -3.0, 2.0, -2.0, 1.0, -1.0, 0.0]) + 10
    r = compute_index({"x": x}, spec(Component("x"), standardise="minmax", restandardise=False))
    assert r.classes.tolist() == [3, 1, 2, 2, 2, 2, 2]
    np.testing.assert_allclose(r.score, (x - 7) / 6)


def test_quantile_classes_in_an_index():
    x = np.arange(1.0, 9.0)
    r = compute_index({"x": x}, spec(Component("x"), classify="quantiles", quantiles=4))
    assert r.classes.tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert r.labels == ["Klasse 1", "Klasse 2", "Klasse 3", "Klasse 4"]


# --- classify_sd / classify_quantiles ----------------------------------------------------------


def test_classify_sd_mss_rules_on_and_beside_every_boundary():
    x = np.array([-1.0001, -1.0, -0.9999, 0.9999, 1.0, 1.0001, 1.4999, 1.5, 1.5001, NAN])
    c = classify_sd(x, (-1.0, 1.0, 1.5), MSS_INCLUSIVE)
    assert c.tolist() == [1, 2, 2, 2, 2, 3, 3, 3, 4, 0]


def test_classify_sd_other_boundary_rules():
    x = np.array([-1.0, 1.0, 1.5])
    # upper-inclusive everywhere (as mapclassify)
    assert classify_sd(x, (-1, 1, 1.5), ("right", "right", "right", "right")).tolist() == [1, 2, 3]
    # lower-inclusive everywhere
    assert classify_sd(x, (-1, 1, 1.5), ("left", "left", "left", "left")).tolist() == [2, 3, 4]
    # three dynamic classes
    assert classify_sd(x, (-1, 1), ("left", "both", "right")).tolist() == [2, 2, 3]


def test_floating_point_noise_does_not_decide_a_class():
    x = np.array([1.0 - 1e-15, -1.0 - 1e-15, 1.5 + 1e-15])
    assert classify_sd(x, (-1.0, 1.0, 1.5), MSS_INCLUSIVE).tolist() == [2, 2, 3]


def test_classify_sd_rejects_inconsistent_rules():
    with pytest.raises(QuartierError, match="beiden Klassen"):
        classify_sd(np.zeros(2), (-1, 1), ("both", "both", "right"))
    with pytest.raises(QuartierError, match="keiner Klasse"):
        classify_sd(np.zeros(2), (-1, 1), ("left", "neither", "right"))
    with pytest.raises(QuartierError, match="Randregeln"):
        classify_sd(np.zeros(2), (-1, 1), ("left", "both"))
    with pytest.raises(QuartierError, match="aufsteigend"):
        classify_sd(np.zeros(2), (1, -1), ("left", "both", "right"))
    with pytest.raises(QuartierError, match="„left“"):
        classify_sd(np.zeros(2), (-1, 1), ("left", "closed", "right"))


def test_classify_quantiles_upper_inclusive_with_nan_and_ties():
    x = np.array([1.0, 2.0, 3.0, 4.0, NAN, 5.0, 6.0, 7.0, 8.0])
    assert classify_quantiles(x, 4).tolist() == [1, 1, 2, 2, 0, 3, 3, 4, 4]
    # ties: repeated breaks merge, every value still gets a class
    ties = classify_quantiles(np.array([1.0, 1.0, 1.0, 1.0, 2.0]), 4)
    assert ties.min() >= 1 and ties[-1] > ties[0]
    assert classify_quantiles(np.array([NAN, NAN]), 4).tolist() == [0, 0]
    with pytest.raises(QuartierError, match="mindestens zwei Klassen"):
        classify_quantiles(x, 1)


def test_break_rules_in_planners_notation():
    from quartier.core.indices import format_break_rules, parse_break_rules

    breaks, inclusive = parse_break_rules("< −1; ≤ 1; <= 1,5")
    assert breaks == (-1.0, 1.0, 1.5) and inclusive == ("left", "both", "right", "right")
    assert format_break_rules(breaks, inclusive) == "< -1; ≤ 1; ≤ 1,5"
    x = np.array([-1.0, 0.5, 1.0, 1.2, 1.5, 2.0])
    np.testing.assert_array_equal(classify_sd(x, breaks, inclusive), [2, 2, 2, 3, 3, 4])
    b, inc = parse_break_rules("≤ 0; < 2")  # 0 stays low, 2 goes up
    np.testing.assert_array_equal(classify_sd(np.array([0.0, 2.0, 1.0]), b, inc), [1, 3, 2])
    for bad in ("", "1; 2", "< a", "< 2; < 1"):
        with pytest.raises(QuartierError):
            parse_break_rules(bad)
