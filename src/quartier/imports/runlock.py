"""The lock a process holds while it runs an import job: how a crashed run is recognised.

An import job runs only while its runner holds the job's lock. On PostgreSQL that
is an advisory lock of the runner's database session; a SQLite database is only
ever shared by processes of one machine, so there it is an exclusive lock on a
small file in the data directory. PostgreSQL and the operating system release
these locks when their holder dies, also on ``kill -9`` or a power cut of the
runner's machine (once PostgreSQL notices the lost connection). So "the lock can
be taken" means exactly "no live process runs this job" — also with several server
processes on one or more machines, where another process's job is never touched.
(The runner's host and process id would not tell that reliably: process ids are
reused after a restart, and other machines' processes cannot be asked.)
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.core.files import locks
from django.db import connection

# First key of PostgreSQL's two-key advisory locks: "import job" (the bytes of "QIJ").
_NAMESPACE = 0x51494A


class RunLock:
    """The run lock of one import job (not shared between threads)."""

    def __init__(self, job_id, folder: Path) -> None:
        self.job_id = uuid.UUID(str(job_id))
        self.path = folder / f"{self.job_id}.lock"
        self._file = None
        self._held = False

    def _key(self) -> tuple[int, int]:
        return _NAMESPACE, int.from_bytes(self.job_id.bytes[:4], "big", signed=True)

    def acquire(self, wait: bool = True) -> bool:
        """Take the lock (waiting for it, or not); returns whether it is held now."""
        if connection.vendor == "postgresql":
            function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {function}(%s::int, %s::int)", self._key())
                row = cursor.fetchone()
            self._held = wait or bool(row[0])
            return self._held
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+b")  # noqa: SIM115 (held open while the lock is held)
        flags = locks.LOCK_EX if wait else locks.LOCK_EX | locks.LOCK_NB
        self._held = locks.lock(self._file, flags)
        if not self._held:
            self._file.close()
            self._file = None
        return self._held

    def release(self) -> None:
        """Give the lock back (and remove the lock file: the job does not run any more)."""
        if not self._held:
            return
        self._held = False
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", self._key())
            return
        self.path.unlink(missing_ok=True)
        locks.unlock(self._file)
        self._file.close()
        self._file = None
