"""Writers of the same indicators wait for each other (PostgreSQL).

Two imports of the same table at the same time would both find a cell empty and
both insert it, or both create the same new indicator; PostgreSQL then refuses the
second with a unique violation. So every transaction that writes indicators first
takes a transaction-level advisory lock per indicator key, in sorted order (two
writers of overlapping sets cannot deadlock). The second writer waits until the
first has committed and then sees its values and indicators: it keeps or replaces
the values, and a new indicator that now exists is reported in German. SQLite
needs nothing: its write transactions (``BEGIN IMMEDIATE``) run one at a time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from django.db import connection

# First key of PostgreSQL's two-key advisory locks: "indicator values" (the bytes of "QIV").
_NAMESPACE = 0x514956


def _key(indicator_key: str) -> int:
    """A stable 32-bit number for an indicator key (a collision only makes writers wait)."""
    return int.from_bytes(zlib.crc32(indicator_key.encode()).to_bytes(4, "big"), signed=True)


def lock_indicators(keys: Iterable[str]) -> None:
    """Wait until no other transaction writes these indicators; hold them until commit.

    Call inside the writing transaction (``transaction.atomic``). Taking the same
    keys again in that transaction returns at once.
    """
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("lock_indicators() needs a transaction (transaction.atomic)")
    numbers = sorted({_key(key) for key in keys if key})
    with connection.cursor() as cursor:
        for number in numbers:
            cursor.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", (_NAMESPACE, number))
