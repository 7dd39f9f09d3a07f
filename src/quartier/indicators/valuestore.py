"""Stored values of an indicator-period packed into one row, shared by every process.

Reading an indicator's values the first time in a process costs one database row
per value: for 80,000 blocks a rate's numerator and denominator are 160,000 rows,
170 ms of the 240 ms a cold map request took (issue 15, measured with
``bench/big_city.py``'s city). Once read, they are packed here (area ids and values
per level, as :mod:`quartier.indicators.store` holds them) so that the next cold
process — another worker, a restart — reads one row instead.

Fail closed: a packed row is used only if the indicator's data stamp
(:mod:`~quartier.indicators.datastate`) is the one it was packed under **and** the
value rows still have the same count and highest id — read from the table's index
on every use, so that a write that gave no new stamp (a raw SQL insert or delete, a
test) is noticed too: ids only grow, so any insert or delete changes the pair.
Packing is best effort and never waits for a lock; a row that does not fit is
read from the table as before and packed again.
"""

from __future__ import annotations

import logging
import struct
from datetime import date

import numpy as np
from django.db import DatabaseError, transaction
from django.db.models import Count, Max

from quartier.indicators.maskstore import no_waiting
from quartier.indicators.models import PackedValues, Value

log = logging.getLogger(__name__)

# (area ids, values) per level id, as quartier.indicators.store keeps them
Stored = dict[int, tuple[np.ndarray, np.ndarray]]
Fingerprint = tuple[int, int]  # number of value rows, highest row id

_HEADER = struct.Struct("<qq")  # level id, number of values


Key = tuple[int, date]  # (indicator id, period)


def fingerprints(indicator_ids: list[int], periods: list[date]) -> dict[Key, Fingerprint]:
    """(rows, highest id) of the stored values of each indicator on each of ``periods``.

    Pairs without a value are left out. One query over the (indicator, period) index.
    """
    rows = (
        Value.objects.filter(indicator_id__in=indicator_ids, period__in=periods)
        .order_by()
        .values("indicator_id", "period")
        .annotate(n=Count("id"), last=Max("id"))
        .values_list("indicator_id", "period", "n", "last")
    )
    return {(pk, period): (n, last) for pk, period, n, last in rows}


def load(wanted: dict[Key, tuple[int, Fingerprint]]) -> dict[Key, Stored]:
    """Packed values for ``wanted`` {(indicator id, period): (stamp, fingerprint)}.

    Only rows packed under exactly that stamp and fingerprint are returned; one query.
    """
    if not wanted:
        return {}
    rows = PackedValues.objects.filter(
        indicator_id__in=sorted({pk for pk, _p in wanted}),
        period__in=sorted({p for _pk, p in wanted}),
    )
    try:
        found = list(rows.values_list("indicator_id", "period", "stamp", "rows", "last_id", "data"))
    except DatabaseError:  # e.g. a database not yet migrated: read the values instead
        log.warning("packed values could not be read", exc_info=True)
        return {}
    out = {}
    for pk, period, stamp, n, last, data in found:
        if wanted.get((pk, period)) == (stamp, (n, last)):
            out[pk, period] = _unpack(bytes(data))
    return out


def save(packed: dict[Key, tuple[int, Fingerprint, Stored]]) -> None:
    """Pack the values of several indicator-periods (best effort, no waiting).

    ``packed`` holds {(indicator id, period): (stamp, fingerprint, stored)}; a row of
    an older stamp or fingerprint is replaced. One transaction (one commit: on
    PostgreSQL a commit per period made packing a profile's eleven years cost more
    than reading them).
    """
    if not packed:
        return
    rows = [
        PackedValues(
            indicator_id=pk, period=period, stamp=stamp, rows=n, last_id=last, data=_pack(stored)
        )
        for (pk, period), (stamp, (n, last), stored) in packed.items()
    ]
    by_period: dict[date, list[int]] = {}
    for pk, period in packed:
        by_period.setdefault(period, []).append(pk)
    try:
        with no_waiting(), transaction.atomic():
            for period, ids in by_period.items():
                PackedValues.objects.filter(indicator_id__in=ids, period=period).delete()
            PackedValues.objects.bulk_create(rows, ignore_conflicts=True)
    except DatabaseError as exc:
        log.debug("values not packed (%s); they are read from the table again", exc)


def forget() -> None:
    """Remove every packed row (tests; the rows are only ever a copy)."""
    PackedValues.objects.all().delete()


def _pack(stored: Stored) -> bytes:
    parts = []
    for level_id, (areas, values) in sorted(stored.items()):
        parts.append(_HEADER.pack(level_id, areas.size))
        parts.append(np.ascontiguousarray(areas, dtype="<i8").tobytes())
        parts.append(np.ascontiguousarray(values, dtype="<f8").tobytes())
    return b"".join(parts)


def _unpack(blob: bytes) -> Stored:
    stored: Stored = {}
    at = 0
    while at < len(blob):
        level_id, n = _HEADER.unpack_from(blob, at)
        at += _HEADER.size
        areas = np.frombuffer(blob, dtype="<i8", count=n, offset=at).astype(np.int64)
        at += 8 * n
        values = np.frombuffer(blob, dtype="<f8", count=n, offset=at).astype(np.float64)
        at += 8 * n
        stored[level_id] = (areas, values)
    return stored
