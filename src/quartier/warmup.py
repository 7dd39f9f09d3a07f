"""Warming up a server process without making requests wait for it.

One-off costs of a new process, measured on a 2-core machine (issue 15):

* **What every map needs** — Django's URL configuration with all view modules
  (about 1.3 s) and the area index. :func:`preload` does it before the server
  accepts connections: gunicorn's master once, before it forks the workers, so
  every worker starts with it (the listening socket is bound earlier, so an
  early visitor waits in its queue, not for an error). Libraries only some
  pages need are imported on first use, not here: mapclassify with scipy.stats,
  scikit-learn and pandas (4–7 s; the map's quantiles and standard deviations
  do without it, see :mod:`quartier.core.classification`), matplotlib (charts,
  reports), pyogrio with geopandas (geometry files), openpyxl (XLSX). Loading
  them all took 7 s of CPU before the first request could be answered.
* **What only some pages and analyses need** — those libraries, mapclassify's
  Fisher-Jenks kernel (from numba's disk cache, :mod:`quartier.core.jitcache`)
  and esda's local Moran, which compiles for 10–30 s in every process (numba
  cannot cache it). :func:`when_idle` loads them in a background thread once
  no request has run for :data:`IDLE_SECONDS`: importing and compiling hold
  the GIL, and a request in the same process would share it. Worker processes
  take turns (:func:`in_turn`), so at most one core works on it. A page or
  analysis asked before then loads what it needs itself.

:func:`track` counts the requests in flight (wrapped around the WSGI
application); only the application call is counted — responses that stream
after it (exports) are not, which is good enough to find a quiet moment.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable

try:
    import fcntl
except ImportError:  # Windows: one process (waitress), nobody to take turns with
    fcntl = None

log = logging.getLogger(__name__)

IDLE_SECONDS = 2.0  # a process counts as idle after this long without a request
WARM_UP_LOCK = "warm-up.lock"  # in the data directory: one process compiles at a time

_cond = threading.Condition()
_state = {"busy": 0, "last": 0.0}  # requests in flight; monotonic time the last one ended


def track(app):
    """Wrap the WSGI ``app`` so that :func:`idle` knows when requests run."""

    def tracked(environ, start_response):
        with _cond:
            _state["busy"] += 1
        try:
            return app(environ, start_response)
        finally:
            with _cond:
                _state["busy"] -= 1
                _state["last"] = time.monotonic()
                _cond.notify_all()

    return tracked


def idle(quiet: float = IDLE_SECONDS) -> bool:
    """True if no request runs and none has ended in the last ``quiet`` seconds."""
    with _cond:
        return _state["busy"] == 0 and time.monotonic() - _state["last"] >= quiet


def wait_until_idle(quiet: float = IDLE_SECONDS) -> None:
    """Block until :func:`idle` (``quiet``) holds."""
    with _cond:
        while True:
            if _state["busy"]:
                _cond.wait()
                continue
            left = _state["last"] + quiet - time.monotonic()
            if left <= 0:
                return
            _cond.wait(left)


def when_idle(work: Callable[[], None], quiet: float = IDLE_SECONDS) -> None:
    """Run ``work`` once the process is idle; its errors are logged, never raised."""
    wait_until_idle(quiet)
    try:
        work()
    except Exception:  # a warm-up must never take the process down; requests compile
        log.exception("warm-up failed")


def preload() -> None:
    """Load what the first map request needs: every view module, the areas and their
    current map geometry.

    The area index and the geometry documents are checked against the database on
    use like any cache, so a worker forked with them answers correctly after any
    change; if the database cannot be read now, the first request loads them. A
    level without a stored document (a new document format after an upgrade) gets
    one built here, before the server accepts connections, not by a visitor.
    """
    from django.db import DatabaseError
    from django.urls import get_resolver

    from quartier.spatial.display import level_geometry
    from quartier.spatial.index import area_index

    get_resolver().url_patterns  # noqa: B018 (imports the URL configuration and its views)
    try:
        for level in area_index().levels:
            level_geometry(level, None)
    except DatabaseError:
        log.warning("areas not preloaded: the database cannot be read now")


def _natural_breaks() -> None:
    import numpy as np

    from quartier.core.classification import classify

    classify(np.arange(20, dtype=float), "natural_breaks", 3)  # imports mapclassify


def _statistics() -> None:
    from quartier.core.autocorrelation import warm_up as warm_up_lisa

    warm_up_lisa()


def _importing(module: str) -> Callable[[], None]:
    def load() -> None:
        importlib.import_module(module)

    load.__name__ = f"import {module}"
    return load


# Each step waits for a quiet moment of its own, so a request that arrives meanwhile
# shares the process with one step (at most about a second), not with all of them.
# mapclassify's imports come one by one before it: together they take 4–7 s.
WARM_UP_STEPS = (
    *map(_importing, ("scipy.stats", "sklearn.cluster", "pandas", "matplotlib.figure")),
    _natural_breaks,
    _importing("pyogrio"),  # geometry files (with geopandas)
    _statistics,
)


def warm_up() -> None:
    """Load what some pages and analyses need, all at once: seconds of CPU per process.

    mapclassify (natural breaks), matplotlib (charts, reports), pyogrio with
    geopandas (geometry files), then esda's statistics (numba compiles them).
    """
    for step in WARM_UP_STEPS:
        step()


def in_turn(work: Callable[[], None], lock_path) -> Callable[[], None]:
    """``work`` run while holding the file lock ``lock_path``: processes take turns.

    Compiling takes a whole core for seconds; with workers taking turns, at most
    one core compiles and the others keep serving.
    """

    def turn() -> None:
        from quartier.files import open_lock_file

        with open_lock_file(lock_path) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            work()

    return turn


def start(data_dir, precompute: bool = True) -> None:
    """A serving process's background start: precompute masks now, compile when idle.

    QUARTIER_WARM_UP=0 leaves the compiling out (short-lived servers: scripts, tests).

    ``precompute``: this process precomputes the protection masks (see
    :mod:`quartier.indicators.precompute`); with several workers, one does.
    """
    from django.conf import settings

    if precompute:
        from quartier.indicators import precompute as masks

        masks.enable()
    if not settings.QUARTIER.warm_up:
        return  # QUARTIER_WARM_UP=0: the first hot-spot analysis compiles instead
    lock = os.path.join(data_dir, WARM_UP_LOCK)
    steps = [in_turn(step, lock) if fcntl else step for step in WARM_UP_STEPS]
    threading.Thread(target=_run_steps, args=(steps,), name="quartier-warm-up", daemon=True).start()


def _run_steps(steps, quiet: float | None = None) -> None:
    """Run each of ``steps`` once the process has been quiet for ``quiet`` seconds."""
    for step in steps:
        when_idle(step, IDLE_SECONDS if quiet is None else quiet)
