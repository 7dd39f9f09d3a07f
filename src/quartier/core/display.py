"""Compact display geometry for web maps: simplified, quantized, delta-encoded.

A level's geometry is sent once and cached by the browser; values travel
separately (ARCHITECTURE.md, principle 4). Coordinates are lon/lat rounded to
1e-5 degrees (about one metre) and stored as integer deltas, which compress
far better than GeoJSON's decimal text.
"""

from __future__ import annotations

import numpy as np
import shapely

SCALE = 100_000  # 1e-5 degrees
METRES_PER_DEGREE = 111_320.0


def tolerance_for(area_m2: np.ndarray) -> float:
    """Simplification tolerance in degrees: 1 % of the typical area's width, 0.5–50 m."""
    if area_m2.size == 0:
        return 0.0
    metres = float(np.clip(np.sqrt(np.median(area_m2)) * 0.01, 0.5, 50.0))
    return metres / METRES_PER_DEGREE


def simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify a coverage so that neighbours keep sharing their edges.

    Falls back to per-polygon topology-preserving simplification when the
    polygons do not form a clean coverage (overlaps, gaps in real data).
    """
    if tolerance <= 0 or geoms.size == 0:
        return geoms
    try:
        out = shapely.coverage_simplify(geoms, tolerance)
        if shapely.is_valid(out).all() and not shapely.is_empty(out).any():
            return out
    except shapely.errors.GEOSException:
        pass
    return shapely.simplify(geoms, tolerance, preserve_topology=True)


def encode(geoms: np.ndarray) -> dict:
    """Encode lon/lat polygons as flat integer arrays (what :mod:`quartier.core.geodoc` packs).

    Returns {"origin", "scale", "bbox", "parts", "rings", "vertices", "steps",
    "labels"}. Coordinates are integer steps of 1/scale degrees. Area i has
    ``parts[i]`` polygons, polygon p ``rings[p]`` rings (the exterior first), ring r
    ``vertices[r]`` vertices (the closing vertex and repeated vertices left out), all
    in order. ``steps`` holds every vertex as (x, y) from the vertex before it — also
    across rings and areas; the first from ``origin`` — so that the steps are small:
    int16 when they all fit (at 80,000 blocks they did, 1.2 MB gzip less than int32
    with each ring starting from the origin), else int32. ``labels[i]`` is a point
    inside area i, from its first vertex (from the origin for an area without rings).
    """
    n = geoms.size
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms) if n else np.zeros(0, bool)
    if present.any():
        bounds = shapely.total_bounds(geoms)
        origin = np.floor(np.array(bounds[:2]) * 100) / 100
    else:
        bounds, origin = None, np.zeros(2)
    parts, part_area = shapely.get_parts(geoms, return_index=True)
    polygons = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    polygons &= ~shapely.is_empty(parts)
    parts, part_area = parts[polygons], part_area[polygons]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    q = np.round((coords - origin) * SCALE).astype(np.int64).reshape(-1, 2)
    # Leave out each ring's closing vertex and vertices equal to the one before.
    first = np.r_[True, vertex_ring[1:] != vertex_ring[:-1]][: len(q)]
    last = np.r_[first[1:], True][: len(q)]
    repeated = np.r_[False, (q[1:] == q[:-1]).all(axis=1)][: len(q)] & ~first
    keep = ~last & ~repeated
    q, vertex_ring = q[keep], vertex_ring[keep]
    steps = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    parts_per_area = np.bincount(part_area, minlength=n)
    rings_per_part = np.bincount(ring_part, minlength=len(parts))
    vertices_per_ring = np.bincount(vertex_ring, minlength=len(rings))
    labels = np.zeros((n, 2), dtype=np.int64)
    points = shapely.point_on_surface(geoms[present])
    labels[present] = np.round((shapely.get_coordinates(points) - origin) * SCALE)
    labels -= _first_vertices(q, parts_per_area, rings_per_part, vertices_per_ring)
    small = steps.size == 0 or np.abs(steps).max() <= np.iinfo(np.int16).max
    return {
        "origin": origin.tolist(),
        "scale": SCALE,
        "bbox": None if bounds is None else [round(float(b), 6) for b in bounds],
        "parts": parts_per_area.astype(np.uint32),
        "rings": rings_per_part.astype(np.uint32),
        "vertices": vertices_per_ring.astype(np.uint32),
        "steps": steps.astype(np.int16 if small else np.int32),
        "labels": labels.astype(np.int32),
    }


def _starts(counts: np.ndarray) -> np.ndarray:
    """Start offsets (len + 1) of consecutive runs of the given lengths."""
    return np.r_[0, np.cumsum(counts, dtype=np.int64)]


def _first_vertices(q, parts, rings, vertices) -> np.ndarray:
    """Absolute first vertex of each area (0, 0 for an area without rings)."""
    first_ring = _starts(rings)[_starts(parts)[:-1]]  # of each area; may be past the end
    has = _starts(parts)[1:] > _starts(parts)[:-1]
    out = np.zeros((len(parts), 2), dtype=np.int64)
    out[has] = q[_starts(vertices)[first_ring[has]]]
    return out


def absolute(doc: dict) -> tuple[np.ndarray, np.ndarray]:
    """(vertices, labels) of an :func:`encode` result as absolute integer steps from the origin."""
    q = np.cumsum(np.asarray(doc["steps"], dtype=np.int64).reshape(-1, 2), axis=0)
    parts, rings, vertices = (np.asarray(doc[k]) for k in ("parts", "rings", "vertices"))
    labels = np.asarray(doc["labels"], dtype=np.int64).reshape(-1, 2)
    return q, labels + _first_vertices(q, parts, rings, vertices)


def shapes(doc: dict) -> list[list[list[list[int]]]]:
    """The areas of an :func:`encode` result as nested lists: areas → polygons → rings →
    flat ``[x0, y0, dx1, dy1, …]`` with each ring's first vertex from the origin (for
    tests and tools; the browser reads the arrays).
    """
    q, _ = absolute(doc)
    ring_start, part_start, area_start = (
        _starts(np.asarray(doc[k])).tolist() for k in ("vertices", "rings", "parts")
    )

    def ring(r):
        xy = q[ring_start[r] : ring_start[r + 1]]
        return np.diff(xy, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel().tolist()

    return [
        [
            [ring(r) for r in range(part_start[p], part_start[p + 1])]
            for p in range(area_start[i], area_start[i + 1])
        ]
        for i in range(len(area_start) - 1)
    ]
