"""Limits on abuse of the public contribution form — without third-party services and
without storing anything about the device (no address, no fingerprint):

* a honeypot field that people don't see and bots fill in;
* a signed form token: a form sent back sooner than a person can fill it in, or hours
  later, is refused (nothing is stored for it);
* a limit per procedure on contributions per minute, counted in the database, so every
  server process sees it;
* a limit per browser, kept in a signed cookie in that browser only;
* and in the end the moderation queue: nothing anyone writes is public before approval.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.core import signing
from django.utils import timezone

HONEYPOT = "webseite"
MIN_SECONDS = 2  # filling in the form takes a person longer
MAX_AGE = 4 * 3600
PER_MINUTE = 30  # per procedure, from everyone together
PER_BROWSER = 20  # per procedure and day, from one browser
_SALT = "quartier.participation.form"


def form_token(procedure) -> str:
    """A signed token naming the procedure and the time the form was shown."""
    return signing.dumps({"p": procedure.key, "t": time.time()}, salt=_SALT)


def token_problem(procedure, token: str) -> str | None:
    """Why a sent form's token is refused (None: accepted)."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        return "Das Formular war zu lange offen. Bitte lade die Seite neu."
    except signing.BadSignature:
        return "Das Formular ist ungültig. Bitte lade die Seite neu."
    if data.get("p") != procedure.key:
        return "Das Formular gehört zu einem anderen Verfahren."
    if time.time() - float(data.get("t", 0)) < MIN_SECONDS:
        return "Das ging zu schnell. Bitte versuche es noch einmal."
    return None


def too_many(procedure) -> bool:
    """True if the procedure got more than PER_MINUTE contributions in the last minute."""
    since = timezone.now() - timedelta(minutes=1)
    return procedure.contributions.filter(created__gte=since).count() >= PER_MINUTE


def cookie_name(procedure) -> str:
    """The cookie that counts this browser's contributions to the procedure today."""
    return f"beteiligung_{procedure.pk}"


def browser_count(request, procedure) -> int:
    """How many contributions this browser sent to the procedure today (signed cookie)."""
    value = request.get_signed_cookie(cookie_name(procedure), default="", salt=_SALT)
    day, _sep, count = value.partition(":")
    return int(count) if day == timezone.localdate().isoformat() and count.isdigit() else 0


def count_browser(response, request, procedure) -> None:
    """Add one to the browser's count (the cookie lives until the end of the day)."""
    count = browser_count(request, procedure) + 1
    response.set_signed_cookie(
        cookie_name(procedure),
        f"{timezone.localdate().isoformat()}:{count}",
        salt=_SALT,
        max_age=24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
