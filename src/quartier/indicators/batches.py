"""Writing values as import batches, and rolling batches back.

Every value enters through :func:`write_values` (or the fast path
:func:`insert_new_values` for cells known to be empty) inside one import batch.
A value that a batch replaces is kept as a :class:`ValueRevision`; rolling the
batch back deletes exactly the values it set and restores what it replaced.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.errors import QuartierError
from quartier.indicators import datastate
from quartier.indicators.models import ImportBatch, Indicator, Value, ValueRevision
from quartier.indicators.writelock import lock_indicators

Row = tuple[int, int, date, float | None, str]  # indicator id, area id, period, value, flags
_COLUMNS = ("indicator_id", "area_id", "period", "value", "flags", "batch_id")
_CHUNK = 20_000


@dataclass
class WriteStats:
    """How many cells a write inserted, replaced or left unchanged."""

    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0


def create_batch(
    source_name: str, *, user=None, sha256: str = "", description: str = "", rows_read: int = 0
) -> ImportBatch:
    """Open a new import batch (call inside the same transaction as the writes)."""
    batch = ImportBatch.objects.create(
        source_name=source_name,
        source_sha256=sha256,
        description=description,
        rows_read=rows_read,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    audit.record(
        AuditEntry.Action.IMPORT, f"Importlauf {batch.pk}: {source_name}", user=user, sha256=sha256
    )
    return batch


def file_sha256(path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == b or (math.isnan(a) and math.isnan(b))


def write_values(batch: ImportBatch, rows: Iterable[Row]) -> WriteStats:
    """Store ``rows`` in ``batch``: new cells are inserted, changed ones replaced (with history).

    Cells whose value and flags are unchanged are left alone (and stay owned by
    the batch that set them). Runs atomically.
    """
    rows = list(rows)
    cells = {}
    for row in rows:
        key = (row[0], row[1], row[2])
        if key in cells:
            raise QuartierError(
                "Derselbe Wert kommt zweimal vor (Indikator, Gebiet, Stichtag). "
                "/ Duplicate cell in one import."
            )
        cells[key] = row
    stats = WriteStats()
    with transaction.atomic():
        # Another import of the same indicators first commits, then this one sees its values.
        lock_indicators(
            Indicator.objects.filter(pk__in={key[0] for key in cells}).values_list("key", flat=True)
        )
        existing = _existing(cells)
        new_rows, changed = [], []
        for key, row in cells.items():
            old = existing.get(key)
            if old is None:
                new_rows.append(row)
            elif _same(old[1], row[3]) and old[2] == row[4]:
                stats.unchanged += 1
            else:
                changed.append((old, row))
        _replace(batch, changed)
        stats.inserted = insert_new_values(batch, new_rows)
        stats.replaced = len(changed)
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_inserted=stats.inserted,
            rows_replaced=stats.replaced,
            rows_unchanged=stats.unchanged,
        )
        # New stamps for the replaced cells' indicators, committed with the values
        # (insert_new_values stamps the inserted ones).
        datastate.changed({row[0] for _old, row in changed})
    return stats


def _existing(cells: dict) -> dict:
    """Current values of the given cells: {cell: (value id, value, flags, batch id)}."""
    found = {}
    indicator_ids = {key[0] for key in cells}
    periods = {key[2] for key in cells}
    query = Value.objects.filter(indicator_id__in=indicator_ids, period__in=periods).values_list(
        "id", "indicator_id", "area_id", "period", "value", "flags", "batch_id"
    )
    for vid, ind, area, period, value, flags, batch_id in query.order_by().iterator(
        chunk_size=_CHUNK
    ):
        key = (ind, area, period)
        if key in cells:
            found[key] = (vid, value, flags, batch_id)
    return found


def _replace(batch: ImportBatch, changed: list) -> None:
    if not changed:
        return
    ValueRevision.objects.bulk_create(
        [
            ValueRevision(
                indicator_id=row[0],
                area_id=row[1],
                period=row[2],
                value=old[1],
                flags=old[2],
                batch_id=old[3],
                replaced_by=batch,
            )
            for old, row in changed
        ],
        batch_size=_CHUNK,
    )
    table = Value._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET value = %s, flags = %s, batch_id = %s WHERE id = %s",
            [(row[3], row[4], batch.pk, old[0]) for old, row in changed],
        )


def insert_new_values(batch: ImportBatch, rows: Iterable[Row]) -> int:
    """Insert cells that have no value yet, fast (COPY on PostgreSQL).

    A cell that already has a value violates the unique constraint and aborts
    the surrounding transaction — use :func:`write_values` when unsure.
    """
    adapt = connection.ops.adapt_datefield_value
    prepared = (
        (
            ind,
            area,
            adapt(period),
            None if value is None or value != value else float(value),
            flags or "",
            batch.pk,
        )
        for ind, area, period, value, flags in rows
    )
    table = Value._meta.db_table
    count = 0
    touched: set[int] = set()
    prepared = _noting_indicators(prepared, touched)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
                    count += 1
        else:
            sql = (
                f"INSERT INTO {table} ({', '.join(_COLUMNS)}) "
                f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
            )
            for chunk in _chunks(prepared, _CHUNK):
                cursor.executemany(sql, chunk)
                count += len(chunk)
        datastate.changed(touched)  # in the same transaction as the values
    return count


def _noting_indicators(rows: Iterable[tuple], touched: set[int]) -> Iterator[tuple]:
    """``rows`` unchanged, their indicator ids collected into ``touched`` on the way."""
    for row in rows:
        touched.add(row[0])
        yield row


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def rollback(batch: ImportBatch, user=None) -> int:
    """Take back ``batch``: remove exactly its values and restore those it replaced.

    Returns the number of values removed. Rolling back twice is an error, and so
    is rolling back a batch that holds values of another unit's indicators
    (403, see :mod:`quartier.access.writes`; ``user`` None is the operator).
    """
    from quartier.access.writes import check_rollback

    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        check_rollback(user, batch)
        if batch.status == ImportBatch.Status.ROLLED_BACK:
            raise QuartierError(
                f"Der Importlauf {batch.pk} wurde bereits zurückgenommen. "
                "/ Batch already rolled back."
            )
        cells = set(
            Value.objects.filter(batch=batch).values_list("indicator_id", "area_id", "period")
        )
        datastate.changed({cell[0] for cell in cells})
        restore = _latest_revisions(cells)
        removed, _ = Value.objects.filter(batch=batch).delete()
        _restore(restore)
        ValueRevision.objects.filter(pk__in=[rev[0] for rev in restore]).delete()
        # Values of this batch that later batches had already replaced leave history too.
        ValueRevision.objects.filter(batch=batch).delete()
        batch.status = ImportBatch.Status.ROLLED_BACK
        batch.rolled_back_at = timezone.now()
        batch.rolled_back_by = user if user is not None and user.is_authenticated else None
        batch.save(update_fields=["status", "rolled_back_at", "rolled_back_by"])
        audit.record(
            AuditEntry.Action.ROLLBACK,
            f"Importlauf {batch.pk}: {batch.source_name}",
            user=user,
            removed=removed,
        )
    return removed


def _latest_revisions(cells: set) -> list[tuple]:
    """For each cell, the newest revision still in history.

    Rows are (id, indicator, area, period, value, flags, batch).
    """
    if not cells:
        return []
    latest: dict[tuple, tuple] = {}
    query = ValueRevision.objects.filter(
        indicator_id__in={c[0] for c in cells}, period__in={c[2] for c in cells}
    ).values_list("id", "indicator_id", "area_id", "period", "value", "flags", "batch_id")
    for rev in query.order_by("id").iterator(chunk_size=_CHUNK):
        key = (rev[1], rev[2], rev[3])
        if key in cells:
            latest[key] = rev
    return list(latest.values())


def _restore(revisions: list[tuple]) -> None:
    """Re-insert restored revisions, each under the batch that originally set it."""
    by_batch: dict[int, list[Row]] = {}
    for _rid, ind, area, period, value, flags, batch_id in revisions:
        by_batch.setdefault(batch_id, []).append((ind, area, period, value, flags))
    for batch_id, rows in by_batch.items():
        insert_new_values(ImportBatch(pk=batch_id), rows)
