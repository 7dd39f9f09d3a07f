"""The job queue: imports and analyses wait in the database, a worker claims and runs them.

The web process only queues a job (:func:`submit`); ``quartier worker`` (also started
as a child of ``quartier serve`` and ``quartier demo``) claims it and runs it. Any web
process shows its progress (:mod:`.progress`). A job is claimed by taking its run lock
and then moving it from queued to running with a conditional UPDATE, so of several
workers exactly one runs it. A worker that dies (kill -9) releases the run lock; its
import's transaction is rolled back by the database, and the job is failed with a
message (:func:`quartier.imports.jobs.recover_stranded`), its upload deleted. Analyses
(:mod:`quartier.analysis.jobs`) are jobs of the kind ``analysis`` in the same queue.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from quartier.access import audit
from quartier.errors import QuartierError
from quartier.imports import jobs, progress
from quartier.imports.models import ImportJob
from quartier.imports.runlock import RunLock

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
RECOVER_EVERY = 30  # seconds between looks for jobs of dead workers


def worker_name() -> str:
    """The name of this process: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def submit(job: ImportJob, user, **choices) -> bool:
    """Queue a checked job for the worker; returns False if it was queued already.

    ``choices`` (JSON) are handed to the job's work, see :func:`build_work`. With
    ``QUARTIER_IMPORTS_IN_BACKGROUND = False`` (the tests' settings) the job runs at once.
    """
    actor = audit.current_actor()
    task = {
        "user": getattr(user, "pk", None),
        "ip": getattr(actor, "ip", None),
        **choices,
    }
    queued = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
        status=ImportJob.Status.QUEUED,
        task=task,
        error="",
        progress=0,
        progress_message="",
        updated_at=timezone.now(),
    )
    if queued and not getattr(settings, "QUARTIER_IMPORTS_IN_BACKGROUND", True):
        claimed = claim(job.pk)
        if claimed:
            run_claimed(*claimed)
    return bool(queued)


def claim(job_id, worker: str | None = None) -> tuple[ImportJob, RunLock] | None:
    """Take the queued job ``job_id`` for this process: (job, its held run lock), or None."""
    lock = RunLock(job_id, jobs.lock_folder())
    if not lock.acquire(wait=False):
        return None
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING,
        worker=(worker or worker_name())[:100],
        progress=1,
        progress_message="gestartet",
        updated_at=timezone.now(),
    )
    if not claimed:
        lock.release()
        return None
    return ImportJob.objects.get(pk=job_id), lock


def claim_next(worker: str | None = None) -> tuple[ImportJob, RunLock] | None:
    """Claim the oldest queued job nobody else has claimed, or return None."""
    queued = ImportJob.objects.filter(status=ImportJob.Status.QUEUED).order_by("created_at")
    for job_id in queued.values_list("pk", flat=True)[:50]:
        claimed = claim(job_id, worker)
        if claimed:
            return claimed
    return None


def build_work(job: ImportJob):
    """The work of ``job`` (an import's commit or an analysis), from its kind and queued task.

    It runs as the user who queued it, whose rights are checked again.
    """
    from django.contrib.auth import get_user_model

    from quartier.imports import views_geo, views_micro, views_table

    user = get_user_model().objects.filter(pk=job.task.get("user")).first()
    if job.kind == ImportJob.Kind.ANALYSIS:
        from quartier.analysis import jobs as analysis_jobs

        return analysis_jobs.build_work(job, user), user
    if job.kind == ImportJob.Kind.REPORT:
        from quartier.reports import jobs as report_jobs

        return report_jobs.build_work(job, user), user
    if job.kind == ImportJob.Kind.GEOMETRY:
        return views_geo.commit_work(job), user
    if job.kind == ImportJob.Kind.MICRODATA:
        return views_micro.commit_work(job, user), user
    return views_table.commit_work(job, user, bool(job.task.get("accept_warnings"))), user


def run_claimed(job: ImportJob, lock: RunLock, work=None) -> str:
    """Run a claimed job, release its lock, delete its files; returns the final status.

    ``work(progress) -> result`` replaces the job's own work (tests of the queue).
    """
    writer = progress.Writer(job.pk)
    try:
        status = _work(job, writer, work)
    finally:
        writer.close()
        lock.release()
    jobs.discard_files(job)
    return status


def _work(job: ImportJob, writer, work=None) -> str:
    """Run the job's work; its data and the job's outcome are committed in one transaction.

    A crash therefore leaves either the data and a finished job, or neither (and a
    job still marked running, which :func:`jobs.recover_stranded` then fails).
    """
    try:
        if work is None:
            work, user = build_work(job)
        else:
            user = None
        actor = audit.Actor(user, job.task.get("ip"))
        with transaction.atomic(), audit.acting(actor):
            result = work(writer)
            _record(job.pk, ImportJob.Status.DONE, result=result)
        return ImportJob.Status.DONE
    except QuartierError as exc:
        error = exc.message
    except Exception as exc:  # the wizard must show something rather than spin forever
        if isinstance(exc, IntegrityError) and jobs.unique_violation(exc):
            log.warning("job %s collided with another job: %s", job.pk, exc)
            error = jobs.text_for(job, jobs.CONCURRENT)
        else:
            log.exception("job %s failed", job.pk)
            error = jobs.text_for(job, jobs.UNEXPECTED)
    _record(job.pk, ImportJob.Status.FAILED, error=error)
    return ImportJob.Status.FAILED


def _record(job_id, status, *, error: str = "", result: dict | None = None) -> None:
    done = "fertig" if status == ImportJob.Status.DONE else "abgebrochen"
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        error=error,
        result=result or {},
        progress=100,
        progress_message=done,
        updated_at=timezone.now(),
    )


def parent_alive(parent_pid: int | None) -> bool:
    """Whether the process that started this worker still runs (always, without one)."""
    return parent_pid is None or os.getppid() == parent_pid


def serve_forever(poll: float = POLL_SECONDS, parent_pid: int | None = None) -> None:
    """Run queued jobs one after the other until the parent process (if any) ends."""
    name = worker_name()
    log.info("import worker %s started", name)
    last_recovery = 0.0
    while parent_alive(parent_pid):
        close_old_connections()
        if time.monotonic() - last_recovery > RECOVER_EVERY:
            jobs.recover_on_start()
            last_recovery = time.monotonic()
        try:
            claimed = claim_next(name)
        except Exception:  # e.g. the database is away for a moment: try again later
            log.warning("import worker could not look for jobs", exc_info=True)
            claimed = None
        if claimed:
            run_claimed(*claimed)
            continue
        time.sleep(poll)
