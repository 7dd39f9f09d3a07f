"""A small map preview of a geometry import: the new areas and what exists already.

The wizard's check page draws it with Leaflet before anything is stored, so that a
wrong location is seen, not only read about. Geometries are simplified to what a
small map shows (about a 600th of the extent) and capped in size; a level with
very many areas is shown as one outline.
"""

from __future__ import annotations

import json

import numpy as np
import shapely

from quartier.core.display import simplify
from quartier.imports.georead import GeoRead
from quartier.imports.placement import GERMANY, Placement
from quartier.spatial.models import Area

MAX_POINTS = 20_000  # vertices of the new areas sent to the page
MAX_CONTEXT_AREAS = 3_000  # a reference level with more areas is drawn as its extent


def preview(read: GeoRead, placement: Placement) -> dict:
    """GeoJSON (lon/lat) of the new areas, the reference level's outline and Germany's box."""
    w, s, e, n = placement.bbox
    tolerance = max(e - w, n - s, 1e-6) / 600
    geoms = np.asarray(read.geometries, dtype=object)
    simple = simplify(geoms, tolerance)
    if int(shapely.get_num_coordinates(simple).sum()) > MAX_POINTS:
        outline = shapely.simplify(shapely.union_all(geoms), tolerance)
        areas = [_feature(outline, {"name": f"{len(geoms)} Gebiete"})]
    else:
        areas = [
            _feature(g, {"code": c, "name": nm})
            for g, c, nm in zip(simple, read.codes, read.names, strict=True)
        ]
    context = _context(placement.reference_levels, tolerance)
    return {
        "areas": {"type": "FeatureCollection", "features": areas},
        "context": {"type": "FeatureCollection", "features": context},
        "germany": None if placement.reference_levels else list(GERMANY),
        "plausible": placement.plausible,
    }


def _context(level_keys: list[str], tolerance: float) -> list[dict]:
    """The outline of the coarsest reference level (its areas dissolved)."""
    if not level_keys:
        return []
    coarsest = level_keys[0]  # reference levels come ordered coarse → fine
    areas = Area.objects.filter(level__key=coarsest, valid_to__isnull=True)
    if areas.count() > MAX_CONTEXT_AREAS:
        box = areas.order_by().values_list("min_lon", "min_lat", "max_lon", "max_lat")
        bounds = np.asarray(list(box))
        extent = shapely.box(*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0))
        return [_feature(extent, {"level": coarsest})]
    shapes = shapely.from_wkb([bytes(g) for g in areas.values_list("geometry", flat=True)])
    outline = shapely.simplify(shapely.union_all(shapes), tolerance)
    return [_feature(outline, {"level": coarsest})]


def _feature(geom, properties: dict) -> dict:
    rounded = shapely.set_precision(geom, 1e-5, mode="pointwise")  # about a metre
    return {"type": "Feature", "properties": properties, "geometry": _geojson(rounded)}


def _geojson(geom) -> dict:
    return json.loads(shapely.to_geojson(geom))
