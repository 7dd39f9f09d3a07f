"""One rounding rule for every output: half away from zero, as printed numbers are rounded.

Python's ``round`` (half to even on the binary value) and Django's number
formatting (which truncates) disagree on values such as 14.15; maps, tables,
profiles and exports must show the same digits, so they all round here first.
A relative nudge of 1e-9 makes binary values like 14.1499999… (the float
nearest to 14.15) round like the decimal they stand for.
"""

from __future__ import annotations

import math

import numpy as np

_NUDGE = 1e-9


def round_half_up(value: float | None, decimals: int = 0) -> float | None:
    """``value`` rounded to ``decimals`` places; None for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    scale = 10.0**decimals
    magnitude = math.floor(abs(value) * scale * (1 + _NUDGE) + 0.5) / scale
    return math.copysign(magnitude, value) if magnitude else 0.0


def round_half_up_array(values: np.ndarray, decimals: int = 0) -> np.ndarray:
    """Vectorised :func:`round_half_up` (NaN stays NaN)."""
    scale = 10.0**decimals
    values = np.asarray(values, dtype=np.float64)
    magnitude = np.floor(np.abs(values) * scale * (1 + _NUDGE) + 0.5) / scale
    return np.where(magnitude == 0, 0.0, np.copysign(magnitude, values))
