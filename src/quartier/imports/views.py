"""Import start page, job pages shared by both wizards, import batches and rollback."""

from __future__ import annotations

import json

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from quartier.access.rights import is_admin, unit_ids
from quartier.access.writes import check_rollback, may_roll_back
from quartier.errors import QuartierError
from quartier.imports import jobs, views_geo, views_micro, views_table, worker
from quartier.imports.access import import_view, visible_job
from quartier.imports.models import ImportJob
from quartier.indicators.batches import rollback
from quartier.indicators.emptied import removable_indicators, remove_empty_indicators
from quartier.indicators.models import ImportBatch, ValueRevision


@require_safe
@import_view
def start(request):
    """Choose what to import; recent jobs and batches."""
    return render(
        request,
        "quartier/imports/start.html",
        {
            "jobs": ImportJob.objects.filter(created_by=request.user).exclude(
                kind__in=ImportJob.NOT_IMPORTS
            )[:10],
            "batches": ImportBatch.objects.select_related("created_by")[:10],
        },
    )


def _checked(job: ImportJob) -> ImportJob:
    """The job, failed first if it shows as running but its process has ended."""
    if job.status == ImportJob.Status.RUNNING and jobs.recover_stranded([job]):
        job.refresh_from_db()
    return job


@require_safe
@import_view
def job_page(request, pk):
    """Whatever the job needs next: options, report, progress or result."""
    job = _checked(visible_job(request, pk))
    shown = ImportJob.Status.QUEUED, ImportJob.Status.RUNNING
    if job.status in (*shown, ImportJob.Status.FAILED, ImportJob.Status.DONE):
        return render(
            request, "quartier/imports/progress.html", {"job": job, "progress": jobs.progress(job)}
        )
    if job.kind == ImportJob.Kind.GEOMETRY:
        return views_geo.geometry_job_page(request, job)
    if job.kind == ImportJob.Kind.MICRODATA:
        return views_micro.microdata_job_page(request, job)
    return views_table.table_job_page(request, job)


@require_POST
@import_view
def commit(request, pk):
    """Queue a checked job for the import worker (which commits it in the background)."""
    job = visible_job(request, pk, status=ImportJob.Status.CHECKED)
    if job.kind == ImportJob.Kind.GEOMETRY:
        if refusal := views_geo.location_unconfirmed(job, request.POST):
            messages.error(request, refusal)
            return redirect("imports:job", job.pk)
        choices = {}
    elif job.kind == ImportJob.Kind.MICRODATA:
        views_micro.commit_work(job, request.user)  # a refused commit answers 403 here
        choices = {}
    else:
        accept = request.POST.get("warnungen_akzeptiert") == "ja"
        if job.report.get("warnings") and not accept:
            messages.error(request, "Bitte bestätigen Sie, dass Sie die Warnungen gelesen haben.")
            return redirect("imports:job", job.pk)
        views_table.commit_work(job, request.user, accept)  # a refused commit answers 403 here
        choices = {"accept_warnings": accept}
    worker.submit(job, request.user, **choices)  # a second click finds it queued: nothing
    return redirect("imports:job", job.pk)


@require_POST
@import_view
def back(request, pk):
    """Return from the report to the options or mapping step."""
    job = visible_job(request, pk, status=ImportJob.Status.CHECKED)
    job.status = ImportJob.Status.UPLOADED
    job.save(update_fields=["status", "updated_at"])
    return redirect("imports:job", job.pk)


@require_POST
@import_view
def cancel(request, pk):
    """Abandon a job and delete its files."""
    job = visible_job(request, pk)
    if job.status not in (ImportJob.Status.RUNNING, ImportJob.Status.DONE):
        # A queued job is taken back: only a worker that claims it while queued runs it.
        jobs.discard_files(job)
        job.status = ImportJob.Status.CANCELLED
        job.save(update_fields=["status", "updated_at"])
    return redirect("imports:start")


@require_safe
@import_view
def status(request, pk):
    """Progress of a job as JSON (polled by the progress page)."""
    job = _checked(visible_job(request, pk))
    return JsonResponse(jobs.progress(job))


@require_safe
@import_view
def mapping_file(request, pk):
    """The table mapping as a JSON file, for unattended imports with the CLI."""
    job = visible_job(request, pk, kind=ImportJob.Kind.TABLE)
    body = json.dumps(job.options.get("mapping", {}), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="zuordnung.json"'
    return response


@require_safe
@import_view
def batches(request):
    """All import batches, newest first."""
    return render(
        request,
        "quartier/imports/batches.html",
        {
            "batches": ImportBatch.objects.select_related("created_by", "rolled_back_by")[:200],
        },
    )


@require_safe
@import_view
def batch_detail(request, pk):
    """One batch: provenance, counts and the values it replaced (history)."""
    batch = get_object_or_404(ImportBatch, pk=pk)
    replaced = ValueRevision.objects.filter(replaced_by=batch)
    if not is_admin(request.user):  # old values are unprotected: only the owning unit sees them
        replaced = replaced.filter(indicator__owner_id__in=unit_ids(request.user))
    replaced = replaced.select_related("indicator", "area")[:100]
    allowed = may_roll_back(request.user, batch)
    context = {
        "batch": batch,
        "replaced": replaced,
        "may_roll_back": allowed,
        # indicators this batch created that its rollback leaves (or has left) empty
        "emptied": removable_indicators(batch, request.user) if allowed else [],
    }
    return render(request, "quartier/imports/batch.html", context)


@require_POST
@import_view
def batch_rollback(request, pk):
    """Roll a batch back: remove exactly its values, restore what it replaced.

    Only administrators and the data stewards of every unit whose indicators the
    batch touches may (403 otherwise, naming nothing; see access.writes).
    """
    batch = get_object_or_404(ImportBatch, pk=pk)
    check_rollback(request.user, batch)  # a QuartierError(403) becomes the error page
    # Empty indicators the batch created go too if asked — only those the page listed.
    remove = request.POST.get("leere_entfernen") == "ja"
    shown = [int(v) for v in request.POST.getlist("indikator") if v.isdigit()]
    again = remove and batch.status == ImportBatch.Status.ROLLED_BACK  # only the removal
    try:
        with transaction.atomic():
            removed = None if again else rollback(batch, user=request.user)
            gone = remove_empty_indicators(batch, request.user, only=shown) if remove else []
    except QuartierError as exc:
        messages.error(request, exc.message)
        return redirect("imports:batch", batch.pk)
    if removed is not None:
        messages.success(
            request, f"Importlauf {batch.pk} zurückgenommen: {removed} Werte entfernt."
        )
    if gone:
        names = ", ".join(f"„{indicator.name}“" for indicator in gone)
        messages.success(request, f"Leere Indikatoren gelöscht: {names}.")
    return redirect("imports:batch", batch.pk)
