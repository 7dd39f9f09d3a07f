"""Personal access tokens: creation, revocation, and finding the user of a presented secret.

A secret looks like ``qt_<43 random characters>``. Only its SHA-256 hash is
stored, so a database dump does not give anyone access; the secret is shown
once, when it is created.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from quartier.access import audit
from quartier.access.models import ApiToken, AuditEntry
from quartier.errors import QuartierError

PREFIX = "qt_"
# Writing last_used_at on every request would turn each read into a write.
_USE_RESOLUTION = timedelta(minutes=5)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def looks_like_token(text: str) -> bool:
    """True if ``text`` has the shape of a Quartier token (not whether it is valid)."""
    return text.startswith(PREFIX) and 20 <= len(text) <= 100


def create_token(user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with the secret, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise QuartierError("Bitte eine Bezeichnung angeben. / A name is required.", status=400)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=secret[: len(PREFIX) + 6], secret_hash=_hash(secret)
    )
    audit.record(AuditEntry.Action.TOKEN, f"{user.get_username()}: {token.name}", created=token.pk)
    return token, secret


def revoke_token(token: ApiToken) -> None:
    """Revoke ``token`` for good (revoking twice changes nothing)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        AuditEntry.Action.TOKEN, f"{token.user.get_username()}: {token.name}", revoked=token.pk
    )


def user_for_secret(secret: str):
    """The active user a secret belongs to, or None (unknown, revoked, inactive account)."""
    if not looks_like_token(secret):
        return None
    token = (
        ApiToken.objects.active().select_related("user").filter(secret_hash=_hash(secret)).first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
