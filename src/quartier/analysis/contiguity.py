"""Queen neighbours of a level's areas, computed once per level and period."""

from __future__ import annotations

import hashlib
import threading
from datetime import date

import numpy as np
import shapely

from quartier.spatial.models import Area, Level

_lock = threading.Lock()
_cache: dict[tuple, list[list[int]]] = {}


def neighbours_for(level: Level, period: date | None, area_ids: np.ndarray) -> list[list[int]]:
    """Queen neighbour lists (indices into ``area_ids``) from the stored geometries."""
    from quartier.core.autocorrelation import queen_neighbours

    key = (level.pk, period, hashlib.sha1(np.asarray(area_ids).tobytes()).hexdigest())
    with _lock:
        if key in _cache:
            return _cache[key]
    wkb = dict(Area.objects.filter(level=level).values_list("id", "geometry"))
    polygons = np.array([shapely.from_wkb(bytes(wkb[int(i)])) for i in area_ids], dtype=object)
    neighbours = queen_neighbours(polygons)
    with _lock:
        _cache[key] = neighbours
    return neighbours
