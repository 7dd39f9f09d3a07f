"""Cached access to stored values, for the read layer only.

Values change only through import batches, so the stored values of one
(indicator, period) are kept in memory as numpy arrays until that indicator's
stamp changes (see :mod:`quartier.indicators.datastate`): an import into one
indicator leaves every other indicator's entries in place. Every map, table,
profile and export then aggregates from memory instead of reading the table again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import date

import numpy as np
from django.db import connection

from quartier.indicators import datastate, valuestore
from quartier.indicators.models import Value
from quartier.spatial.index import AreaIndex

# (area ids, values) per level id
Stored = dict[int, tuple[np.ndarray, np.ndarray]]
# Entries carry the stamp of their indicator: a lookup under another stamp is a miss.

MAX_ENTRIES = 6000
# Results computed from the stored values (see :func:`remembered`), bounded by their size.
MAX_RESULT_BYTES = 96 * 1024 * 1024
_lock = threading.Lock()
_cache: OrderedDict[tuple[int, date], tuple[tuple, Stored]] = OrderedDict()
_results: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
# Stored values of a page's areas (see :func:`stored_rows`), by (indicator, period, areas).
MAX_ROW_ENTRIES = 4000
_rows: OrderedDict[tuple, tuple[tuple, tuple[np.ndarray, np.ndarray]]] = OrderedDict()
_result_bytes = [0]


def clear() -> None:
    """Forget all cached values and the results computed from them."""
    with _lock:
        _forget_all()


def _forget_all() -> None:
    _cache.clear()
    _results.clear()
    _rows.clear()
    _result_bytes[0] = 0


def remembered(key: tuple, build, size) -> object:
    """``build()``'s result for ``key``, kept while ``key`` is asked for.

    For results that depend only on ``key``: the caller puts everything they
    depend on into it, the stamps of the stored values read too
    (:meth:`~quartier.indicators.datastate.DataState.of`). ``size(result)`` is
    its size in bytes; the least recently used results go first when all
    together exceed :data:`MAX_RESULT_BYTES`. Nothing built under a stale data
    state is kept.
    """
    state = datastate.current()
    with _lock:
        hit = _results.get(key)
        if hit is not None:
            _results.move_to_end(key)
            return hit[0]
    result = build()
    if state.stale:
        return result
    nbytes = size(result)
    with _lock:
        if key not in _results:
            _results[key] = (result, nbytes)
            _result_bytes[0] += nbytes
        while _result_bytes[0] > MAX_RESULT_BYTES and len(_results) > 1:
            _old, (_value, old_bytes) = _results.popitem(last=False)
            _result_bytes[0] -= old_bytes
    return result


def peek(key: tuple) -> object | None:
    """The result :func:`remembered` keeps for ``key``, or None (nothing is built)."""
    with _lock:
        hit = _results.get(key)
    return None if hit is None else hit[0]


# Area ids per query: SQLite allows 32,766 parameters, older builds 999.
_CHUNK = 900


def stored_rows(indicator_ids: list[int], period: date, area_ids: np.ndarray) -> dict:
    """{indicator id: (values, present)} of ``area_ids`` on ``period``, read for them alone.

    ``values`` is aligned with ``area_ids`` (NaN where nothing or no number is
    stored), ``present`` marks the areas with a stored row. For a page of
    features, whose cost must not grow with the level (see
    :func:`quartier.indicators.compute.compute_rows`): all indicators of a page
    are asked at once and kept (a few KB each) until the stored values change.
    """
    state = datastate.current()
    area_ids = np.asarray(area_ids, dtype=np.int64)
    digest = hashlib.sha1(area_ids.tobytes()).hexdigest()
    keys = {i: (i, period, digest) for i in indicator_ids}
    found = {}
    with _lock:
        for i, k in keys.items():
            hit = _rows.get(k)
            if hit is not None and hit[0] == (state.local, state.stamps.get(i, 0)):
                found[i] = hit[1]
                _rows.move_to_end(k)
    missing = [i for i in indicator_ids if i not in found]
    if missing:
        fetched = _fetch_rows(missing, period, area_ids)
        if not datastate.confirm(state, missing):
            return {**found, **fetched}
        with _lock:
            for i, entry in fetched.items():
                _rows[keys[i]] = ((state.local, state.stamps.get(i, 0)), entry)
            while len(_rows) > MAX_ROW_ENTRIES:
                _rows.popitem(last=False)
        found.update(fetched)
    return found


def _fetch_rows(indicator_ids: list[int], period: date, area_ids: np.ndarray) -> dict:
    order = np.argsort(area_ids, kind="stable")
    ordered = area_ids[order]
    table = Value._meta.db_table
    day = connection.ops.adapt_datefield_value(period)
    found = []
    with connection.cursor() as cursor:
        for start in range(0, ordered.size, _CHUNK):
            # Raw SQL: the ORM prepares each of a thousand parameters one by one.
            chunk = ordered[start : start + _CHUNK].tolist()
            sql = (
                f"SELECT indicator_id, area_id, value FROM {table} WHERE period = %s "
                f"AND indicator_id IN ({', '.join(['%s'] * len(indicator_ids))}) "
                f"AND area_id IN ({', '.join(['%s'] * len(chunk))})"
            )
            cursor.execute(sql, [day, *indicator_ids, *chunk])
            found += cursor.fetchall()
    n = len(found)
    ind = np.fromiter((r[0] for r in found), dtype=np.int64, count=n)
    at = order[np.searchsorted(ordered, np.fromiter((r[1] for r in found), np.int64, count=n))]
    value = np.fromiter((np.nan if r[2] is None else r[2] for r in found), np.float64, count=n)
    out = {}
    for indicator_id in indicator_ids:
        mine = ind == indicator_id
        values = np.full(area_ids.size, np.nan)
        values[at[mine]] = value[mine]
        present = np.zeros(area_ids.size, dtype=bool)
        present[at[mine]] = True
        for array in (values, present):
            array.flags.writeable = False
        out[indicator_id] = (values, present)
    return out


def stored(index: AreaIndex, indicator_ids: list[int], periods: list[date]) -> dict:
    """Stored values {(indicator id, period): {level id: (area ids, values)}}.

    Missing entries are fetched in one query and cached under their indicator's
    stamp; NaN stands for a stored value without a number (e.g. flagged ".").
    """
    state = datastate.current()
    wanted = [(i, p) for i in indicator_ids for p in periods]
    found = {}
    with _lock:
        for key in wanted:
            hit = _cache.get(key)
            if hit is not None and hit[0] == (state.local, state.stamps.get(key[0], 0)):
                found[key] = hit[1]
                _cache.move_to_end(key)
    missing = [key for key in wanted if key not in found]
    if missing:
        fetched, to_pack = _fetch(index, missing, state)
        if not datastate.confirm(state, {i for i, _p in missing}):
            return {**found, **fetched}  # newer than the pinned state: used once, not kept
        _pack(to_pack)
        with _lock:
            for key, value in fetched.items():
                _cache[key] = ((state.local, state.stamps.get(key[0], 0)), value)
            while len(_cache) > MAX_ENTRIES:
                _cache.popitem(last=False)
        found.update(fetched)
    return found


def _fetch(index: AreaIndex, keys: list[tuple[int, date]], state) -> tuple[dict, dict]:
    """Read the stored values of ``keys``: packed where a fitting copy is stored
    (:mod:`~quartier.indicators.valuestore`), else one query per period.

    Per period, because then no date travels with each row: building and mapping a
    date (or its text) per row was a third of reading a family of 13 counts over
    eleven years (700,000 rows). Returns the values and what was read row by row,
    with the stamp and fingerprint it was read under (to pack).
    """
    result: dict = {key: {} for key in keys}
    ids = sorted({i for i, _p in keys})
    periods = sorted({p for _i, p in keys})
    # The pairs with values (one query), then their packed copies (one query).
    prints = {k: fp for k, fp in valuestore.fingerprints(ids, periods).items() if k in result}
    stamps = {k: state.stamps.get(k[0], 0) for k in prints}
    packed = valuestore.load({k: (stamps[k], fp) for k, fp in prints.items()})
    result.update(packed)
    to_pack: dict = {}
    for period in periods:
        rest = sorted(pk for pk, p in prints if p == period and (pk, p) not in packed)
        if not rest:
            continue
        query = Value.objects.filter(indicator_id__in=rest, period=period).order_by()
        sql, params = query.values_list("indicator_id", "area_id", "value").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if rows:
            _split(index, rows, period, result)
        for pk in rest:
            to_pack[pk, period] = (stamps[pk, period], prints[pk, period], result[pk, period])
    return result, to_pack


def _pack(to_pack: dict) -> None:
    """Store what was read row by row packed, if the rows did not change meanwhile.

    Not inside a transaction (:func:`_may_pack`). One query to check, one to store.
    """
    if not to_pack or not _may_pack():
        return
    now = valuestore.fingerprints(
        sorted({pk for pk, _p in to_pack}), sorted({p for _pk, p in to_pack})
    )
    valuestore.save({key: entry for key, entry in to_pack.items() if now.get(key) == entry[1]})


def _may_pack() -> bool:
    """False inside a transaction: it may be a writer's, whose rows may still roll back."""
    return not connection.in_atomic_block


def _split(index: AreaIndex, rows: list, period: date, result: dict) -> None:
    """Rows (indicator, area, value) into ``result[(indicator, period)][level]``."""
    n = len(rows)
    ind = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    area = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
    value = np.fromiter((np.nan if r[2] is None else r[2] for r in rows), dtype=np.float64, count=n)
    levels = index.level_of(area)
    group = ind * (int(levels.max(initial=0)) + 2) + levels + 1
    if (np.diff(group) < 0).any():  # usually in index order already
        order = np.argsort(group, kind="stable")
        group, ind, area, value, levels = (a[order] for a in (group, ind, area, value, levels))
    starts = np.flatnonzero(np.r_[True, np.diff(group) != 0])
    for s, e in zip(starts, np.r_[starts[1:], n], strict=True):
        key = (int(ind[s]), period)
        if key in result:
            result[key][int(levels[s])] = (area[s:e].copy(), value[s:e].copy())
