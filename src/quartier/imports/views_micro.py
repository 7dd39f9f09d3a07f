"""Wizard for individual records (Einzeldaten) and the address register (Hauskoordinaten).

The records are read, placed and counted at the "check" step; right after that
the uploaded file is deleted. Only the counts per area remain on the job until
they are committed, and the list of records that could not be placed is shown
to the uploader alone.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from pathlib import Path

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from quartier.access.rights import writable_indicators
from quartier.errors import QuartierError
from quartier.imports import jobs
from quartier.imports.access import import_view, upload_too_large, visible_job
from quartier.imports.microdata import (
    Aggregation,
    MicrodataSpec,
    aggregate,
    commit,
    existing_count,
    finest_level,
    register_size,
    store_register,
)
from quartier.imports.models import ImportJob
from quartier.imports.tables import read_table
from quartier.indicators.models import Kind
from quartier.spatial.models import Level


def own_job(request, pk) -> ImportJob:
    """A microdata job of the signed-in user (nobody else may see its report)."""
    return visible_job(request, pk, kind=ImportJob.Kind.MICRODATA)


@import_view
def upload(request):
    """Step 1: a file with one row per case (coordinates or addresses)."""
    context = {
        "kind": "microdata",
        "register_size": register_size(),
    }
    if request.method != "POST":
        return render(request, "quartier/imports/upload.html", context)
    too_large = upload_too_large(request)
    files = request.FILES.getlist("dateien")
    if too_large or len(files) != 1:
        context["error"] = too_large or "Bitte genau eine Datei auswählen."
        return render(
            request, "quartier/imports/upload.html", context, status=413 if too_large else 200
        )
    job = jobs.create_job(ImportJob.Kind.MICRODATA, [(files[0].name, files[0])], request.user)
    try:
        name, path = jobs.input_files(job)[0]
        table = read_table(path, original_name=name)
    except QuartierError as exc:
        jobs.discard_files(job)
        job.status, job.error = ImportJob.Status.FAILED, exc.message
        job.save()
        context["error"] = exc.message
        return render(request, "quartier/imports/upload.html", context)
    job.analysis = {"columns": table.columns, "rows": len(table.rows), "notes": table.notes}
    job.save()
    return redirect("imports:job", job.pk)


def spec_page(request, job: ImportJob, error: str | None = None, status: int = 200):
    """Step 2: which columns hold coordinates or the address, and what to count."""
    return render(
        request,
        "quartier/imports/microdata_spec.html",
        {
            "job": job,
            "columns": job.analysis.get("columns", []),
            "error": error,
            "spec": job.options.get("spec", {}),
            "levels": Level.objects.all(),
            "counts": writable_indicators(request.user).filter(kind=Kind.COUNT),
            "register_size": register_size(),
        },
        status=status,
    )


def spec_from_post(post) -> MicrodataSpec:
    """The form's choices as a spec."""
    values = {
        f.name: (post.get(f.name) or "").strip() for f in fields(MicrodataSpec) if f.name != "topic"
    }
    values["mode"] = values["mode"] or "coordinates"
    values["crs"] = values["crs"] or "EPSG:25832"
    spec = MicrodataSpec(**values)
    if not spec.indicator_key and not spec.indicator_name:
        raise QuartierError(
            "Bitte einen Namen für die neue Anzahl angeben oder eine vorhandene wählen."
        )
    return spec


@require_POST
@import_view
def check(request, pk):
    """Step 3: place and count the records; delete the upload right away."""
    job = own_job(request, pk)
    try:
        spec = spec_from_post(request.POST)
        if spec.indicator_key:  # may this user count into it? (checked again on commit)
            existing_count(spec.indicator_key, request.user)
        name, path = jobs.input_files(job)[0]
        result = aggregate(read_table(path, original_name=name), spec, user=request.user)
    except QuartierError as exc:
        return spec_page(request, job, exc.message, status=403 if exc.status == 403 else 200)
    jobs.discard_files(job)  # the records are not needed any more: only counts remain
    job.options = {"spec": spec.to_json()}
    job.report = result.to_json()
    job.status = ImportJob.Status.CHECKED
    job.save()
    return redirect("imports:job", job.pk)


def commit_work(job: ImportJob, user):
    """The background work: store the counts as one import batch.

    Whether the user may count into an existing indicator is checked here, before
    the work starts (403, the job stays as it was), and again when writing.
    """
    key = job.options.get("spec", {}).get("indicator_key")
    if key:
        existing_count(key, user)

    def work(progress) -> dict:
        progress(20, "Anzahlen werden gespeichert")
        data = dict(job.report)
        data["period"] = date.fromisoformat(data["period"])
        batch, keys = commit(
            Aggregation(**data),
            MicrodataSpec(**job.options["spec"]),
            user=user,
            source_name=job.source_name,
            sha256=job.source_sha256,
        )
        # The list of unplaced records has served its purpose: forget it.
        ImportJob.objects.filter(pk=job.pk).update(report={})
        return {
            "batch": batch.pk,
            "inserted": batch.rows_inserted,
            "replaced": batch.rows_replaced,
            "indicators": keys,
        }

    return work


def microdata_job_page(request, job: ImportJob):
    """The page for a microdata job in any state."""
    job = own_job(request, job.pk)
    if job.status == ImportJob.Status.UPLOADED:
        return spec_page(request, job)
    report = job.report
    level = finest_level(report.get("level", "")) if report else None
    return render(
        request,
        "quartier/imports/microdata_report.html",
        {
            "job": job,
            "report": report,
            "level": level,
            "nonzero": sum(1 for n in report.get("counts", []) if n),
        },
    )


@import_view
def register(request):
    """Upload the official house coordinates (CSV or GeoPackage); replaces the register."""
    context = {"register_size": register_size()}
    if request.method == "POST":
        too_large = upload_too_large(request)
        upload_file = request.FILES.get("datei")
        if too_large or upload_file is None:
            context["error"] = too_large or "Bitte eine Datei auswählen."
            return render(
                request, "quartier/imports/register.html", context, status=413 if too_large else 200
            )
        job = jobs.create_job(
            ImportJob.Kind.REGISTER, [(upload_file.name, upload_file)], request.user
        )
        try:
            _name, path = jobs.input_files(job)[0]
            count = store_register(Path(path), request.POST.get("crs") or None)
        except QuartierError as exc:
            context["error"] = exc.message
            return render(request, "quartier/imports/register.html", context)
        finally:
            jobs.discard_files(job)
        job.status = ImportJob.Status.DONE
        job.result = {"addresses": count}
        job.save()
        messages.success(request, f"{count} Adressen übernommen.")
        return redirect("imports:register")
    return render(request, "quartier/imports/register.html", context)
