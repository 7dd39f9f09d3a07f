"""Files Quartier writes itself: private to the service account, and a full disk said plainly.

The data directory holds the SQLite database, the secret key and uploaded
tables with personal and confidential data. Whatever the umask of the shell or
the service manager, Quartier creates its directories 0700 and its files 0600,
so no other account on the server can read them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from quartier.errors import DiskFull

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_SQLITE_FULL = 13  # SQLITE_FULL: "database or disk is full"
_PG_DISK_FULL = "53100"  # SQLSTATE disk_full


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) with mode 0700, whatever the umask.

    Only directories created here get their mode set; an existing directory is
    the operator's and stays as it is.
    """
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # created meanwhile by another thread or process
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def _private_opener(path, flags: int) -> int:
    fd = os.open(path, flags, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)  # also when the file existed before, with a wider mode
    return fd


def open_private(path: Path):
    """Open ``path`` for writing bytes (created or truncated) with mode 0600."""
    return open(path, "wb", opener=_private_opener)


def open_lock_file(path: Path):
    """Open the lock file ``path`` (created if missing, never truncated) with mode 0600."""
    return open(path, "a", opener=_private_opener)


def write_private(path: Path, chunks: Iterable[bytes] | bytes) -> None:
    """Write bytes (or an iterable of chunks) to a private file."""
    with open_private(path) as out:
        for chunk in [chunks] if isinstance(chunks, bytes | bytearray) else chunks:
            out.write(chunk)


def copy_private(source: Path, target: Path) -> None:
    """Copy a file's content into a private file."""
    with open(source, "rb") as src, open_private(target) as out:
        shutil.copyfileobj(src, out, 1 << 20)


def make_private(path: Path) -> None:
    """Set an existing file (e.g. written by an older version) to 0600, if it is ours.

    Best effort: a file of another account (PermissionError) is left to its owner.
    """
    with contextlib.suppress(FileNotFoundError, PermissionError):
        os.chmod(path, PRIVATE_FILE)


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an error it was raised from) means the disk or a quota is full.

    Recognises OSError ENOSPC/EDQUOT, SQLite's SQLITE_FULL and PostgreSQL's
    ``disk_full``, also when Django wrapped them in its own database errors.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS:
            return True
        if getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL:
            return True
        if getattr(exc, "sqlstate", None) == _PG_DISK_FULL:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def disk_full_error(exc: BaseException) -> DiskFull | None:
    """A :class:`DiskFull` error for ``exc`` if it means a full disk, else None."""
    return DiskFull() if is_disk_full(exc) else None
