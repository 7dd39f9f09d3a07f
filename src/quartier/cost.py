"""What one web request may cost: an estimate before computing, a cap, and few heavy ones at once.

Work is counted in *cells*: for every indicator-period a request computes, the
areas of its level on that period, plus :data:`SERIES_CELLS` for reading,
aggregating and protecting the indicator-period at all — that costs about as
much as a thousand areas even at the city level (``bench/api_heavy.py``). The
estimate needs only the area index, so a request is judged before any value is
read:

* over ``QUARTIER_MAX_REQUEST_VALUES`` cells it is refused with 400 and a message
  saying how to narrow it (:class:`TooMuchWork`);
* from :data:`HEAVY_CELLS` on it is *heavy*: at most ``QUARTIER_HEAVY_REQUESTS``
  heavy requests compute at once, as many more wait up to :data:`WAIT_SECONDS`
  for their turn, and any further one is answered 503 with ``Retry-After`` at
  once (:class:`Busy`). So heavy requests never hold more than twice that many
  of the server's threads, and cheap ones (a map, a page, a single series) are
  still answered while heavy ones run.
* pages whose size the caller cannot choose (an area's profile, a comparison)
  are heavy too, but they are normal page loads: they queue for a slot as long
  as it takes and are never refused (:func:`limited`). Refusing them made many
  page loads fail under 50 users (``bench/load.py``).

The limiter lives in the process on purpose: it protects that process's
threads, and every worker process has its own. Command-line runs (``quartier
export``) are not limited.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

from django.conf import settings

from quartier.errors import QuartierError

SERIES_CELLS = 1_000  # fixed cost of one indicator-period, in areas (measured, see above)
HEAVY_CELLS = 100_000  # about 0.1 s of work on a warm cache
WAIT_SECONDS = 5.0  # a heavy request waits this long for a free slot before 503
RETRY_AFTER = 10  # seconds a refused heavy request is told to wait


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


class TooMuchWork(QuartierError):
    """A request asks for more work than one request may do (HTTP 400)."""

    status = 400

    def __init__(self, cells: int, limit: int) -> None:
        super().__init__(
            f"Die Anfrage ist zu groß: rund {_thousands(cells)} Werte wären zu berechnen, "
            f"höchstens {_thousands(limit)} je Anfrage. Bitte weniger Indikatoren oder "
            "Stichtage, eine gröbere Raumebene oder kleinere Seiten (limit) wählen. "
            f"/ Request too large: about {cells:,} values to compute, at most {limit:,} per "
            "request. Ask for fewer indicators or periods, a coarser level or smaller pages "
            "(limit)."
        )
        self.cells, self.limit = cells, limit


class Busy(QuartierError):
    """Too many heavy requests are computing right now (HTTP 503, try again later)."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            "Gerade laufen zu viele große Abfragen; bitte in einigen Sekunden erneut versuchen "
            "oder die Anfrage verkleinern. / Too many large requests are running; please try "
            "again in a few seconds or ask for less."
        )
        self.retry_after = RETRY_AFTER


def series_cells(index, level, periods: Iterable[date | None]) -> int:
    """Cells of one indicator at ``level`` over ``periods`` (see the module docstring)."""
    return sum(int(index.valid_positions(level, period).size) + SERIES_CELLS for period in periods)


def check(cells: int) -> None:
    """Refuse (400) a request over ``QUARTIER_MAX_REQUEST_VALUES`` cells."""
    limit = settings.QUARTIER.max_request_values
    if cells > limit:
        raise TooMuchWork(cells, limit)


@contextmanager
def budget(cells: int) -> Iterator[None]:
    """Do the work of ``cells`` cells: refused if too large, in a heavy slot if heavy."""
    check(cells)
    with limited_or_busy(cells):
        yield


@contextmanager
def limited(cells: int) -> Iterator[None]:
    """Do the work of ``cells`` cells in a heavy slot if it is heavy, without a cap.

    For pages whose size the caller cannot choose (an area's profile holds every
    indicator): they are never refused, neither as too large nor as one too many;
    they wait their turn.
    """
    if cells < HEAVY_CELLS:
        yield
        return
    with _limiter(settings.QUARTIER.heavy_requests).queue():
        yield


@contextmanager
def limited_or_busy(cells: int) -> Iterator[None]:
    """Like :func:`limited`, but beyond the waiting room refused at once (:class:`Busy`)."""
    if cells < HEAVY_CELLS:
        yield
        return
    with _limiter(settings.QUARTIER.heavy_requests).slot():
        yield


class _Limiter:
    """``running`` heavy requests at once; as many more may wait for a turn.

    Pages whose size the caller cannot choose wait in a queue of their own (:meth:`queue`).
    """

    def __init__(self, running: int) -> None:
        self._running = threading.BoundedSemaphore(running)
        self._admitted = threading.BoundedSemaphore(2 * running)  # running + waiting
        self._count = threading.Lock()
        self.queued = 0  # pages waiting in the queue right now

    @contextmanager
    def queue(self) -> Iterator[None]:
        """A turn, however long the wait (not counted in the waiting room)."""
        with self._count:
            self.queued += 1
        try:
            self._running.acquire()
        finally:
            with self._count:
                self.queued -= 1
        try:
            yield
        finally:
            self._running.release()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """A turn if the waiting room has space and it comes within WAIT_SECONDS, else Busy."""
        if not self._admitted.acquire(blocking=False):
            raise Busy()
        try:
            if not self._running.acquire(timeout=WAIT_SECONDS):
                raise Busy()
            try:
                yield
            finally:
                self._running.release()
        finally:
            self._admitted.release()


_lock = threading.Lock()
_limiters: dict[int, _Limiter] = {}


def _limiter(running: int) -> _Limiter:
    """The process's limiter for ``running`` slots (one per configured value)."""
    with _lock:
        if running not in _limiters:
            _limiters[running] = _Limiter(running)
        return _limiters[running]
