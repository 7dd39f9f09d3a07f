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


def _encode_ring(coords: np.ndarray, origin: np.ndarray) -> list[int]:
    q = np.round((coords[:-1] - origin) * SCALE).astype(np.int64)  # drop the closing point
    keep = np.r_[True, (np.diff(q, axis=0) != 0).any(axis=1)]
    q = q[keep]
    deltas = np.vstack([q[:1], np.diff(q, axis=0)])
    return deltas.ravel().tolist()


def _encode_polygon(poly: shapely.Polygon, origin: np.ndarray) -> list[list[int]]:
    rings = [poly.exterior, *poly.interiors]
    return [_encode_ring(np.asarray(r.coords)[:, :2], origin) for r in rings]


def encode(geoms: np.ndarray) -> dict:
    """Encode lon/lat polygons: {"origin", "scale", "shapes", "labels", "bbox"}.

    ``shapes[i]`` is a list of polygons, each a list of rings, each a flat list
    ``[x0, y0, dx1, dy1, …]`` of integer steps of 1/scale degrees from
    ``origin``. ``labels[i]`` is a point inside area i (same encoding, absolute).
    """
    if geoms.size == 0:
        return {"origin": [0, 0], "scale": SCALE, "shapes": [], "labels": [], "bbox": None}
    bounds = shapely.total_bounds(geoms)
    origin = np.floor(np.array(bounds[:2]) * 100) / 100
    shapes = []
    for geom in geoms:
        parts = shapely.get_parts(geom) if geom is not None and not geom.is_empty else []
        shapes.append([_encode_polygon(p, origin) for p in parts if p.geom_type == "Polygon"])
    points = shapely.get_coordinates(shapely.point_on_surface(geoms))
    labels = np.round((points - origin) * SCALE).astype(np.int64).tolist()
    return {
        "origin": origin.tolist(),
        "scale": SCALE,
        "shapes": shapes,
        "labels": labels,
        "bbox": [round(float(b), 6) for b in bounds],
    }
