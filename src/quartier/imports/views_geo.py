"""Geometry import wizard: upload → choose fields and level → check → commit."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from quartier.errors import QuartierError
from quartier.imports import jobs
from quartier.imports.access import import_view, upload_too_large, visible_job
from quartier.imports.codewidth import (
    decide,
    digits_text,
    likely_level_codes,
    numeric_codes,
    propose,
)
from quartier.imports.findings import group_geometry
from quartier.imports.geofiles import open_source, resolve_crs, stage_upload
from quartier.imports.geometry_import import (
    LevelTarget,
    current_codes,
    import_level,
    prepare_display,
)
from quartier.imports.geopreview import preview
from quartier.imports.georead import Finding, guess_fields, read_features, sample_values
from quartier.imports.models import ImportJob
from quartier.imports.placement import check_placement, propose_crs
from quartier.spatial.models import Level

DEFAULT_CRS = "EPSG:25832"
MAX_CODE_WIDTH = 40  # an area code has at most 40 characters (Area.code)


class _DryRun(Exception):
    """Raised inside a transaction to roll a trial import back."""


def analyse(job: ImportJob) -> dict:
    """Unpack the upload and describe it: layers, fields, CRS, guessed code and name fields.

    Fields stored as numbers get a proposal how to restore lost leading zeros; a
    file without CRS gets the CRS that places it plausibly preselected.
    """
    path = stage_upload(jobs.input_files(job), Path(job.workdir) / "work")
    source = open_source(path)
    code, name = guess_fields(source.fields, sample_values(source))
    crs, crs_note = DEFAULT_CRS, ""
    if source.crs_wkt is None:
        crs, crs_note = propose_crs(source.bounds, DEFAULT_CRS)
    return {
        "path": str(path),
        "layers": source.layers,
        "layer": source.layer,
        "driver": source.driver,
        "fields": source.fields,
        "count": source.feature_count,
        "crs": source.crs_label,
        "has_crs": source.crs_wkt is not None,
        "crs_proposal": crs,
        "notes": source.notes + ([crs_note] if crs_note else []),
        "code_field": code,
        "name_field": name,
        "code_widths": {
            field: propose(field, numbers, likely_level_codes(numbers)).to_json()
            for field, numbers in numeric_codes(source).items()
        },
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
        or (None if analysis.get("has_crs") else analysis.get("crs_proposal", DEFAULT_CRS)),
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
    options["code_width"] = _code_width(post, options["code_field"])
    return options


def _code_width(post, code_field: str) -> int | None:
    """The digits to pad codes to (0: keep them), or None to decide automatically.

    The width field belongs to the code field it was shown for; once another
    field is chosen, the proposal for that field decides (the report says what).
    """
    text = (post.get("code_width") or "").strip()
    if not text or post.get("code_width_field") != code_field:
        return None
    if not text.isdigit() or int(text) > MAX_CODE_WIDTH:
        raise QuartierError(
            f"Die Stellenzahl des Gebietsschlüssels muss eine ganze Zahl von 0 bis "
            f"{MAX_CODE_WIDTH} sein (0 = unverändert übernehmen)."
        )
    return int(text)


def _read(job: ImportJob, options: dict):
    """Open, decide the code width (kept in ``options``), read; returns (source, crs, read)."""
    source = open_source(Path(job.analysis["path"]), options["layer"])
    crs = resolve_crs(source, options["crs"])
    width, proposal = decide(
        source, options["code_field"], options.get("code_width"), current_codes(options["level"])
    )
    options["code_width"] = width or 0  # commit pads exactly as the check did
    read = read_features(
        source,
        code_field=options["code_field"],
        name_field=options["name_field"],
        crs=crs,
        code_width=width,
    )
    if proposal is not None and not width:  # numbers kept as they are: say why
        read.findings.append(Finding("info", None, proposal.note))
    return source, crs, read


def _target(options: dict) -> LevelTarget:
    when = date.fromisoformat(options["valid_from"]) if options["valid_from"] else None
    return LevelTarget(options["level"], options["level_name"], options["parent"], when)


def trial(job: ImportJob, options: dict) -> dict:
    """Run the import inside a transaction that is rolled back; returns the report.

    The report also holds the location check (``placement``) and a map ``preview``.
    """
    source, crs, read = _read(job, options)
    placement = check_placement(
        read,
        crs,
        crs_from_file=source.crs_wkt is not None,
        target_key=options["level"],
        parent_key=options["parent"],
    )
    holder = {}
    try:
        with transaction.atomic():
            holder["report"] = import_level(read, _target(options))
            raise _DryRun
    except _DryRun:
        pass
    from quartier.spatial.index import clear_area_index

    clear_area_index()
    report = asdict(holder["report"])
    report["placement"] = placement.to_json()
    report["preview"] = preview(read, placement)
    return report


def options_page(request, job: ImportJob, error: str | None = None, status: int = 200):
    """Step 2: fields, CRS, level and parent level; lost leading zeros with examples."""
    analysis, options = job.analysis, job.options or {}
    code_field = options.get("code_field") or analysis.get("code_field")
    code_width = (analysis.get("code_widths") or {}).get(code_field)
    if code_width is not None:
        code_width = {**code_width, "digits_text": digits_text(code_width["digits"])}
        chosen = options.get("code_width") if options.get("code_field") == code_field else None
        code_width["value"] = (code_width["proposed"] or 0) if chosen is None else chosen
    return render(
        request,
        "quartier/imports/geometry_options.html",
        {
            "job": job,
            "analysis": analysis,
            "levels": Level.objects.all(),
            "options": options,
            "error": error,
            "default_crs": analysis.get("crs_proposal") or DEFAULT_CRS,
            "code_width": code_width,
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
        _source, _crs, read = _read(job, job.options)
        progress(50, "Gebiete werden gespeichert")
        report = import_level(read, _target(job.options))
        progress(90, "Kartengeometrie wird vorbereitet")
        prepare_display(report.level)
        return asdict(report)

    return work


def location_unconfirmed(job: ImportJob, post) -> str | None:
    """Why a checked geometry job may not be committed yet: its location is unconfirmed."""
    warning = (job.report.get("placement") or {}).get("warning")
    if warning and post.get("lage_bestaetigt") != "ja":
        return "Bitte prüfen Sie die Lage der Gebiete auf der Karte und bestätigen Sie sie."
    return None


def geometry_job_page(request, job: ImportJob):
    """The page for a geometry job in any state."""
    if job.status == ImportJob.Status.UPLOADED:
        return options_page(request, job)
    report = job.result or job.report
    config = settings.QUARTIER
    return render(
        request,
        "quartier/imports/geometry_report.html",
        {
            "job": job,
            "report": report,
            "finding_groups": group_geometry(report.get("findings", [])),
            "placement": job.report.get("placement"),
            "preview": job.report.get("preview"),
            "map_config": {
                "basemap": config.basemap_url,
                "attribution": config.basemap_attribution,
            },
            "final": job.status == ImportJob.Status.DONE,
        },
    )
