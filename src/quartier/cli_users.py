"""For commands: accounts named on the command line (``--user``), files they write."""

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


def write_file(output: str | None, filename: str, content: bytes, note: str = "") -> None:
    """Write a command's file to ``output`` (a file, a folder, or the current folder)."""
    from pathlib import Path

    target = Path(output) if output else Path(filename)
    if target.is_dir():
        target = target / filename
    try:
        target.write_bytes(content)
    except OSError as exc:
        raise QuartierError(f"{target} kann nicht geschrieben werden: {exc.strerror}") from None
    print(f"{target} geschrieben ({len(content):,} Bytes){note}.".replace(",", "."))
