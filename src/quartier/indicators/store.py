"""Cached access to stored values, for the read layer only.

Values change only through import batches, so the stored values of one
(indicator, period) are kept in memory as numpy arrays until the data version
changes (see :mod:`quartier.indicators.datastate`). Every map, table, profile
and export then aggregates from memory instead of reading the table again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

import numpy as np
from django.db import connection
from django.db.models import CharField
from django.db.models.functions import Cast

from quartier.indicators.datastate import data_version
from quartier.indicators.models import Value
from quartier.spatial.index import AreaIndex

# (area ids, values) per level id
Stored = dict[int, tuple[np.ndarray, np.ndarray]]

MAX_ENTRIES = 6000
_lock = threading.Lock()
_cache: OrderedDict[tuple[int, date], Stored] = OrderedDict()
_version: list = [None]


def clear() -> None:
    """Forget all cached values."""
    with _lock:
        _cache.clear()
        _version[0] = None


def _check_version() -> None:
    version = data_version()
    with _lock:
        if _version[0] != version:
            _cache.clear()
            _version[0] = version


def stored(index: AreaIndex, indicator_ids: list[int], periods: list[date]) -> dict:
    """Stored values {(indicator id, period): {level id: (area ids, values)}}.

    Missing entries are fetched in one query and cached; NaN stands for a
    stored value without a number (e.g. flagged ".").
    """
    _check_version()
    wanted = [(i, p) for i in indicator_ids for p in periods]
    with _lock:
        found = {key: _cache[key] for key in wanted if key in _cache}
        for key in found:
            _cache.move_to_end(key)
    missing = [key for key in wanted if key not in found]
    if missing:
        fetched = _fetch(index, missing)
        with _lock:
            for key, value in fetched.items():
                _cache[key] = value
            while len(_cache) > MAX_ENTRIES:
                _cache.popitem(last=False)
        found.update(fetched)
    return found


def _fetch(index: AreaIndex, keys: list[tuple[int, date]]) -> dict:
    indicator_ids = sorted({k[0] for k in keys})
    periods = sorted({k[1] for k in keys})
    query = Value.objects.filter(indicator_id__in=indicator_ids, period__in=periods).order_by()
    period = "period"
    if connection.vendor == "sqlite":
        # Python's sqlite3 converter builds a date object per row (a quarter of the time of
        # reading a family of counts over eleven years); SQLite stores ISO text anyway.
        # (Not on PostgreSQL: there the text form would follow the server's DateStyle.)
        query, period = query.annotate(period_text=Cast("period", CharField())), "period_text"
    sql, params = query.values_list(
        "indicator_id", period, "area_id", "value"
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result: dict = {key: {} for key in keys}
    if not rows:
        return result
    ind = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    area = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
    value = np.fromiter(
        (np.nan if r[3] is None else r[3] for r in rows), dtype=np.float64, count=len(rows)
    )
    period_codes = {p: i for i, p in enumerate(periods)} | {
        p.isoformat(): i for i, p in enumerate(periods)
    }
    per = np.fromiter((period_codes[r[1]] for r in rows), dtype=np.int64, count=len(rows))
    levels = index.level_of(area)
    order = np.lexsort((levels, per, ind))
    ind, per, area, value, levels = ind[order], per[order], area[order], value[order], levels[order]
    combo = np.column_stack([ind, per, levels])
    starts = np.flatnonzero(np.r_[True, (np.diff(combo, axis=0) != 0).any(axis=1)])
    ends = np.r_[starts[1:], len(ind)]
    for s, e in zip(starts, ends, strict=True):
        key = (int(ind[s]), periods[per[s]])
        if key in result:
            result[key][int(levels[s])] = (area[s:e].copy(), value[s:e].copy())
    return result
