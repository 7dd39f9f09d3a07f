"""Per-level geometry for the OGC API, loaded once and kept with the area index.

Geometry is static between imports (principle 4), so each level's polygons are
read once, and the GeoJSON text of every feature's static part — id,
geometry, code, name, level — is written once per CRS and reused by every
page. A request then only writes the values. The cache belongs to one
:class:`~quartier.spatial.index.AreaIndex`: when the index is reloaded after
areas changed, the geometry is read again.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

import numpy as np
import shapely

from quartier.ogc import crs
from quartier.spatial.index import AreaIndex, area_index
from quartier.spatial.models import Area, Level


@dataclass
class LevelShapes:
    """All area versions of one level, aligned with ``AreaIndex.areas(level)``."""

    index: AreaIndex
    level: Level
    geoms: np.ndarray  # shapely geometries in CRS84
    bounds: np.ndarray  # (n, 4): minx, miny, maxx, maxy in CRS84
    _heads: dict[str, list[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def extent(self, positions: np.ndarray | None = None) -> tuple[float, float, float, float]:
        """Bounding box (CRS84) of the areas at ``positions`` (all when None)."""
        box = self.bounds if positions is None else self.bounds[positions]
        if box.size == 0:
            return (-180.0, -90.0, 180.0, 90.0)
        return (
            float(box[:, 0].min()),
            float(box[:, 1].min()),
            float(box[:, 2].max()),
            float(box[:, 3].max()),
        )

    def intersects(self, positions: np.ndarray, bbox, bbox_crs: str) -> np.ndarray:
        """For each of ``positions``: does its polygon intersect ``bbox`` (in ``bbox_crs``)?"""
        area = crs.box_to_crs84(bbox, bbox_crs)
        minx, miny, maxx, maxy = shapely.bounds(area)
        b = self.bounds[positions]
        mask = (b[:, 0] <= maxx) & (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny)
        # Bounding boxes only pre-select; the polygon itself must touch the box.
        near = np.flatnonzero(mask)
        shapely.prepare(area)
        mask[near] = shapely.intersects(area, self.geoms[positions[near]])
        return mask

    def heads(self, uri: str) -> list[str]:
        """Per area version: the feature's JSON up to its last static property.

        ``{"type":"Feature","id":…,"geometry":…,"properties":{"code":…,"name":…,"level":…``
        — the caller appends the period, the values and the closing braces.
        """
        with self._lock:
            cached = self._heads.get(uri)
        if cached is not None:
            return cached
        built = self._build_heads(uri)
        with self._lock:
            self._heads[uri] = built
        return built

    def _build_heads(self, uri: str) -> list[str]:
        areas = self.index.areas(self.level)
        texts = shapely.to_geojson(crs.transform_geometries(self.geoms, uri)).tolist()
        level = json.dumps(self.level.key)
        heads = []
        for code, name, geometry in zip(areas.codes, areas.names, texts, strict=True):
            code_text = json.dumps(code, ensure_ascii=False)
            heads.append(
                f'{{"type":"Feature","id":{code_text},"geometry":{geometry or "null"},'
                f'"properties":{{"code":{code_text},'
                f'"name":{json.dumps(name, ensure_ascii=False)},"level":{level}'
            )
        return heads


_lock = threading.Lock()
_cache: dict[int, LevelShapes] = {}


def level_shapes(level: Level, index: AreaIndex | None = None) -> LevelShapes:
    """The geometry of every version of every area of ``level`` (cached with the area index).

    ``index`` is the read layer's pinned index when values go with the shapes.
    """
    index = index if index is not None else area_index()
    with _lock:
        cached = _cache.get(level.id)
    if cached is not None and cached.index is index:
        return cached
    shapes = _load(index, index.areas(level).level)
    with _lock:
        _cache[level.id] = shapes
    return shapes


def _load(index: AreaIndex, level: Level) -> LevelShapes:
    ids = index.areas(level).ids
    wkb = dict(Area.objects.filter(level=level).values_list("id", "geometry"))
    geoms = np.asarray(
        # An area deleted since the index was read has no geometry (None), not an error.
        shapely.from_wkb([bytes(wkb[i]) if i in wkb else None for i in ids.tolist()]),
        dtype=object,
    ).reshape(-1)
    bounds = shapely.bounds(geoms).reshape(-1, 4)
    return LevelShapes(index=index, level=level, geoms=geoms, bounds=bounds)


def clear() -> None:
    """Forget all cached geometry (tests, or after areas changed in this process)."""
    with _lock:
        _cache.clear()
