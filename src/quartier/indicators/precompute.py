"""Protect every family before anyone asks: the masks of the current data state, stored.

A server process computes the protection masks of every count family and
weighted mean for every period in a background thread: once at start, and again
whenever it notices a new data state (an import or rollback in any process —
also a nightly ``quartier import`` on the command line). What another process
already stored is read, not computed (:mod:`~.maskstore`), so several workers
share the work. Nothing depends on this having run: a reader computes what is
missing itself; this only moves the cost away from the first visitor.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import connection

from quartier.indicators import datastate, disclosure, store
from quartier.indicators.models import Indicator

log = logging.getLogger(__name__)

_lock = threading.Lock()
_state = {"running": False, "again": False, "enabled": False}


def protect_all() -> int:
    """Compute and store the masks of all count families and weighted means; returns how many.

    One indicator at a time, all its periods at once (one read of its family's
    values for the periods not yet stored).
    """
    from quartier.indicators.readlayer import consistent, stored_periods
    from quartier.spatial.index import area_index

    index = area_index()
    periods = stored_periods()
    computed = 0
    for indicator in Indicator.objects.select_related("weight").order_by("pk"):
        if not disclosure.stored_in_database(indicator):
            continue
        computed += consistent(lambda i=indicator: _protect(index, i, periods.get(i.pk, [])))
    return computed


def _protect(index, indicator: Indicator, periods: list) -> int:
    # Members of a family computed with an earlier one are found stored here.
    missing = disclosure.prepare(index, indicator, periods)
    if missing:
        store.stored(index, sorted(disclosure.inputs(indicator)), missing)
        for period in missing:
            disclosure.hidden_cells(index, indicator, period)
    return len(missing)


def enable() -> None:
    """Precompute in this process from now on: at once, and after every new data state."""
    _state["enabled"] = True
    datastate.on_change(soon)
    soon()


def soon() -> None:
    """Run :func:`protect_all` in a background thread (once more if one is running)."""
    if not _state["enabled"]:
        return
    with _lock:
        if _state["running"]:
            _state["again"] = True
            return
        _state["running"] = True
    threading.Thread(target=_run, name="quartier-protection", daemon=True).start()


def _run() -> None:
    try:
        while True:
            started = time.monotonic()
            try:
                computed = protect_all()
            except Exception:  # a cache filler must never take the process down
                log.exception("precomputing protection masks failed; readers compute them")
            else:
                if computed:
                    log.info(
                        "protection masks of %d indicator-periods computed in %.1f s",
                        computed,
                        time.monotonic() - started,
                    )
            with _lock:
                if not _state["again"]:
                    _state["running"] = False
                    return
                _state["again"] = False
    finally:
        connection.close()  # this thread's own connection
