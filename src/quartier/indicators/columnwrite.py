"""Writing a checked table's values into an import batch from columns, in chunks.

The column form of :func:`quartier.indicators.batches.write_values` for big tables: the
values come as arrays (:class:`~quartier.imports.stored.StoredValues`), the current values
of the same cells are read in chunks into arrays and compared with numpy, and only the rows
of one chunk exist as Python tuples at a time — COPY on PostgreSQL, one ``executemany`` per
chunk on SQLite, all in the caller's transaction.
"""

from __future__ import annotations

import numpy as np
from django.db import connection, transaction

from quartier.indicators import datastate
from quartier.indicators.batches import _COLUMNS, WriteStats
from quartier.indicators.models import ImportBatch, Value, ValueRevision
from quartier.indicators.writelock import lock_indicators

CHUNK = 50_000  # rows handed to the database at a time


def write_stored(batch: ImportBatch, stored, ids: dict[str, int]) -> WriteStats:
    """Store ``stored`` in ``batch``: new cells inserted, changed ones replaced (with history).

    Unchanged cells are left alone, as :func:`~quartier.indicators.batches.write_values`
    does. ``ids`` maps indicator keys to ids.
    """
    v = stored.values
    indicator_ids = np.array([ids.get(k, 0) for k in v.indicators] + [0], np.int64)
    stats = WriteStats()
    if not len(v):
        return stats
    with transaction.atomic():
        lock_indicators(sorted({v.indicators[i] for i in np.unique(v.indicator)}))
        matched, old = _existing(stored, indicator_ids)
        same = _same(v.value[matched], old["value"]) & (
            np.array(stored.flags, object)[v.kind[matched]] == old["flags"]
        )
        stats.unchanged = int(same.sum())
        changed = ~same
        _replace(
            batch, stored, indicator_ids, matched[changed], {k: a[changed] for k, a in old.items()}
        )
        stats.replaced = int(changed.sum())
        new = np.ones(len(v), bool)
        new[matched] = False
        order = _in_index_order(stored, indicator_ids, np.flatnonzero(new))
        stats.inserted = _insert(batch, stored, indicator_ids, order)
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_inserted=stats.inserted,
            rows_replaced=stats.replaced,
            rows_unchanged=stats.unchanged,
        )
        # New stamps for the indicators written, committed with their values.
        written = np.concatenate([matched[changed], np.flatnonzero(new)]).astype(np.int64)
        touched = indicator_ids[np.unique(v.indicator[written])]
        datastate.changed(int(pk) for pk in touched if pk > 0)
    return stats


def _in_index_order(stored, indicator_ids: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``positions`` sorted by (indicator id, area id, period), the unique index's order.

    Why: every index of the values table but one starts with the indicator, the unique one
    goes on with area and period; rows inserted in that order append to the B-trees instead
    of touching pages all over them (the file's order, row by row and period by period,
    scattered every insert: most of SQLite's insert cost for a million-row sheet).
    """
    v = stored.values
    period_rank = np.argsort(np.argsort(np.array(v.periods, dtype="datetime64[D]")))
    # ranks instead of ids: small numbers, so int32 keys (a million-row sheet sorts
    # millions of values; every int64 key is 8 bytes a value)
    indicator_rank = np.argsort(np.argsort(indicator_ids, kind="stable")).astype(np.int32)
    return positions[
        np.lexsort(
            (
                period_rank.astype(np.int32)[v.period[positions]],
                stored.area[positions],
                indicator_rank[v.indicator[positions]],
            )
        )
    ]


def _same(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Equal numbers, or both missing."""
    return (new == old) | (np.isnan(new) & np.isnan(old))


def _periods(stored) -> tuple[list, dict]:
    """Each period as the database takes it, and a lookup from what it returns to its number."""
    adapt = connection.ops.adapt_datefield_value
    adapted = [adapt(p) for p in stored.values.periods]
    number = {a: i for i, a in enumerate(adapted)}
    number.update({p: i for i, p in enumerate(stored.values.periods)})
    return adapted, number


def _existing(stored, indicator_ids: np.ndarray) -> tuple[np.ndarray, dict]:
    """Positions of the values whose cell has a value already, and that value's columns."""
    v = stored.values
    _key, distinct, first, _last, stride = stored.keys()
    areas = np.unique(stored.area)
    adapted, period_number = _periods(stored)
    number = {int(i): n for n, i in enumerate(indicator_ids[:-1])}
    table = Value._meta.db_table
    wanted_periods = [adapted[p] for p in np.unique(v.period)]
    wanted_ids = sorted({int(indicator_ids[i]) for i in np.unique(v.indicator)})
    sql = (
        f"SELECT id, indicator_id, area_id, period, value, flags, batch_id FROM {table} "
        f"WHERE indicator_id IN ({', '.join(['%s'] * len(wanted_ids))}) "
        f"AND period IN ({', '.join(['%s'] * len(wanted_periods))})"
    )
    parts: dict[str, list] = {k: [] for k in ("at", "id", "value", "flags", "batch")}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*wanted_ids, *wanted_periods])
        while rows := cursor.fetchmany(CHUNK):
            vid, ind, area, period, value, flags, batch = zip(*rows, strict=True)
            area = np.array(area, np.int64)
            where = np.minimum(np.searchsorted(areas, area), len(areas) - 1)
            old_key = np.array([number[i] for i in ind], np.int64) * stride
            old_key += where * len(v.periods) + np.array([period_number[p] for p in period])
            at = np.minimum(np.searchsorted(distinct, old_key), len(distinct) - 1)
            hit = (areas[where] == area) & (distinct[at] == old_key)
            parts["at"].append(first[at[hit]])
            parts["id"].append(np.array(vid, np.int64)[hit])
            parts["value"].append(np.array(value, np.float64)[hit])  # None becomes NaN
            parts["flags"].append(np.array(flags, object)[hit])
            parts["batch"].append(np.array(batch, np.int64)[hit])
    empty = {
        "at": np.int64,
        "id": np.int64,
        "value": np.float64,
        "flags": object,
        "batch": np.int64,
    }
    joined = {k: np.concatenate(p) if p else np.empty(0, empty[k]) for k, p in parts.items()}
    return joined.pop("at"), joined


def _replace(batch, stored, indicator_ids, positions, old) -> None:
    """Keep the replaced values as revisions, then overwrite them (chunk by chunk)."""
    v = stored.values
    for start in range(0, len(positions), CHUNK):
        at = positions[start : start + CHUNK]
        part = {k: a[start : start + CHUNK] for k, a in old.items()}
        ValueRevision.objects.bulk_create(
            [
                ValueRevision(
                    indicator_id=int(indicator_ids[v.indicator[i]]),
                    area_id=int(stored.area[i]),
                    period=v.periods[v.period[i]],
                    value=None if np.isnan(value) else float(value),
                    flags=flags,
                    batch_id=int(old_batch),
                    replaced_by=batch,
                )
                for i, value, flags, old_batch in zip(
                    at, part["value"], part["flags"], part["batch"], strict=True
                )
            ]
        )
        rows = [
            (None if np.isnan(x) else float(x), stored.flags[k], batch.pk, int(vid))
            for x, k, vid in zip(v.value[at], v.kind[at], part["id"], strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {Value._meta.db_table} SET value = %s, flags = %s, batch_id = %s "
                "WHERE id = %s",
                rows,
            )


def _insert(batch, stored, indicator_ids, positions: np.ndarray) -> int:
    """Insert the values at ``positions`` (cells without a value yet)."""
    adapted, _number = _periods(stored)
    table = Value._meta.db_table
    columns = ", ".join(_COLUMNS)
    chunks = (
        _rows(batch, stored, indicator_ids, adapted, positions[start : start + CHUNK])
        for start in range(0, len(positions), CHUNK)
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for rows in chunks:
                    for row in rows:
                        copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 6)})"
            for rows in chunks:
                cursor.executemany(sql, rows)
    return len(positions)


def _rows(batch, stored, indicator_ids, adapted, at) -> list[tuple]:
    """One chunk of values as database rows (indicator, area, period, value, flags, batch)."""
    v = stored.values
    values = v.value[at]
    numbers = np.where(np.isnan(values), None, values.astype(object)).tolist()
    flags = [stored.flags[k] for k in v.kind[at].tolist()]
    periods = [adapted[p] for p in v.period[at].tolist()]
    return list(
        zip(
            indicator_ids[v.indicator[at]].tolist(),
            stored.area[at].tolist(),
            periods,
            numbers,
            flags,
            [batch.pk] * len(at),
            strict=True,
        )
    )
