"""GeoPackage export, written with pyogrio (GDAL's GPKG driver) — opens in QGIS.

One layer per level, named by the level's key, in EPSG:4326 (the coordinates
Quartier stores, so nothing is reprojected; QGIS reprojects on the fly). Fields
as in :mod:`quartier.exports.geotable`: counts are integer columns, rates and
other values real columns, classes and types text columns; null where a value
is hidden or missing, with ``<column>_status`` telling which. Three plain
tables describe the export: ``quartier_metadaten`` (field, text),
``quartier_indikatoren`` (one row per indicator with its definition) and
``quartier_spalten`` (which indicator and period each column holds).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

from quartier.exports import metadata
from quartier.exports.geotable import Column, GeoLayer, layers
from quartier.exports.selection import ExportData

_POLYGONAL = {shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON}


def _text(values) -> np.ndarray:
    return np.array([None if v is None else str(v) for v in values], dtype=object)


def _value_field(col: Column, values: list) -> tuple[np.ndarray, np.ndarray | None]:
    missing = np.array([v is None for v in values], dtype=bool)
    if col.kind == "text":
        return _text(values), None
    if col.kind == "int":
        data = np.array([0 if v is None else v for v in values], dtype=np.int64)
        return data, missing
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64), None


def _fields(layer: GeoLayer, cols: list[Column]):
    names = ["ebene", "schluessel", "name", "gueltig_ab", "gueltig_bis"]
    data = [
        _text([layer.level.key] * len(layer)),
        _text(layer.codes),
        _text(layer.names),
        _text([d.isoformat() if d else None for d in layer.valid_from]),
        _text([d.isoformat() if d else None for d in layer.valid_to]),
    ]
    masks: list[np.ndarray | None] = [None] * len(names)
    for col in cols:
        values, mask = _value_field(col, layer.values[col.name])
        names += [col.name, col.status_name]
        data += [values, _text(layer.status[col.name])]
        masks += [mask, None]
    return names, data, masks


def _write():
    """The writer of pyogrio, imported on first use: pyogrio loads pandas and geopandas (~1 s)."""
    from pyogrio.raw import write

    return write


def _write_layer(path: Path, layer: GeoLayer, cols: list[Column], crs: str, meta: dict) -> None:
    names, data, masks = _fields(layer, cols)
    types = set(shapely.get_type_id(layer.geometries).tolist())
    polygonal = types <= {int(t) for t in _POLYGONAL}
    _write()(
        str(path),
        shapely.to_wkb(layer.geometries),
        data,
        names,
        field_mask=masks,
        layer=layer.level.key,
        driver="GPKG",
        geometry_type="MultiPolygon" if polygonal else "Unknown",
        promote_to_multi=polygonal,
        crs=crs,
        layer_metadata={**meta, "ebene": layer.level.name},
    )


def _write_table(path: Path, name: str, names: list[str], rows: list[list]) -> None:
    columns = [_text([row[i] for row in rows]) for i in range(len(names))]
    _write()(str(path), None, columns, names, layer=name, driver="GPKG")


def write_gpkg(data: ExportData) -> bytes:
    """The export as a GeoPackage (bytes), written to a temporary file first."""
    cols, geo_layers = layers(data)
    crs = CRS.from_epsg(4326).to_wkt()
    general = metadata.general(data, spatial=True)
    meta = {"vertraulich": "ja" if data.confidential else "nein"}
    with tempfile.TemporaryDirectory(prefix="quartier-export-") as tmp:
        path = Path(tmp) / "export.gpkg"
        for layer in geo_layers:
            _write_layer(path, layer, cols, crs, meta)
        _write_table(path, "quartier_metadaten", ["feld", "wert"], [list(i) for i in general])
        names = [name for name, _label in metadata.INDICATOR_FIELDS]
        records = metadata.indicator_records(data)
        _write_table(path, "quartier_indikatoren", names, [[r[n] for n in names] for r in records])
        _write_table(
            path,
            "quartier_spalten",
            ["spalte", "indikator", "stichtag", "statusspalte"],
            [[c.name, c.indicator.key, c.period.isoformat(), c.status_name] for c in cols],
        )
        return path.read_bytes()
