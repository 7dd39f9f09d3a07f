"""Rule-based flags (Handlungsbedarf) against a plain per-area computation."""

import numpy as np
import pytest

from quartier.core.rules import Condition, Rule, evaluate
from quartier.errors import QuartierError

NAN = np.nan
# The example of the issue: child poverty ≥ 1.5 × city value AND rising over two years.
CHILD_POVERTY = Rule(
    (
        Condition("kinderarmut", ">=", 1.5, relative_to_city=True),
        Condition("kinderarmut", "rising", periods=2),
    )
)


def _reference_child_poverty(values, city):
    """Per area, with explicit three-valued logic: 1, 0 or -1."""
    out = []
    for a in range(values.shape[1]):
        last3 = values[-3:, a]
        high = None if np.isnan(values[-1, a]) else bool(values[-1, a] >= 1.5 * city[-1])
        rising = None if np.isnan(last3).any() else bool(last3[0] < last3[1] < last3[2])
        if high is False or rising is False:
            out.append(0)
        elif high is None or rising is None:
            out.append(-1)
        else:
            out.append(1)
    return np.array(out)


def test_child_poverty_example_against_plain_computation():
    rng = np.random.default_rng(11)
    values = rng.uniform(5, 40, size=(5, 300)).cumsum(axis=0) / np.arange(1, 6)[:, None]
    values[rng.random(values.shape) < 0.05] = NAN
    city = np.array([14.0, 15.0, 15.5, 16.0, 16.5])
    flags = evaluate(CHILD_POVERTY, {"kinderarmut": values}, {"kinderarmut": city})
    expected = _reference_child_poverty(values, city)
    assert flags.tolist() == expected.tolist()
    assert {0, 1, -1} <= set(flags.tolist())  # the data exercise every outcome


def test_small_hand_example():
    values = np.array(
        [
            # areas: high+rising, high but falling, low+rising, high, last missing, old missing
            [20.0, 30.0, 5.0, 26.0, 20.0, NAN],
            [24.0, 28.0, 6.0, 25.0, 22.0, 10.0],
            [30.0, 27.0, 7.0, 25.0, NAN, 30.0],
        ]
    )
    city = np.array([10.0, 10.0, 20.0])  # threshold 1.5 × 20 = 30 in the last period
    flags = evaluate(CHILD_POVERTY, {"kinderarmut": values}, {"kinderarmut": city})
    # area 2 (index 1): 27 < 30 → 0; index 3: not rising → 0; index 4: last value missing → -1;
    # index 5: 30 ≥ 30 but the first of the three values is missing → -1.
    assert flags.tolist() == [1, 0, 0, 0, -1, -1]


def test_missing_values_only_matter_when_they_decide():
    values = np.array([[1.0, NAN], [2.0, NAN], [3.0, 99.0]])
    rule_all = Rule((Condition("x", ">", 50.0), Condition("x", "rising")))
    rule_any = Rule((Condition("x", ">", 50.0), Condition("x", "rising")), combine="any")
    # Area 0: "> 50" is false, so "all" is 0 regardless; area 1: rising unknown, > 50 true.
    assert evaluate(rule_all, {"x": values}, {}).tolist() == [0, -1]
    # "any": area 0 rising → 1; area 1 > 50 → 1 although the trend is unknown.
    assert evaluate(rule_any, {"x": values}, {}).tolist() == [1, 1]
    unknown = np.array([[NAN], [NAN], [10.0]])
    assert evaluate(rule_any, {"x": unknown}, {}).tolist() == [-1]


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [(">=", 2.0, [0, 1, 1]), (">", 2.0, [0, 0, 1]), ("<=", 2.0, [1, 1, 0]), ("<", 2.0, [1, 0, 0])],
)
def test_absolute_comparisons(op, value, expected):
    values = np.array([[9.0, 9.0, 9.0], [1.0, 2.0, 3.0]])
    assert evaluate(Rule((Condition("x", op, value),)), {"x": values}, {}).tolist() == expected


def test_falling_and_periods():
    values = np.array([[5.0, 5.0], [4.0, 6.0], [3.0, 4.0], [2.0, 3.0]])
    falling3 = Rule((Condition("x", "falling", periods=3),))
    falling1 = Rule((Condition("x", "falling", periods=1),))
    assert evaluate(falling3, {"x": values}, {}).tolist() == [1, 0]
    assert evaluate(falling1, {"x": values}, {}).tolist() == [1, 1]
    flat = np.array([[1.0], [1.0], [1.0]])
    assert evaluate(Rule((Condition("x", "rising"),)), {"x": flat}, {}).tolist() == [0]


def test_rising_relative_to_city_uses_the_ratio():
    # Both areas rise, but only the first faster than the city (ratio 1.0 → 1.1 → 1.2).
    values = np.array([[10.0, 10.0], [11.0, 10.5], [12.0, 10.8]])
    city = np.array([10.0, 10.0, 10.0 * 1.08])
    rule = Rule((Condition("x", "rising", relative_to_city=True),))
    assert evaluate(rule, {"x": values}, {"x": city}).tolist() == [1, 0]


def test_relative_without_factor_means_above_city_and_missing_city_is_unknown():
    values = np.array([[1.0, 3.0]])
    rule = Rule((Condition("x", ">", None, relative_to_city=True),))
    assert evaluate(rule, {"x": values}, {"x": np.array([2.0])}).tolist() == [0, 1]
    assert evaluate(rule, {"x": values}, {"x": np.array([NAN])}).tolist() == [-1, -1]


def test_several_indicators():
    series = {"a": np.array([[1.0, 5.0, 5.0]]), "b": np.array([[0.0, 0.0, 9.0]])}
    rule = Rule((Condition("a", ">", 2.0), Condition("b", ">", 2.0)))
    assert evaluate(rule, series, {}).tolist() == [0, 0, 1]


def test_invalid_rules():
    series = {"x": np.ones((2, 3))}
    cases = [
        (Rule((Condition("x", "==", 1.0),)), "Operator"),
        (Rule((Condition("y", ">", 1.0),)), "keine Werte"),
        (Rule((Condition("x", ">"),)), "Vergleichswert"),
        (Rule((Condition("x", ">", 1.0, relative_to_city=True),)), "Stadtwert"),
        (Rule((Condition("x", "rising", periods=2),)), "3 Zeitpunkte"),
        (Rule((Condition("x", "rising", 1.0),)), "keinen Vergleichswert"),
        (Rule((Condition("x", "rising", periods=0),)), "mindestens 1"),
        (Rule((Condition("x", ">", 1.0),), combine="xor"), "Verknüpfung"),
        (Rule(()), "keine Bedingung"),
    ]
    for rule, message in cases:
        with pytest.raises(QuartierError, match=message):
            evaluate(rule, series, {})
    with pytest.raises(QuartierError, match="unterschiedlich viele"):
        evaluate(
            Rule((Condition("x", ">", 0.0), Condition("y", ">", 0.0))),
            {"x": np.ones((1, 3)), "y": np.ones((1, 4))},
            {},
        )
