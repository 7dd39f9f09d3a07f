"""How far a running import job is, readable by every process while the import still runs.

The import writes its data in one long transaction, so progress cannot go through
that transaction. On PostgreSQL a second connection (autocommit) writes it into the
job row, where every web process on every machine reads it. A SQLite database is
locked for other writers while the import's transaction is open, and is only shared
by processes of one machine: there a small JSON file per job in the data directory
holds it, until the job's outcome is written to its row.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

log = logging.getLogger(__name__)
MESSAGE_LENGTH = 200  # ImportJob.progress_message


def folder() -> Path:
    """Folder of the progress files (SQLite)."""
    return Path(settings.QUARTIER.data_dir) / "progress"


def _file(job_id) -> Path:
    return folder() / f"{job_id}.json"


class Writer:
    """Reports the progress of one job; call it as ``writer(percent, message)``."""

    def __init__(self, job_id) -> None:
        self.job_id = str(job_id)
        self._side = None

    def __call__(self, percent: int, message: str) -> None:
        """Record ``percent`` (0–100) and what is being done."""
        percent, message = max(0, min(100, int(percent))), str(message)[:MESSAGE_LENGTH]
        try:
            if connection.vendor == "postgresql":
                self._write_row(percent, message)
            else:
                self._write_file(percent, message)
        except Exception:  # progress is a courtesy: it must never break the import
            log.warning("progress of import job %s not recorded", self.job_id, exc_info=True)

    def _write_row(self, percent: int, message: str) -> None:
        if self._side is None:
            self._side = connections.create_connection("default")  # autocommit
            with self._side.cursor() as cursor:
                # The import itself may hold the job's row: never wait for it.
                cursor.execute("SET lock_timeout = '2s'")
        with self._side.cursor() as cursor:
            cursor.execute(
                "UPDATE imports_importjob SET progress = %s, progress_message = %s"
                " WHERE id = %s AND status = 'running'",
                [percent, message, self.job_id],
            )

    def _write_file(self, percent: int, message: str) -> None:
        target = _file(self.job_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"percent": percent, "message": message}))
        os.replace(temporary, target)  # readers never see half a file

    def close(self) -> None:
        """Close the side connection and remove the progress file."""
        if self._side is not None:
            self._side.close()
            self._side = None
        clear(self.job_id)


def console(percent: int, message: str) -> None:
    """Show progress on the command line, as the wizard's bar shows it: ``[ 60 %] …``."""
    print(f"[{max(0, min(100, int(percent))):3d} %] {message}", flush=True)


def clear(job_id) -> None:
    """Forget the progress file of a job that has ended."""
    _file(job_id).unlink(missing_ok=True)


def read(job) -> tuple[int, str]:
    """(percent, message) of ``job`` as last reported, by whichever process runs it."""
    try:
        data = json.loads(_file(job.pk).read_text())
        return int(data["percent"]), str(data["message"])
    except (OSError, ValueError, KeyError, TypeError):
        return job.progress, job.progress_message
