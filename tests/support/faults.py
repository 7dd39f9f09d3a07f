"""A full disk, for tests: without root, loop devices or a small file system.

* In the test process, :func:`fill_disk_under` lets files below a folder take only
  so many bytes, then their ``write`` fails with ENOSPC, as on a real full disk
  (the bytes written before stay on disk, as a real partial file would).
* For the ``quartier`` command as a subprocess, ``python -m tests.support.faults
  PAGES ARGS…`` runs ``quartier ARGS…`` with every SQLite connection limited to
  PAGES pages (``PRAGMA max_page_count``): SQLite then fails exactly as on a
  full disk, with SQLITE_FULL "database or disk is full".
"""

from __future__ import annotations

import builtins
import errno
import os
import sys
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class _FillingFile:
    """A file opened for writing on a disk with ``budget[0]`` bytes left."""

    def __init__(self, handle, budget: list[int]):
        self._handle, self._budget = handle, budget

    def write(self, data) -> int:
        """Write what still fits; then fail like the kernel does on a full disk."""
        room = self._budget[0]
        if len(data) > room:
            self._handle.write(data[:room])
            self._budget[0] = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._handle.name)
        self._budget[0] -= len(data)
        return self._handle.write(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._handle.close()


def fill_disk_under(monkeypatch, folder: Path, free_bytes: int) -> None:
    """Let files written below ``folder`` (through ``open``) take ``free_bytes`` in all."""
    real_open = builtins.open
    budget = [free_bytes]
    folder = Path(folder).resolve()

    def open_on_small_disk(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        writing = any(flag in mode for flag in "wax+") and isinstance(file, str | os.PathLike)
        if writing and Path(file).resolve().is_relative_to(folder):
            return _FillingFile(handle, budget)
        return handle

    monkeypatch.setattr(builtins, "open", open_on_small_disk)


@contextmanager
def umask(mask: int):
    """Run with the given umask (e.g. 0o022, the usual one that makes new files world-readable)."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    """Permission bits of ``folder`` and everything below it, by relative path ("." = itself)."""
    folder = Path(folder)
    found = {".": os.stat(folder).st_mode & 0o777}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = os.stat(path).st_mode & 0o777
    return found


def limit_sqlite(pages: int) -> None:
    """Limit every SQLite connection Django opens from now on to ``pages`` pages."""
    from django.db.backends.signals import connection_created

    def limit(sender, connection, **kwargs):
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA max_page_count = {int(pages)}")

    connection_created.connect(limit, weak=False)


def main() -> int:
    """``python -m tests.support.faults PAGES ARGS…``: ``quartier ARGS…`` on a full disk."""
    limit_sqlite(int(sys.argv[1]))
    from quartier.cli import main as quartier

    return quartier(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
