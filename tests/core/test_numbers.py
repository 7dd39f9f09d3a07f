"""One rounding rule (half away from zero) for every output, small and large numbers alike."""

from __future__ import annotations

import numpy as np
import pytest

from quartier.core.numbers import round_half_up, round_half_up_array

CASES = [
    (14.15, 1, 14.2),  # the float nearest to 14.15 is 14.1499999…: rounds as the decimal
    (-14.15, 1, -14.2),
    (999.995, 2, 1000.0),
    (0.285, 2, 0.29),
    (100 * 283 / 1000, 1, 28.3),
    (2.5, 0, 3.0),
    (-0.4, 0, 0.0),
    # Large numbers keep their digits: the nudge once grew with the value.
    (12_345_678.0, 2, 12_345_678.0),
    (10_000_000.0, 2, 10_000_000.0),
    (500_000_000.0, 1, 500_000_000.0),
    (2_000_000_000.0, 0, 2_000_000_000.0),
    (75_562_393_358_550.7, 2, 75_562_393_358_550.7),
    (1_234_567.004, 2, 1_234_567.0),
    (1_234_567.005, 2, 1_234_567.01),
]


@pytest.mark.parametrize(("value", "decimals", "expected"), CASES)
def test_round_half_up(value, decimals, expected):
    assert round_half_up(value, decimals) == expected


@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
def test_the_array_version_rounds_alike(decimals):
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            [value for value, _d, _e in CASES],
            rng.uniform(-1e4, 1e4, 2000).round(decimals + 1),
            10 ** rng.uniform(-3, 14, 2000),
        ]
    )
    expected = [round_half_up(float(v), decimals) for v in values]
    assert round_half_up_array(values, decimals).tolist() == expected
    assert np.isnan(round_half_up_array(np.array([np.nan]), decimals)[0])
