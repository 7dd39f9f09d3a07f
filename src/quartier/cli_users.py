"""Accounts named on the command line (``--user``): whose rights a command uses."""

from __future__ import annotations

from quartier.errors import QuartierError


def active_user(username: str):
    """The active account ``username``; a clear message if there is none."""
    from quartier.access.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise QuartierError(f"Kein aktives Konto „{username}“. / No such active user.")
    return user


def reading_user(username: str | None):
    """Whose rights a reading command (export, reports) uses: the named account or the public."""
    from django.contrib.auth.models import AnonymousUser

    return active_user(username) if username else AnonymousUser()
