"""Import jobs: a private work folder for uploads, progress, and running work in the background.

Long imports run in a thread of the server process so the wizard stays
responsive; the page polls :func:`progress`. Progress lives in memory (Quartier
serves from one process), the outcome is written to the job row. Uploaded files
are deleted as soon as a job ends (data minimisation).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from quartier.access import audit
from quartier.errors import QuartierError
from quartier.imports.models import ImportJob

log = logging.getLogger(__name__)
_progress: dict[str, tuple[int, str]] = {}
_lock = threading.Lock()
STALE_AFTER = timedelta(hours=24)


def upload_root() -> Path:
    """Folder for uploads, inside the data directory."""
    return Path(settings.QUARTIER.data_dir) / "uploads"


def create_job(kind: str, files: list[tuple[str, object]], user) -> ImportJob:
    """Save uploaded files into a new job's work folder; returns the job.

    Each file is (name, content): bytes, a Path, or an uploaded file with ``chunks()``.
    """
    cleanup_stale()
    job = ImportJob(
        kind=kind, created_by=user if getattr(user, "is_authenticated", False) else None
    )
    workdir = upload_root() / str(job.id)
    (workdir / "in").mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    names = []
    for name, content in files:
        safe = Path(name).name or "upload"
        target = workdir / "in" / safe
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            with open(target, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk)
        with open(target, "rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
        names.append(safe)
    job.workdir = str(workdir)
    job.source_name = ", ".join(names)[:300]
    job.source_sha256 = digest.hexdigest()
    job.save()
    return job


def input_files(job: ImportJob) -> list[tuple[str, Path]]:
    """(original name, path) of the job's uploaded files."""
    folder = Path(job.workdir) / "in"
    if not folder.is_dir():
        raise QuartierError(
            "Die hochgeladenen Dateien sind nicht mehr vorhanden – bitte neu hochladen."
        )
    return [(p.name, p) for p in sorted(folder.iterdir()) if p.is_file()]


def discard_files(job: ImportJob) -> None:
    """Delete the job's uploaded and unpacked files."""
    if job.workdir:
        shutil.rmtree(job.workdir, ignore_errors=True)


def cleanup_stale() -> None:
    """Remove work folders of jobs that were abandoned more than a day ago."""
    limit = timezone.now() - STALE_AFTER
    for job in ImportJob.objects.filter(updated_at__lt=limit).exclude(workdir=""):
        discard_files(job)
        ImportJob.objects.filter(pk=job.pk).update(workdir="")
    # Reports of individual records name addresses: keep them no longer than a day.
    ImportJob.objects.filter(kind=ImportJob.Kind.MICRODATA, updated_at__lt=limit).exclude(
        report={}
    ).update(report={})


def set_progress(job_id, percent: int, message: str) -> None:
    """Record how far a running job is."""
    with _lock:
        _progress[str(job_id)] = (int(percent), message)


def progress(job: ImportJob) -> dict:
    """Status of a job for the wizard's polling."""
    with _lock:
        percent, message = _progress.get(str(job.pk), (0, ""))
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        percent = 100
    return {"status": job.status, "percent": percent, "message": message, "error": job.error}


def run(job: ImportJob, work: Callable[[Callable[[int, str], None]], dict]) -> None:
    """Run ``work(report_progress)`` for ``job``, in the background unless configured otherwise.

    ``work`` returns the result dict stored on the job; a QuartierError marks
    the job failed with its message. Uploaded files are removed afterwards.
    """
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, error="")
    set_progress(job.pk, 1, "gestartet")
    # A thread sees no request: hand user and address over for the audit log.
    actor = audit.current_actor()
    if getattr(settings, "QUARTIER_IMPORTS_IN_BACKGROUND", True):
        threading.Thread(
            target=_in_thread, args=(job.pk, work, actor), daemon=True, name=f"import-{job.pk}"
        ).start()
    else:
        _execute(job.pk, work, actor)


def _in_thread(job_id, work, actor) -> None:
    """A background thread has its own database connection: open and close it cleanly."""
    close_old_connections()
    try:
        _execute(job_id, work, actor)
    finally:
        connections.close_all()  # this thread's connections; the thread ends here


def _execute(job_id, work, actor=None) -> None:
    try:
        with audit.acting(actor):
            result = work(lambda percent, message: set_progress(job_id, percent, message))
    except QuartierError as exc:
        _finish(job_id, ImportJob.Status.FAILED, error=exc.message)
    except Exception:  # the wizard must show something rather than spin forever
        log.exception("import job %s failed", job_id)
        _finish(
            job_id,
            ImportJob.Status.FAILED,
            error="Beim Import ist ein unerwarteter Fehler aufgetreten; nichts wurde gespeichert.",
        )
    else:
        _finish(job_id, ImportJob.Status.DONE, result=result)


def _finish(job_id, status, *, error: str = "", result: dict | None = None) -> None:
    job = ImportJob.objects.get(pk=job_id)
    job.status = status
    job.error = error
    job.result = result or {}
    job.save(update_fields=["status", "error", "result", "updated_at"])
    set_progress(job_id, 100, "fertig" if status == ImportJob.Status.DONE else "abgebrochen")
    discard_files(job)
