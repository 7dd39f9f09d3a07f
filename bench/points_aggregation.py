"""Point microdata to small-area counts: 1,000,000 points → 5,000 blocks and 4 coarser levels.

Builds ~5,000 Voronoi "Baublöcke" from seeded random seeds in a 15 × 12 km box
(EPSG:25832 coordinates), groups them into 4 coarser levels by index (blocks are numbered
along west-east strips, so neighbours share parents), and times

* quartier.core.points: assign_points once to the blocks, then sum_up to every level
  (median of 3 runs; target ≤ 5 s on 2 cores), against
* geopandas.sjoin(points, level, predicate="within") run once per level, plus counting
  (the coarser levels are dissolved beforehand; the dissolve is not timed).

Usage: python bench/points_aggregation.py [n_points]
"""

from __future__ import annotations

import statistics
import sys
import time

import geopandas as gpd
import numpy as np
import shapely

from quartier.core.points import assign_points, sum_up

SEED = 20240611
N_BLOCKS = 5_000
GROUPS = [20, 5, 5, 5]  # blocks per Stadtviertel, then 5 children per coarser area
X0, Y0, WIDTH, HEIGHT = 350_000.0, 5_650_000.0, 15_000.0, 12_000.0
CRS = "EPSG:25832"


def blocks(rng: np.random.Generator) -> np.ndarray:
    """Voronoi cells of random seeds, clipped to the box, in strip order."""
    x = X0 + rng.random(N_BLOCKS) * WIDTH
    y = Y0 + rng.random(N_BLOCKS) * HEIGHT
    strip = np.floor((y - Y0) / 600.0)  # 20 strips of 600 m; west to east within each
    order = np.lexsort((np.where(strip % 2, -x, x), strip))
    seeds = shapely.multipoints(np.c_[x[order], y[order]])
    frame = shapely.box(X0, Y0, X0 + WIDTH, Y0 + HEIGHT)
    cells = shapely.voronoi_polygons(seeds, extend_to=frame, ordered=True)
    return shapely.intersection(shapely.get_parts(cells), frame)


def hierarchy() -> tuple[list[np.ndarray], list[int]]:
    """parents[k][i] = parent of area i of level k; sizes of all levels."""
    sizes = [N_BLOCKS]
    for group in GROUPS:
        sizes.append(-(-sizes[-1] // group))
    parents = [np.arange(sizes[k]) // GROUPS[k] for k in range(len(GROUPS))]
    return parents, sizes


def ours(x, y, cells, parents, sizes) -> tuple[float, list[np.ndarray]]:
    """Median seconds of 3 runs of assign_points + sum_up, and the counts."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        assignment = assign_points(x, y, cells)
        counts = sum_up(assignment.area_index, parents, sizes)
        times.append(time.perf_counter() - start)
    return statistics.median(times), counts


def level_frames(cells, parents, sizes) -> list[gpd.GeoDataFrame]:
    """The blocks and each coarser level dissolved from them (not timed)."""
    frames = [gpd.GeoDataFrame({"area": np.arange(sizes[0])}, geometry=cells, crs=CRS)]
    for parent in parents:
        child = frames[-1].assign(area=parent[frames[-1]["area"].to_numpy()])
        frames.append(child.dissolve(by="area").reset_index())
    return frames


def geopandas_per_level(x, y, frames) -> tuple[float, float, list[np.ndarray]]:
    """Seconds to build the point frame, seconds of sjoin + counting for all levels, counts."""
    start = time.perf_counter()
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=CRS)
    build = time.perf_counter() - start
    counts = []
    start = time.perf_counter()
    for frame in frames:
        joined = gpd.sjoin(points, frame, predicate="within", how="inner")
        counts.append(np.bincount(joined["area"].to_numpy(), minlength=len(frame)))
    return build, time.perf_counter() - start, counts


def main() -> None:
    """Build the test city, time both ways, print the figures."""
    n_points = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = np.random.default_rng(SEED)
    cells = blocks(rng)
    parents, sizes = hierarchy()
    x = X0 + rng.random(n_points) * WIDTH
    y = Y0 + rng.random(n_points) * HEIGHT

    seconds, counts = ours(x, y, cells, parents, sizes)
    frames = level_frames(cells, parents, sizes)
    build, joined, reference = geopandas_per_level(x, y, frames)
    agree = all(np.array_equal(a, b) for a, b in zip(counts, reference, strict=True))

    levels = " / ".join(f"{s:,}" for s in sizes)
    print(f"areas per level: {levels}; points outside: {n_points - int(counts[0].sum()):,}")
    print(f"counts agree with geopandas on every level: {'yes' if agree else 'NO'}")
    print(f"geopandas point frame built in {build:.1f} s (not included below)")
    print(
        f"{n_points:,} points → {len(cells):,} blocks and {len(GROUPS)} coarser levels: "
        f"{seconds:.2f} s (target ≤ 5 s); geopandas.sjoin per level: {joined:.1f} s; "
        f"ratio {joined / seconds:.1f}×"
    )


if __name__ == "__main__":
    main()
