"""Display geometry of a level as a stored, gzipped binary document with an ETag.

Building the document for a big level takes seconds, so it is built when the
level's areas are imported (:func:`prepare_level`) and kept in the database
(:class:`~quartier.spatial.models.StoredDisplay`): a cold process reads it
instead of building it. Any change of a level's areas deletes its stored
documents (:func:`forget_level`, called by the import code and by signals);
each process checks at most once a second that the row it holds is still there.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from django.db import IntegrityError, transaction

from quartier.core import display, geodoc
from quartier.spatial.index import area_index
from quartier.spatial.models import Area, Level, StoredDisplay

ARRAYS = ("parts", "rings", "vertices", "steps", "labels")
_TTL = 1.0  # seconds between checks that a held document is still the stored one


@dataclass(frozen=True)
class DisplayGeometry:
    """One level's encoded geometry (:mod:`quartier.core.geodoc`): gzipped body and its ETag."""

    etag: str
    gzipped: bytes

    @property
    def body(self) -> bytes:
        """The plain (binary) document."""
        return gzip.decompress(self.gzipped)


_lock = threading.Lock()
_cache: dict[tuple, tuple[DisplayGeometry, float]] = {}
builds = {"count": 0}  # documents built in this process (tests check a cold read builds none)


def _selection(level: Level, period: date | None):
    """(area ids, codes, names, document key) of ``level``'s areas valid on ``period``.

    Remembered by the area index: every map request asks for it, and for 80,000 blocks
    listing the codes and names and digesting them took 60–100 ms (measured).
    """
    index = area_index()
    return index.remember(
        ("display", level.id, level.name, period), lambda: _select(index, level, period)
    )


def _select(index, level: Level, period: date | None):
    areas = index.areas(level)
    positions = areas.valid_at(period)
    ids = areas.ids[positions]
    codes = [areas.codes[i] for i in positions]
    names = [areas.names[i] for i in positions]
    digest = hashlib.sha1(ids.tobytes())
    digest.update(json.dumps([level.name, codes, names]).encode())
    digest.update(geodoc.MAGIC)  # a new document format is a new key: old rows are not read
    return ids, codes, names, digest.hexdigest()


def level_geometry(level: Level, period: date | None) -> DisplayGeometry:
    """Encoded geometry of the areas of ``level`` valid on ``period``, in code order.

    Taken from this process's memory, else from the database, else built and stored.
    """
    ids, codes, names, key = _selection(level, period)
    now = time.monotonic()
    with _lock:
        held = _cache.get((level.id, key))
    if held and now - held[1] < _TTL:
        return held[0]
    row = StoredDisplay.objects.filter(level_id=level.id, key=key).values_list("etag", flat=True)
    etag = row.first()
    if held and etag == held[0].etag:
        doc = held[0]
    elif etag is not None:
        stored = StoredDisplay.objects.filter(level_id=level.id, key=key).first()
        doc = DisplayGeometry(stored.etag, bytes(stored.gzipped)) if stored else None
    else:
        doc = None
    if doc is None:
        doc = _store(level, key, _build(level, ids, codes, names))
    with _lock:
        _cache[(level.id, key)] = (doc, now)
    return doc


def _store(level: Level, key: str, doc: DisplayGeometry) -> DisplayGeometry:
    try:
        with transaction.atomic():
            StoredDisplay.objects.create(level=level, key=key, etag=doc.etag, gzipped=doc.gzipped)
    except IntegrityError:  # another process stored it first: same areas, same document
        pass
    return doc


def prepare_level(level: Level) -> DisplayGeometry:
    """Build and store the current display geometry of ``level`` (at import time)."""
    forget_level(level.id)
    return level_geometry(level, None)


def prepare_all() -> None:
    """Build and store the current display geometry of every level."""
    for level in area_index().levels:
        prepare_level(level)


def forget_level(level_id: int) -> None:
    """Drop the stored documents of a level whose areas changed (all processes see it)."""
    StoredDisplay.objects.filter(level_id=level_id).delete()
    clear_display_cache()


def _build(level: Level, ids: np.ndarray, codes: list[str], names: list[str]) -> DisplayGeometry:
    builds["count"] += 1
    rows = {
        pk: (wkb, size)
        for pk, wkb, size in Area.objects.filter(level=level).values_list(
            "id", "geometry", "area_m2"
        )
    }
    geoms = shapely.from_wkb([bytes(rows[i][0]) for i in ids.tolist()])
    area_m2 = np.array([rows[i][1] for i in ids.tolist()])
    simplified = display.simplify(np.asarray(geoms), display.tolerance_for(area_m2))
    encoded = display.encode(simplified)
    arrays = {k: encoded.pop(k) for k in ARRAYS}
    header = {"level": level.key, "name": level.name, "codes": codes, "names": names, **encoded}
    etag = hashlib.sha1(geodoc.pack(header, arrays)).hexdigest()[:20]
    body = geodoc.pack({**header, "version": etag}, arrays)
    return DisplayGeometry(etag, gzip.compress(body, 6))


def read(body: bytes) -> dict:
    """A document's fields and arrays, plus ``shapes`` as nested lists (for tests and tools)."""
    doc = geodoc.unpack(body)
    doc["shapes"] = display.shapes(doc)
    doc["labels"] = display.absolute(doc)[1].tolist()
    return doc


def clear_display_cache() -> None:
    """Forget encoded geometries held in this process (the stored ones stay)."""
    with _lock:
        _cache.clear()
