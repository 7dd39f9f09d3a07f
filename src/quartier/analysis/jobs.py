"""Analyses as background jobs: the web form queues them, the import worker runs them.

An analysis can take long (permutations, large levels), so the form only queues a job
in the same database queue as the imports (:mod:`quartier.imports.worker`, job kind
``analysis``); ``quartier worker`` runs it with the rights of the user who submitted it,
and every web process shows its progress. A job whose worker died is failed with a
message like an import's (:func:`quartier.imports.jobs.recover_stranded`). With
``QUARTIER_IMPORTS_IN_BACKGROUND = False`` (the tests' settings) the job runs at once.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext, gettext_noop

from quartier.access.rights import analysis_visible, is_admin
from quartier.analysis import progress as analysis_progress
from quartier.errors import QuartierError
from quartier.imports import jobs
from quartier.imports.models import ImportJob

# Shown with gettext: stored in German with the job, like every job message.
NO_ACCOUNT = gettext_noop(
    "Das Benutzerkonto, das die Analyse gestartet hat, ist nicht mehr aktiv; sie wurde nicht "
    "berechnet."
)
RERUN_REFUSED = "Nur wer die Analyse angelegt hat, kann sie neu berechnen."


def may_rerun(user, analysis) -> bool:
    """Whether ``user`` may re-run ``analysis``: it writes into its derived indicators."""
    return is_admin(user) or analysis.created_by_id == user.pk


def submit(user, name: str, **choices) -> ImportJob:
    """Queue an analysis job for ``user``; returns the job (already ended in the tests).

    ``choices`` is either ``run={method, name, level, period, spec, unprotected}``
    (the form, parsed) or ``rerun={analysis, period}``; both are stored as JSON.
    """
    from quartier.imports import worker

    job = ImportJob.objects.create(
        kind=ImportJob.Kind.ANALYSIS,
        status=ImportJob.Status.CHECKED,
        created_by=user,
        source_name=name[:300],
    )
    worker.submit(job, user, **choices)
    job.refresh_from_db()
    return job


def run_choices(method_key, name, level, period: date | None, spec, unprotected) -> dict:
    """The ``run`` choices of :func:`submit` (what the view parsed from the form)."""
    return {
        "run": {
            "method": method_key,
            "name": name,
            "level": level,
            "period": period.isoformat() if period else None,
            "spec": spec,
            "unprotected": bool(unprotected),
        }
    }


def build_work(job: ImportJob, user):
    """The job's work for the worker: ``work(progress) -> {"analysis": pk}``."""

    def work(progress) -> dict:
        if user is None or not user.is_active:
            raise QuartierError(NO_ACCOUNT)
        progress(analysis_progress.READ_FROM, analysis_progress.READING)
        try:
            with analysis_progress.reporting(progress):
                task = job.task
                analysis = _rerun(task["rerun"], user) if "rerun" in task else _run(job, user)
        except (KeyError, ValueError) as exc:  # as the form answered when it ran them itself
            raise QuartierError(f"Die Angaben sind unvollständig oder ungültig ({exc}).") from exc
        return {"analysis": analysis.pk}

    return work


def _run(job: ImportJob, user):
    from quartier.analysis import registry

    task = job.task["run"]
    method = registry.get(task["method"])
    period = registry.parse_period(task["period"]) if task["period"] else None
    return method.run(
        user, task["name"], task["level"], period, task["spec"], unprotected=task["unprotected"]
    )


def _rerun(task: dict, user):
    """The re-run, with the view's checks made again for the user who asked for it."""
    from quartier.analysis import registry
    from quartier.analysis.models import Analysis

    analysis = Analysis.objects.filter(pk=task["analysis"]).first()
    if analysis is None or not analysis_visible(user, analysis):
        raise QuartierError("Analyse nicht gefunden. / Analysis not found.", status=404)
    if not may_rerun(user, analysis):
        raise QuartierError(RERUN_REFUSED, status=403)
    period = registry.parse_period(task["period"]) if task["period"] else None
    return registry.rerun(user, analysis, period)


def visible_job(request, pk) -> ImportJob:
    """An analysis job its submitter or an administrator asks for (others: 404)."""
    return jobs.own_job(request, pk, ImportJob.Kind.ANALYSIS, "Analyseauftrag nicht gefunden.")


def state(job: ImportJob) -> dict:
    """Progress of the job for its page and its polling, in the page's language."""
    shown = jobs.progress(job)
    result = ""
    if job.status == ImportJob.Status.DONE and job.result.get("analysis"):
        result = reverse("analysis:result", args=[job.result["analysis"]])
    return {
        **shown,
        "message": gettext(shown["message"]) if shown["message"] else "",
        "error": gettext(job.error) if job.error else "",
        "result": result,
    }
