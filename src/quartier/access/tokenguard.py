"""Failed access-token attempts: recorded in the audit log and throttled per client address.

A script with a revoked token, or someone guessing, shows up in the *Protokoll*
as a failed login (``channel: token``) with the address and the public start of
the presented token — never the rest of it. After ``QUARTIER_TOKEN_FAILURE_LIMIT``
failures from one address within ``QUARTIER_TOKEN_FAILURE_WINDOW``, that address
gets 429 with ``Retry-After`` for every token until the oldest counted failure has
left the window. The count is read from the audit log, i.e. the database, so every
server process sees the same failures (a module-level dict would not).
"""

from __future__ import annotations

import math

from django.conf import settings
from django.utils import timezone

from quartier.access import audit
from quartier.access.models import AuditEntry

TARGET = "Zugangsschlüssel"  # the audit entry's target for failed token attempts


def _limit() -> int:
    return int(getattr(settings, "QUARTIER_TOKEN_FAILURE_LIMIT", 10))


def _window():
    from datetime import timedelta

    return getattr(settings, "QUARTIER_TOKEN_FAILURE_WINDOW", timedelta(minutes=15))


def retry_after(request) -> int | None:
    """Seconds until this client may present a token again, or None if it may now."""
    ip = audit.client_ip(request)
    if ip is None:
        return None
    now, limit, window = timezone.now(), _limit(), _window()
    failures = list(
        AuditEntry.objects.filter(
            action=AuditEntry.Action.LOGIN_FAILED, target=TARGET, ip=ip, at__gte=now - window
        )
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if len(failures) < limit:
        return None
    # Free again when the limit-th newest failure leaves the window.
    return max(1, math.ceil((failures[-1] + window - now).total_seconds()))


def record_failure(request, secret: str) -> None:
    """Audit one refused token: channel, path and the token's public start, never the secret."""
    from quartier.access.tokens import PREFIX, looks_like_token

    details = {"channel": "token", "path": request.path[:200]}
    if looks_like_token(secret):
        # As much as /schnittstellen/ and the admin show of every token: not the secret.
        details["prefix"] = secret[: len(PREFIX) + 6]
    audit.record(AuditEntry.Action.LOGIN_FAILED, TARGET, request=request, **details)
