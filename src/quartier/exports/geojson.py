"""GeoJSON export (RFC 7946): one FeatureCollection of one level, lon/lat in WGS 84 (CRS84).

Properties per feature: ``ebene``, ``schluessel`` (text), ``name``,
``gueltig_ab``/``gueltig_bis`` (validity of the area version, ISO dates or null)
and the value columns of :mod:`quartier.exports.geotable` with their
``_status`` columns. Exterior rings run counter-clockwise, coordinates are
rounded to 7 decimals (about 1 cm). The metadata (definitions, disclosure note,
"vertraulich") is a foreign member ``metadata`` of the FeatureCollection, which
readers that do not know it ignore.
"""

from __future__ import annotations

import json

import numpy as np
import shapely

from quartier.exports import metadata
from quartier.exports.geotable import Column, GeoLayer, layers
from quartier.exports.selection import ExportData

COORDINATE_DECIMALS = 7


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _properties(layer: GeoLayer, cols: list[Column], i: int) -> dict:
    props = {
        "ebene": layer.level.key,
        "schluessel": layer.codes[i],
        "name": layer.names[i],
        "gueltig_ab": _iso(layer.valid_from[i]),
        "gueltig_bis": _iso(layer.valid_to[i]),
    }
    for col in cols:
        props[col.name] = layer.values[col.name][i]
        props[col.status_name] = layer.status[col.name][i]
    return props


def _metadata(data: ExportData, cols: list[Column]) -> dict:
    return {
        "vertraulich": data.confidential,
        "exportiert": data.created.isoformat(timespec="seconds"),
        "hinweise": dict(metadata.general(data, spatial=True)),
        "indikatoren": metadata.indicator_records(data),
        "spalten": {
            col.name: {"indikator": col.indicator.key, "stichtag": col.period.isoformat()}
            for col in cols
        },
    }


def write_geojson(data: ExportData) -> bytes:
    """The export of one level as a GeoJSON FeatureCollection (UTF-8 bytes)."""
    cols, (layer,) = layers(data)
    geometries = shapely.orient_polygons(layer.geometries, exterior_cw=False)
    geometries = shapely.transform(geometries, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    geometry_json = shapely.to_geojson(geometries) if len(layer) else []
    features = []
    for i, (feature_id, geometry) in enumerate(
        zip(layer.feature_ids(), geometry_json, strict=True)
    ):
        properties = json.dumps(_properties(layer, cols, i), ensure_ascii=False)
        features.append(
            f'{{"type":"Feature","id":{json.dumps(feature_id)},'
            f'"geometry":{geometry},"properties":{properties}}}'
        )
    head = {"type": "FeatureCollection", "name": layer.level.key}
    meta = json.dumps(_metadata(data, cols), ensure_ascii=False)
    text = (
        json.dumps(head, ensure_ascii=False)[:-1]
        + f',"metadata":{meta},"features":['
        + ",".join(features)
        + "]}"
    )
    return text.encode("utf-8")
