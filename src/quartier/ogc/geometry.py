"""Per-level geometry for the OGC API, read per page and kept with the area index.

A page costs O(page), not O(areas of the level): only the geometries of the
features on a page are read, parsed and written (at 80,000 blocks, reading and
writing every polygon for a page of 1,000 took over a second). Geometry is
static between imports (principle 4), so the GeoJSON text of every feature's
static part — id, geometry, code, name, level — is kept per CRS once written
and reused by every later page. A bbox query selects candidates by the
bounding-box columns in the database; only those crossing the box's edge are
tested against their polygon. The cache belongs to one
:class:`~quartier.spatial.index.AreaIndex`: when the index is reloaded after
areas changed, the geometry is read again.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db.models import Max, Min

from quartier.ogc import crs
from quartier.spatial.index import AreaIndex, area_index
from quartier.spatial.models import Area, Level

_BOUNDS = ("min_lon", "min_lat", "max_lon", "max_lat")


@dataclass
class LevelShapes:
    """The area versions of one level, aligned with ``AreaIndex.areas(level)``, read lazily."""

    index: AreaIndex
    level: Level
    _geoms: dict[int, object] = field(default_factory=dict)  # position → shapely (CRS84)
    _heads: dict[str, dict[int, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def extent(self) -> tuple[float, float, float, float]:
        """Bounding box (CRS84) of all versions of the level's areas."""
        box = Area.objects.filter(level_id=self.level.id).aggregate(
            w=Min("min_lon"), s=Min("min_lat"), e=Max("max_lon"), n=Max("max_lat")
        )
        if box["w"] is None:
            return (-180.0, -90.0, 180.0, 90.0)
        return (box["w"], box["s"], box["e"], box["n"])

    def intersecting(self, valid: np.ndarray, bbox, bbox_crs: str) -> np.ndarray:
        """Indices into ``valid`` (positions) of the areas whose polygon intersects ``bbox``.

        The database's bounding-box columns pre-select; an area whose box lies
        inside the query box intersects it for sure, and only the others —
        those crossing its edge — are tested against their polygon.
        """
        area = crs.box_to_crs84(bbox, bbox_crs)
        minx, miny, maxx, maxy = shapely.bounds(area)
        rows = list(
            Area.objects.filter(
                level_id=self.level.id,
                min_lon__lte=maxx,
                max_lon__gte=minx,
                min_lat__lte=maxy,
                max_lat__gte=miny,
            )
            .order_by()
            .values_list("id", *_BOUNDS)
        )
        if not rows:
            return np.zeros(0, dtype=np.int64)
        found = np.array(rows, dtype=np.float64).reshape(-1, 5)
        rows_of = _rows_among(self.index.areas(self.level).ids, valid, found[:, 0].astype(np.int64))
        keep = rows_of >= 0
        rows_of, boxes = rows_of[keep], found[keep, 1:]
        shapely.prepare(area)
        sure = np.asarray(shapely.contains(area, shapely.box(*boxes.T)), dtype=bool).reshape(-1)
        unsure = np.flatnonzero(~sure)
        if unsure.size:
            geoms = self.geometries(valid[rows_of[unsure]])
            sure[unsure] = shapely.intersects(area, geoms)
        return np.sort(rows_of[sure])

    def geometries(self, positions: np.ndarray) -> np.ndarray:
        """Shapely geometries (CRS84) of the area versions at ``positions`` (read once each)."""
        wanted = positions.tolist()
        with self._lock:
            missing = [p for p in wanted if p not in self._geoms]
        if missing:
            ids = self.index.areas(self.level).ids
            wkb = dict(
                Area.objects.filter(id__in=[int(ids[p]) for p in missing])
                .order_by()
                .values_list("id", "geometry")
            )
            # An area deleted since the index was read has no geometry (None), not an error.
            parsed = shapely.from_wkb(
                [bytes(wkb[int(ids[p])]) if int(ids[p]) in wkb else None for p in missing]
            )
            with self._lock:
                self._geoms.update(zip(missing, parsed.tolist(), strict=True))
        with self._lock:
            return np.array([self._geoms[p] for p in wanted], dtype=object).reshape(-1)

    def heads(self, uri: str, positions: np.ndarray) -> list[str]:
        """Per area version at ``positions``: the feature's JSON up to its last static property.

        ``{"type":"Feature","id":…,"geometry":…,"properties":{"code":…,"name":…,"level":…``
        — the caller appends the period, the values and the closing braces.
        """
        wanted = positions.tolist()
        with self._lock:
            known = self._heads.setdefault(uri, {})
            missing = [p for p in wanted if p not in known]
        if missing:
            built = self._build_heads(uri, missing)
            with self._lock:
                known.update(built)
        with self._lock:
            return [known[p] for p in wanted]

    def _build_heads(self, uri: str, positions: list[int]) -> dict[int, str]:
        areas = self.index.areas(self.level)
        geoms = self.geometries(np.asarray(positions, dtype=np.int64))
        texts = shapely.to_geojson(crs.transform_geometries(geoms, uri)).tolist()
        level = json.dumps(self.level.key)
        heads = {}
        for position, geometry in zip(positions, texts, strict=True):
            code_text = json.dumps(areas.codes[position], ensure_ascii=False)
            name_text = json.dumps(areas.names[position], ensure_ascii=False)
            heads[position] = (
                f'{{"type":"Feature","id":{code_text},"geometry":{geometry or "null"},'
                f'"properties":{{"code":{code_text},"name":{name_text},"level":{level}'
            )
        return heads


def _rows_among(ids: np.ndarray, valid: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each of ``wanted`` (area ids): its index into ``valid`` (positions), -1 if not there."""
    valid_ids = ids[valid]
    order = np.argsort(valid_ids, kind="stable")
    if valid_ids.size == 0:
        return np.full(wanted.size, -1, dtype=np.int64)
    at = np.clip(np.searchsorted(valid_ids[order], wanted), 0, valid_ids.size - 1)
    return np.where(valid_ids[order][at] == wanted, order[at], -1)


_lock = threading.Lock()
_cache: dict[int, LevelShapes] = {}


def level_shapes(level: Level, index: AreaIndex | None = None) -> LevelShapes:
    """The (lazily read) geometry of the areas of ``level``, cached with the area index.

    ``index`` is the read layer's pinned index when values go with the shapes.
    """
    index = index if index is not None else area_index()
    with _lock:
        cached = _cache.get(level.id)
        if cached is not None and cached.index is index:
            return cached
        shapes = _cache[level.id] = LevelShapes(index=index, level=index.areas(level).level)
    return shapes


def clear() -> None:
    """Forget all cached geometry (tests, or after areas changed in this process)."""
    with _lock:
        _cache.clear()
