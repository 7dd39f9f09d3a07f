"""One rounding rule for every output: half away from zero, as printed numbers are rounded.

Python's ``round`` (half to even on the binary value) and Django's number
formatting (which truncates) disagree on values such as 14.15; maps, tables,
profiles and exports must show the same digits, so they all round here first.
A relative nudge of 1e-9 makes binary values like 14.1499999… (the float
nearest to 14.15) round like the decimal they stand for. The nudge is capped at a
millionth of the last shown digit: uncapped, it grew with the value and moved large
numbers by whole digits (12,345,678.00 with two decimals came out as …678.01).
"""

from __future__ import annotations

import math

import numpy as np

_NUDGE = 1e-9
_MAX_NUDGE = 1e-6  # in units of the last shown digit


def round_half_up(value: float | None, decimals: int = 0) -> float | None:
    """``value`` rounded to ``decimals`` places; None for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    scale = 10.0**decimals
    scaled = abs(value) * scale
    magnitude = math.floor(scaled + min(scaled * _NUDGE, _MAX_NUDGE) + 0.5) / scale
    return math.copysign(magnitude, value) if magnitude else 0.0


def round_half_up_array(values: np.ndarray, decimals: int = 0) -> np.ndarray:
    """Vectorised :func:`round_half_up` (NaN stays NaN)."""
    scale = 10.0**decimals
    values = np.asarray(values, dtype=np.float64)
    scaled = np.abs(values) * scale
    magnitude = np.floor(scaled + np.minimum(scaled * _NUDGE, _MAX_NUDGE) + 0.5) / scale
    return np.where(magnitude == 0, 0.0, np.copysign(magnitude, values))
