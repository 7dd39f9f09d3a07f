"""A cheap version stamp of the stored values, for caches that depend on them.

Every write of values happens inside an :class:`ImportBatch` (a new batch, or a
rollback that sets ``rolled_back_at``), so the batch table's statistics change
whenever the values do — across processes too.
"""

from __future__ import annotations

import functools
import threading
import time

from django.db.models import Count, Max

from quartier.indicators.models import ImportBatch

# Version checks are cheap but add up (a profile asks hundreds of times), so the
# answer is reused for a second. Writes in this process call :func:`bump`.
_TTL = 1.0
_checked: dict = {"at": -1.0, "version": None, "local": 0}
_listeners: list = []


def on_change(listener) -> None:
    """Call ``listener()`` whenever this process notices a new data state (any process's write)."""
    if listener not in _listeners:
        _listeners.append(listener)


def bump() -> None:
    """Forget the cached version after writing values in this process."""
    _checked["at"] = -1.0
    _checked["local"] += 1


def data_version() -> tuple:
    """A tuple that changes whenever values are written or rolled back."""
    now = time.monotonic()
    if now - _checked["at"] < _TTL:
        return _checked["version"]
    stats = ImportBatch.objects.aggregate(
        n=Count("id"),
        last=Max("id"),
        created=Max("created_at"),
        rolled=Count("rolled_back_at"),
        when=Max("rolled_back_at"),
    )
    version = (*stats.values(), _checked["local"])
    before = _checked["version"]
    _checked["at"], _checked["version"] = now, version
    if before is not None and before[:-1] != version[:-1]:
        for listener in _listeners:
            listener()
    return version


def cached_by_data_version(func):
    """Cache a function without arguments until :func:`data_version` changes."""
    lock = threading.Lock()
    state: dict = {}

    @functools.wraps(func)
    def wrapper():
        version = data_version()
        with lock:
            if state.get("version") == version:
                return state["value"]
        value = func()
        with lock:
            state["version"], state["value"] = version, value
        return value

    wrapper.cache_clear = state.clear
    return wrapper
