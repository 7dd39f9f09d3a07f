"""Small server-side SVG graphics: sparklines (analysis pages) and location maps.

Charts with axes are drawn by matplotlib: :mod:`quartier.charts`.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import shapely


def sparkline(
    series: list[tuple[date, float | None]],
    reference: list[tuple[date, float | None]] | None = None,
    width: int = 160,
    height: int = 44,
    pad: int = 4,
) -> dict | None:
    """SVG path data for a series (and a reference line, e.g. the city), sharing one y-scale."""
    points = [(p, v) for p, v in series if v is not None]
    if len(points) < 2:
        return None
    ref_points = [(p, v) for p, v in (reference or []) if v is not None]
    all_values = [v for _p, v in points + ref_points]
    low, high = min(all_values), max(all_values)
    if math.isclose(low, high):
        low, high = low - 1, high + 1
    periods = [p for p, _v in series]
    span = max(len(periods) - 1, 1)

    def xy(p, v):
        x = pad + (width - 2 * pad) * periods.index(p) / span
        y = height - pad - (height - 2 * pad) * (v - low) / (high - low)
        return f"{x:.1f},{y:.1f}"

    def path(pts):
        # A missing or secret value ends the line: a new "M" starts after the gap.
        runs, run = [], []
        for p, v in pts:
            if v is None:
                runs, run = runs + [run], []
            else:
                run.append((p, v))
        return " ".join("M" + " L".join(xy(p, v) for p, v in r) for r in [*runs, run] if r)

    last = points[-1]
    return {
        "width": width,
        "height": height,
        "path": path(series),
        "reference": path(reference or []),
        "last": xy(*last).split(","),
        "low": low,
        "high": high,
    }


def projector(bounds, width: int, height: int, pad: int):
    """A function drawing geometries as SVG path data, ``bounds`` fitted into the picture."""
    minx, miny, maxx, maxy = bounds
    kx = math.cos(math.radians((miny + maxy) / 2))  # equirectangular, true shape at this latitude
    w, h = max((maxx - minx) * kx, 1e-9), max(maxy - miny, 1e-9)
    scale = min((width - 2 * pad) / w, (height - 2 * pad) / h)

    def to_svg(geom) -> str:
        tolerance = 1.0 / scale  # one pixel
        geom = shapely.simplify(geom, tolerance / kx, preserve_topology=True)
        parts = []
        for poly in shapely.get_parts(geom):
            for ring in [poly.exterior, *poly.interiors]:
                coords = np.asarray(ring.coords)
                xs = pad + (coords[:, 0] - minx) * kx * scale
                ys = height - pad - (coords[:, 1] - miny) * scale
                parts.append(
                    "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True)) + "Z"
                )
        return " ".join(parts)

    # How to go back from the picture to coordinates (a click on the participation map).
    to_svg.frame = {
        "minx": minx,
        "miny": miny,
        "kx": kx,
        "scale": scale,
        "pad": pad,
        "height": height,
    }
    return to_svg


def location_map(
    area: shapely.Geometry,
    context: list[shapely.Geometry],
    width: int = 220,
    height: int = 180,
    pad: int = 6,
) -> dict:
    """SVG paths for an area (filled) within context outlines (e.g. parent, city)."""
    frame = shapely.union_all([area, *context]) if context else area
    to_svg = projector(frame.bounds, width, height, pad)
    return {
        "width": width,
        "height": height,
        "area": to_svg(area),
        "context": [to_svg(g) for g in context],
    }


def choropleth(
    shapes: list[shapely.Geometry],
    fills: list[str],
    titles: list[str],
    width: int = 640,
    height: int = 480,
    pad: int = 6,
) -> dict | None:
    """A small static map: each area's SVG path with its fill colour and a title
    (the areas of several Gemeinden on different levels, which the tiled map cannot mix).
    """
    present = [i for i, shape in enumerate(shapes) if shape is not None and not shape.is_empty]
    if not present:
        return None
    bounds = shapely.total_bounds([shapes[i] for i in present])
    to_svg = projector(bounds, width, height, pad)
    areas = [{"d": to_svg(shapes[i]), "fill": fills[i], "title": titles[i]} for i in present]
    return {"width": width, "height": height, "areas": areas}
