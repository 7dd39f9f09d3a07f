"""Segregation indices of one group against the rest: dissimilarity, isolation, interaction.

Plain numpy, vectorised over parent areas; the formulas are those of Massey & Denton
(1988) as implemented in PySAL's ``segregation`` package (``singlegroup.Dissim``,
``Isolation``, ``Interaction``), which the tests use as the reference.

With g = group count, t = total count and r = t − g per area, G, R their sums:

* dissimilarity D = ½ Σ |g_i/G − r_i/R|  (share of the group that would have to move)
* isolation xPx = Σ (g_i/G)(g_i/t_i)        (group share in the area of an average member)
* interaction xPy = Σ (g_i/G)(r_i/t_i)      (= 1 − xPx)

Areas whose total is 0 or missing, or whose group count is missing, are ignored.
An index that is undefined (no group members, or for D also no one else) is NaN
rather than an error, so one empty Stadtbezirk does not stop a city-wide table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quartier.errors import QuartierError


@dataclass
class SegregationResult:
    """Indices for one territory; ``areas`` counts the areas used (total > 0)."""

    dissimilarity: float
    isolation: float
    interaction: float
    areas: int
    group_total: float
    total: float


def segregation_indices(group: np.ndarray, total: np.ndarray) -> SegregationResult:
    """Dissimilarity, isolation and interaction of ``group`` within ``total`` over all areas.

    ``group[i]`` counts the group in area ``i`` (e.g. children in SGB II households),
    ``total[i]`` everybody of the reference population there (e.g. all children).
    """
    group = np.asarray(group, dtype=np.float64)
    return by_parent(group, total, np.zeros(group.shape, dtype=np.int64), 1)[0]


def by_parent(
    group: np.ndarray, total: np.ndarray, parent_index: np.ndarray, n_parents: int
) -> list[SegregationResult]:
    """The indices within each parent area (e.g. per Stadtbezirk).

    ``parent_index[i]`` is the position (0..n_parents−1) of area ``i``'s parent; the
    result has one entry per parent, in that order. A parent without usable areas
    gets ``areas=0`` and NaN indices.
    """
    g, t, parent = _checked(group, total, parent_index, n_parents)
    r = t - g

    def per_parent(weights: np.ndarray) -> np.ndarray:
        # float even with no areas at all: bincount then returns ints, which cannot hold NaN
        return np.bincount(parent, weights=weights, minlength=n_parents).astype(np.float64)

    areas = np.bincount(parent, minlength=n_parents)
    g_sum, r_sum, t_sum = per_parent(g), per_parent(r), per_parent(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Each area's shares of its own parent's totals; 0/0 turns into NaN below.
        g_share = g / g_sum[parent]
        r_share = r / r_sum[parent]
        dissimilarity = 0.5 * per_parent(np.abs(g_share - r_share))
        isolation = per_parent(g_share * g / t)
        interaction = per_parent(g_share * r / t)
    undefined_g = g_sum <= 0
    dissimilarity[undefined_g | (r_sum <= 0)] = np.nan
    isolation[undefined_g] = np.nan
    interaction[undefined_g] = np.nan
    return [
        SegregationResult(
            float(dissimilarity[p]),
            float(isolation[p]),
            float(interaction[p]),
            int(areas[p]),
            float(g_sum[p]),
            float(t_sum[p]),
        )
        for p in range(n_parents)
    ]


def _checked(group, total, parent_index, n_parents) -> tuple[np.ndarray, ...]:
    """Validate the input and keep only usable areas (total > 0, both counts known)."""
    g = np.asarray(group, dtype=np.float64).ravel()
    t = np.asarray(total, dtype=np.float64).ravel()
    parent = np.asarray(parent_index).ravel()
    if not (g.size == t.size == parent.size):
        raise QuartierError(
            "Gruppe, Gesamtzahl und Zuordnung müssen je Gebiet einen Wert haben. / "
            "group, total and parent_index differ in length."
        )
    if n_parents < 1 or (parent.size and (parent.min() < 0 or parent.max() >= n_parents)):
        raise QuartierError(
            "Die Zuordnung zu übergeordneten Gebieten ist ungültig. / parent_index out of range."
        )
    if (g < 0).any() or (t < 0).any():  # NaN compares False, so missing values pass here
        raise QuartierError("Anzahlen dürfen nicht negativ sein. / Counts must not be negative.")
    usable = ~np.isnan(g) & ~np.isnan(t) & (t > 0)
    g, t, parent = g[usable], t[usable], parent[usable].astype(np.int64)
    if (g > t).any():
        first = int(np.flatnonzero(usable)[np.argmax(g > t)])
        raise QuartierError(
            f"Im Gebiet an Position {first} ist die Gruppe größer als die Gesamtzahl. / "
            "group exceeds total."
        )
    return g, t, parent
