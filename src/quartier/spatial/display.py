"""Display geometry of a level as a cached, gzipped JSON document with an ETag."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely

from quartier.core import display
from quartier.spatial.index import area_index
from quartier.spatial.models import Area, Level


@dataclass(frozen=True)
class DisplayGeometry:
    """One level's encoded geometry: body (plain and gzipped) and its ETag."""

    etag: str
    body: bytes
    gzipped: bytes


_lock = threading.Lock()
_cache: dict[tuple, DisplayGeometry] = {}


def level_geometry(level: Level, period: date | None) -> DisplayGeometry:
    """Encoded geometry of the areas of ``level`` valid on ``period``, in code order."""
    areas = area_index().areas(level)
    positions = areas.valid_at(period)
    ids = areas.ids[positions]
    key = (level.id, hashlib.sha1(ids.tobytes()).hexdigest())
    with _lock:
        if key in _cache:
            return _cache[key]
    built = _build(
        level, ids, [areas.codes[i] for i in positions], [areas.names[i] for i in positions]
    )
    with _lock:
        _cache[key] = built
    return built


def _build(level: Level, ids: np.ndarray, codes: list[str], names: list[str]) -> DisplayGeometry:
    rows = {
        pk: (wkb, size)
        for pk, wkb, size in Area.objects.filter(level=level).values_list(
            "id", "geometry", "area_m2"
        )
    }
    geoms = shapely.from_wkb([bytes(rows[i][0]) for i in ids.tolist()])
    area_m2 = np.array([rows[i][1] for i in ids.tolist()])
    simplified = display.simplify(np.asarray(geoms), display.tolerance_for(area_m2))
    doc = {
        "level": level.key,
        "name": level.name,
        "codes": codes,
        "names": names,
        **display.encode(simplified),
    }
    body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    etag = hashlib.sha1(body).hexdigest()[:20]
    doc_with_version = body[:-1] + f',"version":"{etag}"}}'.encode()
    return DisplayGeometry(etag, doc_with_version, gzip.compress(doc_with_version, 6))


def clear_display_cache() -> None:
    """Forget encoded geometries (after areas changed in this process)."""
    with _lock:
        _cache.clear()
