"""Import jobs: a private work folder for uploads, their progress, and recovery after crashes.

Long imports run in a worker process (:mod:`.worker`) so the wizard stays
responsive; the page polls :func:`progress`, which any web process can answer
(:mod:`.progress`). The outcome is written to the job row in the same transaction
as the imported data. Uploaded files are deleted as soon as a job ends
(data minimisation). A job whose process died (kill -9, power cut) is failed with
a message, and its files deleted, when a server starts or someone looks at it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext_noop

from quartier.errors import DiskFull, QuartierError
from quartier.files import copy_private, is_disk_full, private_dir, write_private
from quartier.imports.models import ImportJob
from quartier.imports.runlock import RunLock

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(hours=24)
UPLOAD_DISK_FULL = (
    "Die Datei konnte nicht gespeichert werden: der Speicherplatz des Servers ist erschöpft. "
    "Bitte die Administration verständigen. / The upload could not be stored: the server's "
    "disk is full."
)
INTERRUPTED = (
    "Der Import wurde unterbrochen, weil der Hintergrundprozess beendet wurde; nichts wurde "
    "gespeichert. Bitte laden Sie die Datei erneut hoch."
)
UNEXPECTED = "Beim Import ist ein unerwarteter Fehler aufgetreten; nichts wurde gespeichert."
CONCURRENT = (
    "Ein anderer Import hat gleichzeitig dieselben Daten geschrieben; dieser Import wurde "
    "deshalb nicht gespeichert. Bitte prüfen Sie die Daten und laden Sie die Datei erneut hoch."
)

# The same failures of an analysis job (quartier.analysis.jobs); translated on display.
ANALYSIS_TEXTS = {
    INTERRUPTED: gettext_noop(
        "Die Analyse wurde unterbrochen, weil der Hintergrundprozess beendet wurde; nichts "
        "wurde gespeichert. Bitte starten Sie sie erneut."
    ),
    UNEXPECTED: gettext_noop(
        "Bei der Analyse ist ein unerwarteter Fehler aufgetreten; nichts wurde gespeichert."
    ),
    CONCURRENT: gettext_noop(
        "Eine andere Analyse hat gleichzeitig dieselben Indikatoren angelegt; diese Analyse "
        "wurde deshalb nicht gespeichert. Bitte starten Sie sie erneut."
    ),
}


# The same failures of a report job (quartier.reports.jobs).
REPORT_TEXTS = {
    INTERRUPTED: gettext_noop(
        "Die Berichte wurden unterbrochen, weil der Hintergrundprozess beendet wurde. Bitte "
        "starten Sie sie erneut."
    ),
    UNEXPECTED: gettext_noop("Bei den Berichten ist ein unerwarteter Fehler aufgetreten."),
}


def text_for(job: ImportJob, text: str) -> str:
    """The failure ``text`` (one of the import's) as said for ``job``'s kind."""
    if job.kind == ImportJob.Kind.ANALYSIS:
        return ANALYSIS_TEXTS.get(text, text)
    if job.kind == ImportJob.Kind.REPORT:
        return REPORT_TEXTS.get(text, text)
    return text


def own_job(request, pk, kind: str, not_found: str) -> ImportJob:
    """A job of ``kind`` its submitter or an administrator asks for (others: 404).

    For the queue's jobs that are no imports (analyses, reports); a running job whose
    worker has died is failed with a message first.
    """
    from django.http import Http404

    from quartier.access.rights import is_admin

    job = ImportJob.objects.filter(pk=pk, kind=kind).first()
    if job is None or not (job.created_by_id == request.user.pk or is_admin(request.user)):
        raise Http404(not_found)
    if job.status == ImportJob.Status.RUNNING and recover_stranded([job]):
        job.refresh_from_db()
    return job


def upload_root() -> Path:
    """Folder for uploads, inside the data directory (0700, like everything in it)."""
    root = private_dir(Path(settings.QUARTIER.data_dir) / "uploads")
    os.chmod(root, 0o700)  # also when an older version created it with the umask's mode
    return root


def create_job(kind: str, files: list[tuple[str, object]], user) -> ImportJob:
    """Save uploaded files into a new job's work folder; returns the job.

    Each file is (name, content): bytes, a Path, or an uploaded file with ``chunks()``.
    Files are private (0600). If the disk fills up, the partial files are removed
    and :class:`DiskFull` (507) is raised.
    """
    cleanup_stale()
    job = ImportJob(
        kind=kind, created_by=user if getattr(user, "is_authenticated", False) else None
    )
    workdir = upload_root() / str(job.id)
    try:
        names, digest = _store(files, private_dir(workdir / "in"))
    except BaseException as exc:
        shutil.rmtree(workdir, ignore_errors=True)  # no partial upload left behind
        if is_disk_full(exc):
            raise DiskFull(UPLOAD_DISK_FULL) from exc
        raise
    job.workdir = str(workdir)
    job.source_name = ", ".join(names)[:300]
    job.source_sha256 = digest.hexdigest()
    job.save()
    return job


def _store(files: list[tuple[str, object]], folder: Path) -> tuple[list[str], object]:
    """Write the files into ``folder``; returns their names and the SHA-256 of all."""
    digest = hashlib.sha256()
    names = []
    for name, content in files:
        safe = Path(name).name or "upload"
        target = folder / safe
        if isinstance(content, Path):
            copy_private(content, target)
        elif isinstance(content, bytes):
            write_private(target, content)
        else:
            write_private(target, content.chunks())
        with open(target, "rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
        names.append(safe)
    return names, digest


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


def progress(job: ImportJob) -> dict:
    """Status of a job for the wizard's polling (whichever process runs it)."""
    from quartier.imports import progress as job_progress

    percent, message = job_progress.read(job)
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        percent = 100
    return {"status": job.status, "percent": percent, "message": message, "error": job.error}


def unique_violation(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a unique constraint violation (PostgreSQL or SQLite)."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "23505" or "UNIQUE constraint" in str(exc)


def lock_folder() -> Path:
    """Folder for the run locks of jobs on SQLite (see :mod:`.runlock`)."""
    return Path(settings.QUARTIER.data_dir) / "locks"


def clear_progress(job_id) -> None:
    """Remove the progress file a killed worker left."""
    from quartier.imports import progress as job_progress

    job_progress.clear(job_id)


def recover_stranded(candidates: Iterable[ImportJob] | None = None) -> int:
    """Fail running jobs whose runner is gone, and remove their files; returns how many.

    A job counts as stranded only when nobody holds its run lock, i.e. the process
    that ran it has ended (killed, crashed, restarted); the jobs of live server
    processes, here or on another machine, are left alone.
    """
    if candidates is None:
        candidates = ImportJob.objects.filter(status=ImportJob.Status.RUNNING)
    recovered = 0
    for job in candidates:
        lock = RunLock(job.pk, lock_folder())
        if not lock.acquire(wait=False):
            continue  # a live process runs it
        try:
            failed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
                status=ImportJob.Status.FAILED,
                error=text_for(job, INTERRUPTED),
                updated_at=timezone.now(),
            )
        finally:
            lock.release()
        if failed:
            log.warning("job %s was interrupted (its process ended): marked failed", job.pk)
            discard_files(job)
            clear_progress(job.pk)
            recovered += failed
    return recovered


def remove_leftovers() -> None:
    """Delete files of finished jobs that a process killed just before deleting them left."""
    finished = [ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.CANCELLED]
    for job in ImportJob.objects.filter(status__in=finished).exclude(workdir=""):
        if Path(job.workdir).exists():
            discard_files(job)


def recover_on_start() -> None:
    """When a server process starts: fail stranded jobs and delete leftover uploads.

    Never stops the start: a database that is unreachable or not yet migrated is
    reported by the requests that need it.
    """
    try:
        recover_stranded()
        remove_leftovers()
    except Exception:
        log.warning("stranded import jobs could not be checked", exc_info=True)
