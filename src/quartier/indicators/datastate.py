"""Version stamps of the stored values, per indicator, for caches that depend on them.

Every write of values (an import batch, a rollback, removed indicators) calls
:func:`changed` with the indicators it touched, **in the same transaction**: a
:class:`~quartier.indicators.models.DataStamp` row per indicator gets a new
random token. A cache keyed by the tokens of the indicators it was computed
from (:meth:`DataState.of`) is dropped only when one of those changes — after an
import into one indicator, the others' values, masks and profiles stay.

Across processes: each process reads all tokens (one small query) at most once
per :data:`_TTL` second; a process that wrote calls :func:`changed`, which makes
it read again at once. The tokens read are a :class:`DataState`; the read layer
*pins* one per call (:func:`pinned`), so all keys of a request come from one
snapshot and are worked out once (a profile asks thousands of times).

Fail closed: values read from the database are checked against the pinned
tokens (:func:`confirm`). If another process committed in between, the state is
marked ``stale``: nothing computed under it is cached, and the read layer
starts again with fresh tokens.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction

from quartier.indicators.models import DataStamp

_TTL = 1.0
_lock = threading.Lock()
_process: dict = {"at": -1.0, "state": None, "local": 0}
_listeners: list = []
_pinned: contextvars.ContextVar[DataState | None] = contextvars.ContextVar(
    "quartier_data_state", default=None
)
# Set in a thread that wrote stamps in a transaction not yet committed: what it reads
# then must not become every thread's state (another thread would see uncommitted data).
_writer = threading.local()


@dataclass(eq=False)
class DataState:
    """The tokens of all indicators at one moment (0 for an indicator without a stamp)."""

    stamps: dict[int, int]
    token: str  # a digest of all stamps, for caches over all values
    local: int = 0  # changed by bump(): this process forgets every key made before
    stale: bool = False
    memo: dict = field(default_factory=dict)  # keys worked out under this state

    @property
    def version(self) -> tuple:
        """The digest of all stamps and the local counter (changes with any write or bump)."""
        return (self.token, self.local)

    def of(self, ids: Iterable[int]) -> tuple:
        """The tokens of ``ids`` (sorted by id) and the local counter, for a cache key.

        For keys shared between processes leave the counter out (``[1]``).
        """
        return (self.local, tuple((i, self.stamps.get(i, 0)) for i in sorted(set(ids))))

    def remember(self, key, build):
        """``build()`` computed once per state for ``key`` (e.g. a cache key of an indicator)."""
        try:
            return self.memo[key]
        except KeyError:
            value = self.memo[key] = build()
            return value


def on_change(listener) -> None:
    """Call ``listener()`` whenever this process notices a new data state (any process's write)."""
    if listener not in _listeners:
        _listeners.append(listener)


def changed(indicator_ids: Iterable[int]) -> None:
    """Give ``indicator_ids`` new tokens: their values changed (call in the write's transaction)."""
    ids = sorted({int(i) for i in indicator_ids})
    if ids:
        rows = [DataStamp(indicator_id=i, token=secrets.randbits(62) + 1) for i in ids]
        with transaction.atomic():
            DataStamp.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["indicator"], update_fields=["token"]
            )
        if connection.in_atomic_block:
            _writer.active = True
            transaction.on_commit(_committed)
    _forget()


def bump() -> None:
    """Forget every key of this process (values written around :func:`changed`, e.g. in tests)."""
    _writer.active = False
    with _lock:
        _process["local"] += 1
    _forget()


def _committed() -> None:
    _writer.active = False
    _forget()


def _forget() -> None:
    with _lock:
        _process["at"] = -1.0


def current(fresh: bool = False) -> DataState:
    """The pinned state, else this process's (read again after :data:`_TTL` or when ``fresh``)."""
    state = _pinned.get()
    if state is not None and not fresh:
        return state
    if getattr(_writer, "active", False):
        if connection.in_atomic_block:
            return _read()  # its own uncommitted tokens, for this thread only
        _writer.active = False
    now = time.monotonic()
    with _lock:
        held = _process["state"]
        if not fresh and held is not None and not held.stale and now - _process["at"] < _TTL:
            return held
    state = _read()
    with _lock:
        before = _process["state"]
        if before is not None and not before.stale and before.version == state.version:
            state = before  # unchanged: keep the keys worked out under it
        _process["at"], _process["state"] = now, state
    if before is not None and before.token != state.token:
        for listener in _listeners:
            listener()
    return state


def _read() -> DataState:
    stamps = dict(DataStamp.objects.values_list("indicator_id", "token"))
    digest = hashlib.sha256(repr(sorted(stamps.items())).encode()).hexdigest()
    return DataState(stamps, digest, _process["local"])


@contextlib.contextmanager
def pinned(fresh: bool = False):
    """Use one state for everything inside (nested pins keep the outer one); yields it."""
    outer = _pinned.get()
    if outer is not None and not fresh:
        yield outer
        return
    state = current(fresh=fresh)
    token = _pinned.set(state)
    try:
        yield state
    finally:
        _pinned.reset(token)


def is_pinned() -> bool:
    """True inside :func:`pinned`."""
    return _pinned.get() is not None


def confirm(state: DataState, indicator_ids: Iterable[int]) -> bool:
    """True if ``indicator_ids`` still have ``state``'s tokens (call after reading their values).

    Read after the values: equal tokens mean no write to them committed since
    ``state`` was read, so the values read belong to ``state``. Otherwise the
    state is marked stale and nothing computed under it is kept.
    """
    ids = sorted({int(i) for i in indicator_ids})
    if not ids or state.stale:
        return not state.stale
    found = dict(
        DataStamp.objects.filter(indicator_id__in=ids).values_list("indicator_id", "token")
    )
    if any(found.get(i, 0) != state.stamps.get(i, 0) for i in ids):
        state.stale = True
    return not state.stale


def data_version() -> tuple:
    """Changes whenever any stored value changes (for caches over all values)."""
    return current().version


def cached_by_data_version(func):
    """Cache a function without arguments until :func:`data_version` changes."""
    lock = threading.Lock()
    state: dict = {}

    @functools.wraps(func)
    def wrapper():
        now = current()
        with lock:
            if state.get("version") == now.version:
                return state["value"]
        value = func()
        if not now.stale:
            with lock:
                state["version"], state["value"] = now.version, value
        return value

    wrapper.cache_clear = state.clear
    return wrapper
