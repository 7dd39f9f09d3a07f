"""The public portal's profile pages, kept rendered until anything they show changes.

A profile page computes every public indicator over every period at the area's
level, its ranks and changes, and renders about 140 KB of tables: most of a
public visitor's CPU time. Visitors of the public portal all see the same page
for the same area, so its content is kept per process, keyed by everything the
page is made of:

* the values and their protection: the data state's tokens
  (:mod:`quartier.indicators.datastate`), the declared sums and thresholds
  (:mod:`quartier.indicators.families`) and the generation of protected series
  (:func:`quartier.indicators.protected.generation`, which every forgetting of
  protection masks moves on);
* the catalogue the visitor sees: the visible indicators and the catalogue's
  token (:mod:`quartier.indicators.catalogue`), which database triggers renew
  with every write to an indicator, its links or a unit — checked per request,
  so an edit in another process counts at once;
* the areas: every field of the area, its parent and the whole city, with their
  levels, and the process's area index;
* the language and the chosen start of the change.

Only anonymous visitors are served from it: a signed-in user's page depends on
their rights, may hold values they see unprotected (whose reading is audited
each time), and names them. Nothing computed under a data state that turned out
stale is kept. The size is bounded in bytes (``QUARTIER_PROFILE_CACHE_MB``), the
content stored compressed (a page compresses about tenfold).
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections import OrderedDict

from django.conf import settings
from django.utils.translation import get_language

from quartier.indicators import datastate, families, protected

_lock = threading.Lock()
_kept: OrderedDict[tuple, bytes] = OrderedDict()
_size = [0]


def _limit() -> int:
    return int(settings.QUARTIER_PROFILE_CACHE_MB * 1024 * 1024)


def _digest_rows(rows) -> str:
    """A digest of every concrete field of ``rows`` (model instances; None allowed)."""
    digest = hashlib.blake2b(digest_size=16)
    for row in rows:
        if row is None:
            digest.update(b"\x00none")
            continue
        digest.update(row._meta.label.encode())
        for field in row._meta.concrete_fields:
            value = getattr(row, field.attname)
            if isinstance(value, bytes | memoryview):
                digest.update(bytes(value))
            else:
                digest.update(repr(value).encode())
            digest.update(b"\x1f")
    return digest.hexdigest()


def key(request, reader, area, root, since) -> tuple | None:
    """The cache key of ``area``'s profile content for ``request`` (None: not cacheable).

    Call it inside the pinned data state the content is computed under
    (:func:`quartier.indicators.readlayer.consistent`).
    """
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return None
    shown = tuple(indicator.pk for indicator in reader.visible())
    parent = area.parent
    places = [area, area.level, parent, parent.level if parent else None, root]
    return (
        "profile",
        get_language(),
        area.pk,
        str(since),
        reader.catalogue_token,
        shown,
        _digest_rows(places),
        reader.index.version,
        datastate.current().version,
        families.relations().version,
        protected.generation(),
    )


def get(cache_key: tuple | None) -> str | None:
    """The content kept for ``cache_key``, or None."""
    if cache_key is None:
        return None
    with _lock:
        packed = _kept.get(cache_key)
        if packed is None:
            return None
        _kept.move_to_end(cache_key)
    return zlib.decompress(packed).decode()


def put(cache_key: tuple | None, content: str) -> None:
    """Keep ``content`` for ``cache_key`` unless the data state it was made under is stale."""
    limit = _limit()
    if cache_key is None or limit == 0 or datastate.current().stale:
        return
    packed = zlib.compress(content.encode(), 1)
    if len(packed) > limit:
        return
    with _lock:
        old = _kept.pop(cache_key, None)
        if old is not None:
            _size[0] -= len(old)
        _kept[cache_key] = packed
        _size[0] += len(packed)
        while _size[0] > limit:
            _gone, dropped = _kept.popitem(last=False)
            _size[0] -= len(dropped)


def clear() -> None:
    """Forget every kept page (tests; nothing else needs it: the keys change)."""
    with _lock:
        _kept.clear()
        _size[0] = 0


def size() -> int:
    """Bytes kept (compressed)."""
    with _lock:
        return _size[0]
