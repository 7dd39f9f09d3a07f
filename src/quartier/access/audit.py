"""Writing the audit log (Protokoll): one call per audited action.

The current request (for the user and the client address) is remembered by
:class:`quartier.access.middleware.RequestContextMiddleware`, so code deep in
the read layer or in signal handlers can record without passing it around.
Entries recorded at most once per request (viewing confidential values) are
de-duplicated by the read layer's :class:`~quartier.indicators.readlayer.Reader`.
"""

from __future__ import annotations

import contextvars
import logging
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)
current_request: contextvars.ContextVar = contextvars.ContextVar("quartier_request", default=None)
# Who acts where no request is at hand: work a request started in a background thread.
_actor: contextvars.ContextVar = contextvars.ContextVar("quartier_actor", default=None)


@dataclass(frozen=True)
class Actor:
    """The user and client address on whose behalf work is done."""

    user: object
    ip: str | None


def current_actor() -> Actor | None:
    """The actor of the current request (or of the :func:`acting` block), if any.

    Background work (an import commit runs in a thread of its own, which sees no
    request) gets it handed over explicitly, so its entries keep user and address.
    """
    request = current_request.get()
    if request is None:
        return _actor.get()
    return Actor(getattr(request, "user", None), client_ip(request))


@contextmanager
def acting(actor: Actor | None):
    """Record entries inside the block on behalf of ``actor`` (when no request is at hand)."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def client_ip(request) -> str | None:
    """The client's address, for the audit log and login throttling alike.

    Only REMOTE_ADDR: behind a reverse proxy, the server has already replaced it by
    the client the trusted proxy saw (quartier.server.behind_proxy), and forwarded
    headers from anyone else were dropped. Reading X-Forwarded-For here would let
    a client choose its own address.
    """
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(action: str, target: str = "", *, user=None, request=None, **details) -> None:
    """Append one entry; never lets an audit problem break the user's action silently."""
    entry(action, target, user=user, request=request, **details).save()


def entry(action: str, target: str = "", *, user=None, request=None, **details):
    """The unsaved entry :func:`record` would append (for :func:`record_all`)."""
    from quartier.access.models import AuditEntry

    request = request or current_request.get()
    actor = _actor.get() if request is None else None
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is None and actor is not None:
        user = actor.user
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry(
        action=action,
        target=str(target)[:300],
        user=user if signed_in else None,
        username=(user.get_username() if signed_in else details.pop("username", "")) or "",
        details=details,
        ip=client_ip(request) if request is not None else (actor.ip if actor else None),
    )


def record_all(entries: list) -> None:
    """Append several entries made by :func:`entry` in one statement."""
    from quartier.access.models import AuditEntry

    if entries:
        AuditEntry.objects.bulk_create(entries)


def defer_until_response(request, flush) -> None:
    """Call ``flush()`` when ``request``'s response is ready (see RequestContextMiddleware).

    A profile reads a few hundred confidential series; one INSERT per series took
    most of a steward's profile page, so the read layer collects them and writes
    them together.
    """
    request.__dict__.setdefault("_quartier_audit_flush", []).append(flush)


def flush_deferred(request) -> None:
    """Run the flushes registered for ``request`` (each once)."""
    flushes = request.__dict__.pop("_quartier_audit_flush", [])
    for flush in flushes:
        flush()
