"""Speed of the analysis core for 5,000 areas × 10 indicators (target: each ≤ 2 s on 2 cores).

Builds a seeded city of 5,000 Voronoi areas (dense centre, sparse outskirts, clipped
to a disc) and 10 spatially smoothed random indicators, then times: queen contiguity,
typology (k-means k=6 and Ward k=6), Moran's I and LISA with 999 permutations after
warm_up(), segregation indices (city and per parent area) and a rule evaluation.
Prints the first call (includes lazy imports) and the median of repeated calls.

Usage: python bench/analyses.py
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
import shapely

from quartier.core import autocorrelation, rules, segregation, typology

N_AREAS, N_INDICATORS, N_PERIODS, SEED = 5000, 10, 5, 20240
TARGET_S = 2.0
REPEATS = 3


def city(seed: int = SEED) -> np.ndarray:
    """5,000 convex Voronoi cells, denser towards the centre, like a city's blocks."""
    rng = np.random.default_rng(seed)
    points = []
    while len(points) < N_AREAS:
        centre = rng.normal(0, 3000, size=(N_AREAS, 2))
        outskirts = rng.uniform(-10000, 10000, size=(N_AREAS, 2))
        candidates = np.vstack([centre, outskirts])
        inside = np.hypot(candidates[:, 0], candidates[:, 1]) < 9500
        points = candidates[inside][:N_AREAS]
    boundary = shapely.Point(0, 0).buffer(10000, quad_segs=64)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=boundary)
    cells = np.asarray(shapely.get_parts(cells), dtype=object)
    return shapely.intersection(cells, boundary)


def smooth_indicators(neighbours: list[list[int]], seed: int = SEED) -> np.ndarray:
    """10 indicators: white noise averaged over neighbours a few times (spatial clustering)."""
    from scipy import sparse

    rows = np.repeat(np.arange(len(neighbours)), [len(n) for n in neighbours])
    cols = np.concatenate([np.asarray(n, dtype=np.int64) for n in neighbours])
    adjacency = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(N_AREAS,) * 2)
    adjacency = adjacency + sparse.identity(N_AREAS, format="csr")
    adjacency = sparse.diags(1 / np.asarray(adjacency.sum(axis=1)).ravel()) @ adjacency
    values = np.random.default_rng(seed).normal(size=(N_AREAS, N_INDICATORS))
    for _ in range(4):
        values = adjacency @ values
    return values * 10 + 50


def timed(label: str, func, repeats: int = REPEATS) -> None:
    """Print the first call and the median of further calls, with the 2-s verdict."""
    started = time.perf_counter()
    func()
    first = time.perf_counter() - started
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        runs.append(time.perf_counter() - started)
    median = statistics.median(runs)
    verdict = "yes" if median <= TARGET_S else "NO"
    print(
        f"{label:<40} median {median * 1000:8.1f} ms   first call {first * 1000:8.1f} ms   "
        f"≤ {TARGET_S:.0f} s: {verdict}"
    )


def main() -> None:
    print(f"{N_AREAS:,} areas × {N_INDICATORS} indicators, {os.cpu_count()} CPUs")
    started = time.perf_counter()
    polygons = city()
    print(f"{'(setup) Voronoi city':<40} {time.perf_counter() - started:8.3f} s")
    timed("queen_neighbours", lambda: autocorrelation.queen_neighbours(polygons))
    neighbours = autocorrelation.queen_neighbours(polygons)
    matrix = smooth_indicators(neighbours)

    timed("typology kmeans k=6", lambda: typology.typology(matrix, "kmeans", k=6))
    timed("typology ward k=6", lambda: typology.typology(matrix, "ward", k=6))

    started = time.perf_counter()
    autocorrelation.warm_up()
    print(f"{'(once at server start) warm_up':<40} {time.perf_counter() - started:8.3f} s")
    values = matrix[:, 0]
    timed("moran 999 permutations", lambda: autocorrelation.moran(values, neighbours))
    timed("lisa 999 permutations", lambda: autocorrelation.lisa(values, neighbours))
    result = autocorrelation.lisa(values, neighbours)
    kinds, counts = np.unique(result.quadrant, return_counts=True)
    print("   lisa quadrants:", dict(zip(kinds.tolist(), counts.tolist(), strict=True)))

    rng = np.random.default_rng(SEED)
    total = rng.poisson(300, N_AREAS).astype(float)
    share = 1 / (1 + np.exp(-(matrix[:, 1] - 50) / 5))
    group = rng.binomial(total.astype(int), share * 0.4).astype(float)
    parent = np.arange(N_AREAS) % 50
    timed("segregation_indices", lambda: segregation.segregation_indices(group, total))
    timed(
        "segregation by_parent (50 parents)",
        lambda: segregation.by_parent(group, total, parent, 50),
    )

    drift = rng.normal(0.5, 1, size=(N_PERIODS, N_AREAS)).cumsum(axis=0)
    z = (matrix[:, 2] - matrix[:, 2].mean()) / matrix[:, 2].std()
    series = {"kinderarmut": 15 * np.exp(0.5 * z) + drift}  # skewed, like poverty rates
    city_values = {"kinderarmut": np.nanmean(series["kinderarmut"], axis=1)}
    rule = rules.Rule(
        (
            rules.Condition("kinderarmut", ">=", 1.5, relative_to_city=True),
            rules.Condition("kinderarmut", "rising", periods=2),
        )
    )
    timed(
        "rules.evaluate (≥1.5×city AND rising)", lambda: rules.evaluate(rule, series, city_values)
    )
    flags = rules.evaluate(rule, series, city_values)
    print(f"   flagged areas: {int((flags == 1).sum())}")


if __name__ == "__main__":
    main()
