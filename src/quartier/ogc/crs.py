"""Coordinate reference systems of the OGC API (Part 2: CRS by reference).

Areas are stored in EPSG:4326 with x = longitude, y = latitude, which is
exactly OGC's CRS84 axis order; the two ETRS89/UTM systems German
municipalities use are offered as well. Every transformation runs with
``always_xy`` so that CRS84 stays lon/lat and UTM stays easting/northing.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

from quartier.ogc.errors import InvalidParameter

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_PREFIX = "http://www.opengis.net/def/crs/EPSG/0/"
SUPPORTED = (CRS84, EPSG_PREFIX + "25832", EPSG_PREFIX + "25833")

# Coordinates are rounded on output: 7 decimals of a degree and 3 decimals of a
# metre are both about a centimetre or finer — more digits only cost bytes.
_DECIMALS = {CRS84: 7}
_METRIC_DECIMALS = 3

_CURIE = re.compile(r"^\[?(EPSG|OGC):(\w+)\]?$", re.IGNORECASE)


def normalise(text: str, param: str = "crs") -> str:
    """The canonical URI of a supported CRS given as URI or (safe) CURIE; else a 400 error."""
    value = text.strip()
    if value.startswith("https://"):
        value = "http://" + value[len("https://") :]
    match = _CURIE.match(value)
    if match:
        authority, code = match.group(1).upper(), match.group(2)
        value = CRS84 if authority == "OGC" and code.upper() == "CRS84" else EPSG_PREFIX + code
    if value in SUPPORTED:
        return value
    raise InvalidParameter(
        f"Nicht unterstütztes Koordinatenbezugssystem in „{param}“: {text}. "
        f"Möglich: {', '.join(SUPPORTED)}. / Unsupported CRS."
    )


def decimals(uri: str) -> int:
    """Decimals written for coordinates in ``uri``."""
    return _DECIMALS.get(uri, _METRIC_DECIMALS)


@lru_cache(maxsize=8)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def _pyproj_name(uri: str) -> str:
    return "OGC:CRS84" if uri == CRS84 else "EPSG:" + uri.rsplit("/", 1)[1]


def transform_geometries(geoms: np.ndarray, uri: str) -> np.ndarray:
    """CRS84 geometries in ``uri``, rounded to :func:`decimals` places."""
    places = decimals(uri)
    if uri == CRS84:
        return shapely.transform(geoms, lambda xy: np.round(xy, places))
    forward = _transformer(_pyproj_name(CRS84), _pyproj_name(uri))

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = forward.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([x, y]), places)

    return shapely.transform(geoms, project)


def bounds_in(bounds: tuple[float, float, float, float], uri: str) -> list[float]:
    """A CRS84 bounding box expressed in ``uri`` (the box enclosing the transformed box)."""
    if uri == CRS84:
        return [round(b, 7) for b in bounds]
    forward = _transformer(_pyproj_name(CRS84), _pyproj_name(uri))
    return [round(b, 3) for b in forward.transform_bounds(*bounds, densify_pts=21)]


def box_to_crs84(bbox: tuple[float, float, float, float], uri: str) -> shapely.Geometry:
    """The query box given in ``uri`` as a CRS84 polygon.

    A rectangle in UTM is not a rectangle in degrees: its edges are densified
    before transforming so the intersection test follows the curved edges.
    """
    if uri == CRS84:
        return _box(*_clip(bbox, 180.0, 90.0))
    # Far outside the zone nothing lies; clipping keeps absurd numbers from overflowing.
    minx, miny, maxx, maxy = _clip(bbox, 1e7, 1e7)
    box = _box(minx, miny, maxx, maxy)
    inverse = _transformer(_pyproj_name(uri), _pyproj_name(CRS84))
    dense = shapely.segmentize(box, max(maxx - minx, maxy - miny) / 32 or 1.0)

    def unproject(xy: np.ndarray) -> np.ndarray:
        x, y = inverse.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(dense, unproject)


def _box(minx: float, miny: float, maxx: float, maxy: float) -> shapely.Geometry:
    """The box as a polygon — or as a line or point when it has no width or height.

    A degenerate polygon intersects nothing reliably, and GEOS cannot transform
    one that has collapsed to a point (given so, or clipped to it).
    """
    if minx == maxx and miny == maxy:
        return shapely.Point(minx, miny)
    if minx == maxx or miny == maxy:
        return shapely.LineString([(minx, miny), (maxx, maxy)])
    return shapely.box(minx, miny, maxx, maxy)


def _clip(bbox, x_limit: float, y_limit: float) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = bbox
    return (
        min(max(minx, -x_limit), x_limit),
        min(max(miny, -y_limit), y_limit),
        min(max(maxx, -x_limit), x_limit),
        min(max(maxy, -y_limit), y_limit),
    )


def content_crs(uri: str) -> str:
    """The value of the Content-Crs response header."""
    return f"<{uri}>"
