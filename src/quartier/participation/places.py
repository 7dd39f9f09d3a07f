"""The places of a procedure: its areas as a list, as a clickable map, and finding the area a
pin lies in.
"""

from __future__ import annotations

import shapely

from quartier.explorer.charts import projector
from quartier.spatial.models import Area

MAP_WIDTH, MAP_HEIGHT, MAP_PAD = 640, 520, 8


def procedure_areas(procedure) -> list[Area]:
    """The procedure's areas by name (the list path offers them as places)."""
    return sorted(procedure.areas.all(), key=lambda a: (a.name.casefold(), a.code))


def locate(procedure, lon: float, lat: float) -> Area | None:
    """The procedure's area that holds the point (None: outside the procedure's area)."""
    point = shapely.Point(lon, lat)
    # Only areas whose bounding box holds the point have their geometry read (a procedure
    # may cover thousands of blocks; this runs on every contribution).
    candidates = procedure.areas.filter(
        min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat
    )
    for area in candidates:
        shape = area.shape
        if shape is not None and shape.covers(point):
            return area
    return None


def place_map(procedure) -> dict | None:
    """SVG paths of the procedure's areas and the frame to turn a click back into lon/lat."""
    areas = [a for a in procedure_areas(procedure) if a.shape is not None]
    if not areas:
        return None
    bounds = shapely.total_bounds([a.shape for a in areas])
    to_svg = projector(bounds, MAP_WIDTH, MAP_HEIGHT, MAP_PAD)
    return {
        "width": MAP_WIDTH,
        "height": MAP_HEIGHT,
        "areas": [{"d": to_svg(a.shape), "name": a.name, "code": a.code} for a in areas],
        "frame": to_svg.frame,
    }


def pin_xy(frame: dict, lon: float, lat: float) -> tuple[float, float]:
    """Where a point lies on the map (px), for the pins of the results page."""
    x = frame["pad"] + (lon - frame["minx"]) * frame["kx"] * frame["scale"]
    y = frame["height"] - frame["pad"] - (lat - frame["miny"]) * frame["scale"]
    return round(x, 1), round(y, 1)
