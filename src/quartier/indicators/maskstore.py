"""Protection masks kept in the database, shared by every server process and restart.

Secondary suppression of a family of counts over all levels is the costly part of
reading values the first time (the family's stored values must be read, then the
protecting cells chosen: about 0.1 s per family-period at demo scale, seconds for a
time series). Its result depends only on the data state, so it is computed once
per state and stored here; a cold process (a new worker, a restart) reads a few
hundred bytes per indicator-period instead.

Fail closed: a row is used only under the exact :func:`state` it was computed for
— the stamps of every indicator its protection reads (the whole family linked by
sums, see :func:`quartier.indicators.disclosure.depends_on`; an import into
another indicator keeps the row), the thresholds and sums, the areas (a digest
of the index's content) and the algorithm. A mask that does not fit the areas it
is applied to still raises in :func:`quartier.indicators.disclosure.protect`.
"""

from __future__ import annotations

import hashlib
import logging
import struct
from datetime import date

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from quartier import __version__
from quartier.indicators import families
from quartier.indicators.models import Indicator, ProtectionMask
from quartier.spatial.index import AreaIndex

log = logging.getLogger(__name__)

# Change when the choice of hidden cells changes, so that masks of an older
# algorithm are never read (the package version covers releases).
ALGORITHM = "protection-intervals-1"
_HEADER = struct.Struct("<qq")  # level id, number of cells

Masks = dict[int, np.ndarray]


def state(index: AreaIndex, indicator: Indicator) -> str:
    """A digest of everything ``indicator``'s masks depend on, the same in every process."""
    from quartier.indicators.disclosure import depends_on

    # The stamps and the relations' version hold a counter local to this process; left out here.
    version = families.relations().version
    parts = (ALGORITHM, __version__, depends_on(indicator)[1], version[:-1], index.digest())
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def load(keys: list[tuple[int, date]], states: dict[int, str]) -> dict[tuple[int, date], Masks]:
    """Stored masks of ``keys`` (indicator id, period), each for its indicator's ``states`` entry.

    Missing ones are left out.
    """
    if not keys:
        return {}
    ids = sorted({pk for pk, _p in keys})
    periods = sorted({p for _pk, p in keys})
    wanted = set(keys)
    rows = ProtectionMask.objects.filter(
        state__in=sorted({states[pk] for pk in ids}), indicator_id__in=ids, period__in=periods
    ).values_list("indicator_id", "period", "state", "masks")
    try:
        found = list(rows)
    except DatabaseError:  # e.g. a database not yet migrated: compute instead
        log.warning("stored protection masks could not be read", exc_info=True)
        return {}
    return {
        (pk, p): _unpack(bytes(blob))
        for pk, p, row_state, blob in found
        if (pk, p) in wanted and row_state == states[pk]
    }


def save(found: dict[int, Masks], period: date, state_key: str) -> None:
    """Store the masks of several indicators for one period, if the database lets us now.

    Best effort: storing is never worth waiting for (an import may hold SQLite's
    write lock for minutes) or failing a read for; the next reader computes again.
    Rows of older states of the same indicator-period are removed.
    """
    if not found:
        return
    rows = [
        ProtectionMask(indicator_id=pk, period=period, state=state_key, masks=_pack(masks))
        for pk, masks in found.items()
    ]
    try:
        with no_waiting(), transaction.atomic():
            ProtectionMask.objects.filter(indicator_id__in=list(found), period=period).exclude(
                state=state_key
            ).delete()
            ProtectionMask.objects.bulk_create(rows, ignore_conflicts=True)
    except DatabaseError as exc:
        log.debug("protection masks not stored (%s); they are computed again when needed", exc)


def forget() -> None:
    """Remove every stored mask (for tests that change the algorithm)."""
    ProtectionMask.objects.all().delete()


class no_waiting:
    """On SQLite, fail at once instead of waiting for another process's write lock."""

    def __enter__(self):
        self.sqlite = connection.vendor == "sqlite"
        if self.sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 0")

    def __exit__(self, *exc):
        if self.sqlite:
            timeout = settings.DATABASES["default"].get("OPTIONS", {}).get("timeout", 5)
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(float(timeout) * 1000)}")
        return False


def _pack(masks: Masks) -> bytes:
    parts = []
    for level_id, mask in sorted(masks.items()):
        parts.append(_HEADER.pack(level_id, mask.size))
        parts.append(np.packbits(mask.astype(bool)).tobytes())
    return b"".join(parts)


def _unpack(blob: bytes) -> Masks:
    masks: Masks = {}
    at = 0
    while at < len(blob):
        level_id, size = _HEADER.unpack_from(blob, at)
        at += _HEADER.size
        length = (size + 7) // 8
        bits = np.frombuffer(blob, dtype=np.uint8, count=length, offset=at)
        masks[level_id] = np.unpackbits(bits, count=size).astype(bool)
        at += length
    return masks
