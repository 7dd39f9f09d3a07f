"""The Steckbriefe of a level as a background job, with progress, for the web.

Rendering every Sozialraum takes minutes, so the page only queues a job in the
import worker's database queue (job kind ``report``); ``quartier worker`` renders the
ZIP with the rights and the language of the user who asked, into the data directory,
and every web process shows its progress and offers the file. With
``QUARTIER_IMPORTS_IN_BACKGROUND = False`` (the tests' settings) it runs at once.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from quartier.access.rights import is_admin
from quartier.errors import QuartierError
from quartier.files import private_dir, write_private
from quartier.imports import jobs
from quartier.imports.models import ImportJob

RUNNING = gettext_noop("Steckbriefe werden erstellt: %(done)s von %(total)s")
WRITING = gettext_noop("Der Bericht wird erstellt …")
NO_ACCOUNT = gettext_noop(
    "Das Benutzerkonto, das die Steckbriefe angefordert hat, ist nicht mehr aktiv."
)


def folder() -> Path:
    """Where finished report files wait for their download (0700, in the data directory)."""
    return private_dir(Path(settings.QUARTIER.data_dir) / "reports")


def submit(user, level_key: str, since: str, name: str) -> ImportJob:
    """Queue the Steckbriefe of ``level_key`` for ``user``; returns the job."""
    from quartier.imports import worker

    job = ImportJob.objects.create(
        kind=ImportJob.Kind.REPORT,
        status=ImportJob.Status.CHECKED,
        created_by=user,
        source_name=name[:300],
    )
    task = {"level": level_key, "since": since, "language": translation.get_language() or "de"}
    worker.submit(job, user, steckbriefe=task)
    job.refresh_from_db()
    return job


def submit_report(user, definition_id: int, period, fmt: str, name: str) -> ImportJob:
    """Queue a run of a Sozialbericht definition for ``user``; returns the job."""
    from quartier.imports import worker

    job = ImportJob.objects.create(
        kind=ImportJob.Kind.REPORT,
        status=ImportJob.Status.CHECKED,
        created_by=user,
        source_name=name[:300],
    )
    task = {
        "definition": definition_id,
        "period": period.isoformat() if period else None,
        "format": fmt,
        "language": translation.get_language() or "de",
    }
    worker.submit(job, user, sozialbericht=task)
    job.refresh_from_db()
    return job


def build_work(job: ImportJob, user):
    """The job's work for the worker: ``work(progress) -> {"filename", "confidential"}``."""
    if "sozialbericht" in job.task:
        return _report_work(job, user)
    from quartier.explorer.pages import change_start
    from quartier.reports.batch import steckbriefe

    def work(progress) -> dict:
        if user is None or not user.is_active:
            raise QuartierError(NO_ACCOUNT)
        task = job.task["steckbriefe"]

        def step(done: int, total: int) -> None:
            # In the submitter's language (the work runs in it): the numbers are in the text.
            progress(max(1, done * 99 // total), gettext(RUNNING) % {"done": done, "total": total})

        with translation.override(task["language"]):
            report = steckbriefe(user, task["level"], change_start(task["since"]), step)
        write_private(folder() / f"{job.pk}.out", report.content)
        return {"filename": report.filename, "confidential": report.confidential}

    return work


def visible_job(request, pk) -> ImportJob:
    """A report job its submitter or an administrator asks for (others: 404)."""
    return jobs.own_job(request, pk, ImportJob.Kind.REPORT, "Auftrag nicht gefunden.")


def result_file(job: ImportJob) -> Path | None:
    """The finished ZIP of ``job`` (None while it runs, after a failure, or once removed)."""
    path = folder() / f"{job.pk}.out"
    return path if job.status == ImportJob.Status.DONE and path.exists() else None


def state(job: ImportJob) -> dict:
    """Progress of the job for its page and its polling, in the page's language."""
    shown = jobs.progress(job)
    message = gettext(shown["message"]) if shown["message"] else ""
    download = ""
    if result_file(job) is not None:
        download = reverse("reports:job_file", args=[job.pk])
    return {
        **shown,
        "message": message,
        "error": gettext(job.error) if job.error else "",
        "download": download,
    }


def _report_work(job: ImportJob, user):
    """A Sozialbericht run, with the rights of the user who ordered it, checked again."""
    from datetime import date

    from quartier.access import audit
    from quartier.access.models import AuditEntry
    from quartier.reports import sozialbericht
    from quartier.reports.models import ReportDefinition

    def work(progress) -> dict:
        if user is None or not user.is_active:
            raise QuartierError(NO_ACCOUNT)
        task = job.task["sozialbericht"]
        definition = ReportDefinition.objects.filter(pk=task["definition"]).first()
        if definition is None or not (definition.created_by_id == user.pk or is_admin(user)):
            raise QuartierError("Bericht nicht gefunden. / Report not found.", status=404)
        progress(5, gettext(WRITING))
        period = date.fromisoformat(task["period"]) if task["period"] else None
        with translation.override(task["language"]):
            report = sozialbericht.run(user, definition, period, task["format"])
        write_private(folder() / f"{job.pk}.out", report.content)
        audit.record(
            AuditEntry.Action.EXPORT,
            f"bericht:{definition.pk}",
            format=task["format"],
            report="sozialbericht",
            confidential=report.confidential,
        )
        return {"filename": report.filename, "confidential": report.confidential}

    return work
