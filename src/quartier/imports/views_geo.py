"""Geometry import wizard: upload → choose fields and level → check → commit."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path

from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from quartier.errors import QuartierError
from quartier.imports import jobs
from quartier.imports.access import import_view, upload_too_large, visible_job
from quartier.imports.findings import group_geometry
from quartier.imports.geofiles import open_source, resolve_crs, stage_upload
from quartier.imports.geometry_import import LevelTarget, import_level
from quartier.imports.georead import guess_fields, read_features, sample_values
from quartier.imports.models import ImportJob
from quartier.spatial.models import Level

DEFAULT_CRS = "EPSG:25832"


class _DryRun(Exception):
    """Raised inside a transaction to roll a trial import back."""


def analyse(job: ImportJob) -> dict:
    """Unpack the upload and describe it: layers, fields, CRS, guessed code and name fields."""
    path = stage_upload(jobs.input_files(job), Path(job.workdir) / "work")
    source = open_source(path)
    code, name = guess_fields(source.fields, sample_values(source))
    return {
        "path": str(path),
        "layers": source.layers,
        "layer": source.layer,
        "driver": source.driver,
        "fields": source.fields,
        "count": source.feature_count,
        "crs": source.crs_label,
        "has_crs": source.crs_wkt is not None,
        "notes": source.notes,
        "code_field": code,
        "name_field": name,
    }


@import_view
def upload(request):
    """Step 1: upload geometry files (a zip, a shapefile set, GeoPackage, GeoJSON …)."""
    if request.method == "POST":
        too_large = upload_too_large(request)
        files = request.FILES.getlist("dateien")
        if too_large or not files:
            message = too_large or "Bitte mindestens eine Datei auswählen."
            return render(
                request,
                "quartier/imports/upload.html",
                {"kind": "geometry", "error": message},
                status=413 if too_large else 200,  # a form shown again with its error
            )
        job = jobs.create_job(ImportJob.Kind.GEOMETRY, [(f.name, f) for f in files], request.user)
        try:
            job.analysis = analyse(job)
        except QuartierError as exc:
            jobs.discard_files(job)
            job.status, job.error = ImportJob.Status.FAILED, exc.message
            job.save()
            return render(
                request,
                "quartier/imports/upload.html",
                {"kind": "geometry", "error": exc.message},
                status=200,
            )
        job.save()
        return redirect("imports:job", job.pk)
    return render(request, "quartier/imports/upload.html", {"kind": "geometry"})


def options_from(post, analysis: dict) -> dict:
    """The user's choices from the options form, checked."""
    level_key = (post.get("ebene") or "").strip()
    new_key = (post.get("ebene_neu") or "").strip()
    options = {
        "layer": post.get("layer") or analysis.get("layer"),
        "code_field": post.get("code_field") or analysis.get("code_field"),
        "name_field": post.get("name_field") or None,
        "crs": (post.get("crs") or "").strip()
        or (None if analysis.get("has_crs") else DEFAULT_CRS),
        "level": new_key or level_key,
        "level_name": (post.get("ebene_name") or new_key or level_key).strip(),
        "parent": post.get("uebergeordnet") or None,
        "valid_from": post.get("gueltig_ab") or None,
    }
    if not options["level"]:
        raise QuartierError("Bitte eine Raumebene wählen oder eine neue anlegen.")
    if options["code_field"] not in analysis["fields"]:
        raise QuartierError("Bitte das Feld mit dem Gebietsschlüssel wählen.")
    if options["valid_from"]:
        try:
            date.fromisoformat(options["valid_from"])
        except ValueError:
            raise QuartierError("„Gültig ab“ muss ein Datum sein (JJJJ-MM-TT).") from None
    return options


def _read(job: ImportJob, options: dict):
    source = open_source(Path(job.analysis["path"]), options["layer"])
    crs = resolve_crs(source, options["crs"])
    return read_features(
        source, code_field=options["code_field"], name_field=options["name_field"], crs=crs
    )


def _target(options: dict) -> LevelTarget:
    when = date.fromisoformat(options["valid_from"]) if options["valid_from"] else None
    return LevelTarget(options["level"], options["level_name"], options["parent"], when)


def trial(job: ImportJob, options: dict) -> dict:
    """Run the import inside a transaction that is rolled back; returns the report."""
    read = _read(job, options)
    holder = {}
    try:
        with transaction.atomic():
            holder["report"] = import_level(read, _target(options))
            raise _DryRun
    except _DryRun:
        pass
    from quartier.spatial.index import clear_area_index

    clear_area_index()
    return asdict(holder["report"])


def options_page(request, job: ImportJob, error: str | None = None, status: int = 200):
    """Step 2: fields, CRS, level and parent level."""
    return render(
        request,
        "quartier/imports/geometry_options.html",
        {
            "job": job,
            "analysis": job.analysis,
            "levels": Level.objects.all(),
            "options": job.options,
            "error": error,
            "default_crs": DEFAULT_CRS,
        },
        status=status,
    )


@require_POST
@import_view
def check(request, pk):
    """Step 3: a trial import shows what would happen."""
    job = visible_job(request, pk, kind=ImportJob.Kind.GEOMETRY)
    try:
        job.options = options_from(request.POST, job.analysis)
        job.report = trial(job, job.options)
    except QuartierError as exc:
        return options_page(request, job, exc.message)
    job.status = ImportJob.Status.CHECKED
    job.save()
    return redirect("imports:job", job.pk)


def commit_work(job: ImportJob):
    """The background work of committing a checked geometry import."""

    def work(progress) -> dict:
        progress(10, "Geometrien werden gelesen")
        read = _read(job, job.options)
        progress(50, "Gebiete werden gespeichert")
        report = import_level(read, _target(job.options))
        return asdict(report)

    return work


def geometry_job_page(request, job: ImportJob):
    """The page for a geometry job in any state."""
    if job.status == ImportJob.Status.UPLOADED:
        return options_page(request, job)
    report = job.result or job.report
    return render(
        request,
        "quartier/imports/geometry_report.html",
        {
            "job": job,
            "report": report,
            "finding_groups": group_geometry(report.get("findings", [])),
            "final": job.status == ImportJob.Status.DONE,
        },
    )
