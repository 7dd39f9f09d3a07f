"""Aggregation of small-area values to coarser areas — plain numpy, no Django.

The rules (ARCHITECTURE.md, principle 1):

* counts are summed;
* a rate is Σ numerator ÷ Σ denominator × factor — never a mean of rates;
* a non-additive value ("other") is a weighted mean only when a weight count is
  given, and is not aggregated otherwise.

Missing values are NaN. A coarse area's value uses the children that have data;
``coverage`` tells for each coarse area how many of its children had data, so an
output can mark incomplete sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Aggregate:
    """Values of the coarse areas plus how many children contributed to each."""

    values: np.ndarray
    children: np.ndarray
    coverage: np.ndarray

    @property
    def complete(self) -> np.ndarray:
        """True where every child of the coarse area had a value."""
        return self.coverage == self.children


def _checked_groups(groups: np.ndarray, n_groups: int, size: int) -> np.ndarray:
    groups = np.asarray(groups, dtype=np.int64)
    if groups.shape != (size,):
        raise ValueError("groups must have one entry per child value")
    if size and (groups.min() < 0 or groups.max() >= n_groups):
        raise ValueError("group index out of range")
    return groups


def sum_counts(values: np.ndarray, groups: np.ndarray, n_groups: int) -> Aggregate:
    """Sum child counts into ``n_groups`` coarse areas.

    ``groups[i]`` is the position of child ``i``'s coarse area. A coarse area
    without any child value is NaN (unknown), not 0.
    """
    values = np.asarray(values, dtype=np.float64)
    groups = _checked_groups(groups, n_groups, values.size)
    present = ~np.isnan(values)
    sums = np.bincount(groups[present], weights=values[present], minlength=n_groups)
    coverage = np.bincount(groups[present], minlength=n_groups)
    children = np.bincount(groups, minlength=n_groups)
    sums = sums.astype(np.float64)
    sums[coverage == 0] = np.nan
    return Aggregate(sums, children, coverage)


def rate(numerator: np.ndarray, denominator: np.ndarray, factor: float) -> np.ndarray:
    """Numerator ÷ denominator × factor; NaN where either is missing or the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(numerator.shape, np.nan)
    ok = ~np.isnan(numerator) & ~np.isnan(denominator) & (denominator != 0)
    out[ok] = numerator[ok] / denominator[ok] * factor
    return out


def aggregate_rate(
    numerator: np.ndarray,
    denominator: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    factor: float,
) -> tuple[np.ndarray, Aggregate, Aggregate]:
    """Recompute a rate for coarse areas from summed numerators and denominators.

    Only children where *both* parts are known contribute, so a missing
    numerator cannot bias the coarse rate. Returns (rates, numerator sums,
    denominator sums).
    """
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    both = ~np.isnan(numerator) & ~np.isnan(denominator)
    num = sum_counts(np.where(both, numerator, np.nan), groups, n_groups)
    den = sum_counts(np.where(both, denominator, np.nan), groups, n_groups)
    return rate(num.values, den.values, factor), num, den


def weighted_mean(
    values: np.ndarray, weights: np.ndarray, groups: np.ndarray, n_groups: int
) -> Aggregate:
    """Weighted mean of a non-additive value (e.g. mean age weighted by residents)."""
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    groups = _checked_groups(groups, n_groups, values.size)
    ok = ~np.isnan(values) & ~np.isnan(weights) & (weights > 0)
    weighted = np.bincount(groups[ok], weights=values[ok] * weights[ok], minlength=n_groups)
    total = np.bincount(groups[ok], weights=weights[ok], minlength=n_groups)
    out = np.full(n_groups, np.nan)
    nonzero = total > 0
    out[nonzero] = weighted[nonzero] / total[nonzero]
    coverage = np.bincount(groups[ok], minlength=n_groups)
    children = np.bincount(groups, minlength=n_groups)
    return Aggregate(out, children, coverage)
