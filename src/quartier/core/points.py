"""Point microdata to small-area counts — plain numpy and shapely, no Django.

Address-level records (school-entry examinations, Kita waiting lists, youth-welfare
cases …) arrive as coordinates. :func:`assign_points` puts each point into exactly one
area of the finest level (e.g. Baublöcke); :func:`sum_up` then adds the counts up the
hierarchy by index arithmetic alone, so no coarser level needs a spatial join of its own.

Boundary rule: a point belongs to the polygon with the **lowest index among all
polygons that cover it** (interior or boundary, i.e. ``shapely.intersects``). A point on
an edge shared by blocks 7 and 12 therefore counts for block 7, a point on a vertex shared
by four blocks for the lowest of the four. The rule holds for overlapping polygons too.
Points with NaN or infinite coordinates, and points covered by no polygon, are outside.

How it is fast: instead of building a million shapely points and querying an STRtree,
points are bucketed into a regular grid (integer arithmetic), each polygon collects the
points of the grid cells its bounding box touches, and the exact test runs as one
vectorised ``shapely.intersects_xy`` call per *prepared* polygon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from quartier.errors import QuartierError

# Points per batch: bounds the memory of the candidate pairs (about 3 per point).
_BATCH = 2_000_000
# Grid cells per polygon: finer grids mean fewer wasted candidates but more slices.
_CELLS_PER_POLYGON = 4
_POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon and MultiPolygon


@dataclass(frozen=True)
class PointAssignment:
    """For each point the index of its polygon (-1 = outside) and the number outside."""

    area_index: np.ndarray
    outside: int


def assign_points(x: np.ndarray, y: np.ndarray, polygons: np.ndarray) -> PointAssignment:
    """Assign each point (x[i], y[i]) to one polygon of a coverage.

    ``polygons`` are shapely Polygons/MultiPolygons (None or empty ones take no points)
    in the same CRS as the coordinates. A point covered by several polygons (on a shared
    edge or vertex) goes to the one with the lowest index. The polygons are prepared in
    place (``shapely.prepare``), which only caches an index inside each geometry.
    """
    x, y, polygons = _checked_inputs(x, y, polygons)
    area_index = np.full(x.shape, -1, dtype=np.int64)
    grid = _Grid.for_polygons(polygons)
    if grid is not None:
        shapely.prepare(polygons)
        for start in range(0, x.size, _BATCH):
            part = slice(start, start + _BATCH)
            area_index[part] = _assign_batch(x[part], y[part], polygons, grid)
    return PointAssignment(area_index=area_index, outside=int((area_index < 0).sum()))


def _checked_inputs(x, y, polygons) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise QuartierError("Die Koordinaten der Punkte müssen Zahlen sein.") from exc
    if x.ndim != 1 or x.shape != y.shape:
        raise QuartierError("Es muss gleich viele x- und y-Koordinaten geben.")
    polygons = np.asarray(polygons, dtype=object).ravel()
    try:
        types = shapely.get_type_id(polygons)
    except TypeError as exc:
        raise QuartierError("Die Gebiete müssen Geometrien (Flächen) sein.") from exc
    if not np.isin(types, (-1, *_POLYGON_TYPES)).all():
        raise QuartierError("Punkte können nur Flächen (Polygone) zugeordnet werden.")
    return x, y, polygons


@dataclass
class _Grid:
    """A regular grid over the polygons' extent, plus each polygon's cell range."""

    origin: np.ndarray  # lower-left corner (x, y) of all bounding boxes
    top_right: np.ndarray  # upper-right corner, exactly as in the bounds (no rounding)
    cell: np.ndarray  # cell width and height
    shape: tuple[int, int]  # (columns, rows)
    cols: np.ndarray | None = None  # first and last column per polygon, shape (n, 2)
    rows: np.ndarray | None = None  # first and last row per polygon; (0, -1) = no cells

    @classmethod
    def for_polygons(cls, polygons: np.ndarray) -> _Grid | None:
        """Size a grid with a few cells per polygon; None when no polygon has an area."""
        bounds = shapely.bounds(polygons)
        usable = np.isfinite(bounds).all(axis=1)
        if not usable.any():
            return None
        lo, hi = bounds[usable, :2].min(axis=0), bounds[usable, 2:].max(axis=0)
        extent = np.maximum(hi - lo, 1e-9)
        side = np.sqrt(extent[0] * extent[1] / (_CELLS_PER_POLYGON * usable.sum()))
        # Very flat extents would ask for millions of columns; 4096 per axis is plenty.
        shape = np.clip(np.ceil(extent / max(side, 1e-12)), 1, 4096).astype(np.int64)
        grid = cls(lo, hi, extent / shape, (int(shape[0]), int(shape[1])))
        bounds[~usable] = np.r_[lo, lo]
        grid.cols = np.c_[grid.column(bounds[:, 0]), grid.column(bounds[:, 2])]
        grid.rows = np.c_[grid.row(bounds[:, 1]), grid.row(bounds[:, 3])]
        grid.rows[~usable] = (0, -1)  # empty polygons get no candidates
        return grid

    def column(self, values: np.ndarray) -> np.ndarray:
        """Grid column of each x. Monotonic in x, so a point inside a polygon's bounding
        box always lies in one of the cells that the box's corners span.
        """
        col = np.floor((values - self.origin[0]) / self.cell[0])
        return np.clip(col, 0, self.shape[0] - 1).astype(np.int64)

    def row(self, values: np.ndarray) -> np.ndarray:
        """Grid row of each y (see :meth:`column`)."""
        row = np.floor((values - self.origin[1]) / self.cell[1])
        return np.clip(row, 0, self.shape[1] - 1).astype(np.int64)


def _assign_batch(x: np.ndarray, y: np.ndarray, polygons: np.ndarray, grid: _Grid) -> np.ndarray:
    """Polygon index per point of one batch (-1 outside), by the lowest-index rule."""
    result = np.full(x.shape, -1, dtype=np.int64)
    (lo_x, lo_y), (hi_x, hi_y) = grid.origin, grid.top_right
    # NaN fails every comparison and ±inf lies beyond the grid: both stay outside.
    points = np.flatnonzero((x >= lo_x) & (x <= hi_x) & (y >= lo_y) & (y <= hi_y))
    if points.size == 0:
        return result
    cell = grid.row(y[points]) * grid.shape[0] + grid.column(x[points])
    order = np.argsort(cell, kind="stable")
    points = points[order]
    starts = np.searchsorted(cell[order], np.arange(grid.shape[0] * grid.shape[1] + 1))
    candidates, owner_starts = _candidates(grid, starts)
    cand_points = points[candidates]
    px, py = x[cand_points], y[cand_points]
    for i in np.flatnonzero(np.diff(owner_starts)):
        part = slice(owner_starts[i], owner_starts[i + 1])
        hit = cand_points[part][shapely.intersects_xy(polygons[i], px[part], py[part])]
        # Polygons are visited in ascending order: the first to claim a point is the lowest.
        result[hit[result[hit] < 0]] = i
    return result


def _candidates(grid: _Grid, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (into the cell-sorted points) of each polygon's candidate points.

    Per polygon and grid row, the cells from its first to its last column hold one
    contiguous run of the sorted points. Returns all runs concatenated, polygon by
    polygon, and where each polygon's part begins (length n_polygons + 1).
    """
    n_rows = grid.rows[:, 1] - grid.rows[:, 0] + 1
    owner = np.repeat(np.arange(n_rows.size), n_rows)
    row = grid.rows[owner, 0] + _ramp(n_rows)
    first = row * grid.shape[0] + grid.cols[owner, 0]
    last = row * grid.shape[0] + grid.cols[owner, 1]
    run_start, run_stop = starts[first], starts[last + 1]
    lengths = run_stop - run_start
    positions = np.repeat(run_start, lengths) + _ramp(lengths)
    per_polygon = np.bincount(owner, weights=lengths, minlength=n_rows.size).astype(np.int64)
    return positions, np.concatenate(([0], np.cumsum(per_polygon)))


def _ramp(lengths: np.ndarray) -> np.ndarray:
    """0, 1, …, n-1 for each n in ``lengths``, concatenated (e.g. [2, 3] → 0 1 0 1 2)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - offsets


def sum_up(
    area_index: np.ndarray,
    parents: list[np.ndarray],
    sizes: list[int],
    weights: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Counts per area of every level, finest first, from the finest areas' point indices.

    ``area_index`` is :attr:`PointAssignment.area_index` (-1 = not counted).
    ``parents[k][i]`` is the index in level k+1 of the parent of area i of level k (-1 = none)
    and ``sizes[k]`` the number of areas of level k; so ``len(parents) == len(sizes) - 1``.
    Without ``weights`` the counts are integers; with them, sums of the weights.
    Coarser levels are sums of their children — index arithmetic, no spatial join.
    """
    sizes = [int(s) for s in sizes]
    if not sizes or min(sizes) < 0 or len(parents) != len(sizes) - 1:
        raise QuartierError("Zu jeder Raumebene außer der gröbsten gehört eine Zuordnung.")
    area_index = np.asarray(area_index, dtype=np.int64)
    if area_index.size and area_index.max(initial=-1) >= sizes[0]:
        raise QuartierError("Ein Punkt verweist auf ein Gebiet, das es nicht gibt.")
    counted = area_index >= 0
    if weights is None:
        counts = np.bincount(area_index[counted], minlength=sizes[0])
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != area_index.shape:
            raise QuartierError("Es muss für jeden Punkt genau ein Gewicht geben.")
        if not np.isfinite(w[counted]).all():
            raise QuartierError("Die Gewichte müssen Zahlen sein (keine leeren Werte).")
        counts = np.bincount(area_index[counted], weights=w[counted], minlength=sizes[0])
    levels = [counts]
    for k, parent in enumerate(parents):
        parent = np.asarray(parent, dtype=np.int64)
        if parent.shape != (sizes[k],) or parent.max(initial=-1) >= sizes[k + 1]:
            raise QuartierError(
                f"Die Zuordnung von Ebene {k + 1} zu Ebene {k + 2} passt nicht zu den Gebieten."
            )
        has = parent >= 0
        summed = np.bincount(parent[has], weights=levels[-1][has], minlength=sizes[k + 1])
        levels.append(summed if weights is not None else np.rint(summed).astype(np.int64))
    return levels


def count_by(area_index: np.ndarray, categories: np.ndarray, n_areas: int) -> dict[str, np.ndarray]:
    """Counts per finest area, split by a category per point (e.g. age group).

    Returns ``{category as text: counts per area}``, sorted by category. Missing
    categories (None, NaN, empty text) are counted under ``""`` so that the splits
    always add up to the total. Points with area index -1 are not counted.
    """
    area_index = np.asarray(area_index, dtype=np.int64)
    categories = np.asarray(categories)
    if categories.shape != area_index.shape:
        raise QuartierError("Es muss für jeden Punkt genau eine Kategorie geben.")
    if area_index.max(initial=-1) >= n_areas:
        raise QuartierError("Ein Punkt verweist auf ein Gebiet, das es nicht gibt.")
    counted = area_index >= 0
    values = categories[counted]
    if values.dtype.kind == "O":
        values = np.array([_label(v) for v in values], dtype=str)
    uniques, inverse = np.unique(values, return_inverse=True)
    table = np.bincount(
        inverse.ravel() * n_areas + area_index[counted], minlength=uniques.size * n_areas
    ).reshape(uniques.size, n_areas)
    result: dict[str, np.ndarray] = {}
    for value, row in zip(uniques, table, strict=True):
        key = _label(value)
        # Two values can print alike (e.g. 1 and "1"); they are one category then.
        result[key] = result[key] + row if key in result else row
    return dict(sorted(result.items()))


def _label(value) -> str:
    """A category value as text; None and NaN become ""."""
    if value is None:
        return ""
    if isinstance(value, float | np.floating) and np.isnan(value):
        return ""
    return str(value.item() if isinstance(value, np.generic) else value)
