"""Report downloads: the Steckbrief of an area as PDF; the Steckbriefe of a level as a job."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.errors import QuartierError
from quartier.explorer.pages import change_start
from quartier.explorer.profile import find_area
from quartier.imports.models import ImportJob
from quartier.indicators import readlayer
from quartier.reports import jobs as report_jobs

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".zip": "application/zip",
}


@require_safe
def steckbrief_pdf(request, level: str, code: str):
    """The Steckbrief of one area as a tagged PDF; audited like an export."""
    # Imported here: charts and location map load matplotlib (~1 s), which the
    # process the server's workers are forked from need not hold for the first map.
    from quartier.reports.steckbrief import steckbrief

    try:
        area = find_area(level, code)
    except QuartierError as exc:
        raise Http404(exc.message) from exc
    report = steckbrief(request.user, area, change_start(request.GET.get("seit", "")))
    audit.record(
        AuditEntry.Action.EXPORT,
        f"{area.level.key}:{area.code}",
        format="pdf",
        report="steckbrief",
        confidential=report.confidential,
    )
    response = HttpResponse(report.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def start(request):
    """Order the Steckbriefe of every area of a level as a ZIP (runs in the worker)."""
    reader = readlayer.reader(request.user)
    levels = reader.index.levels
    chosen = request.POST.get("ebene") or request.GET.get("ebene") or ""
    error = ""
    if request.method == "POST":
        level = next((lv for lv in levels if lv.key == chosen), None)
        if level is None:
            error = _("Bitte wählen Sie eine Ebene.")
        else:
            since = request.POST.get("seit", "")
            name = _("Steckbriefe: %(level)s") % {"level": level.name}
            job = report_jobs.submit(request.user, level.key, since, name)
            return redirect("reports:job", job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user, kind=ImportJob.Kind.REPORT)[:10]
    return render(
        request,
        "reports/start.html",
        {"levels": levels, "chosen": chosen, "error": error, "jobs": jobs},
        status=400 if error else 200,
    )


@require_safe
@login_required
def job_page(request, pk):
    """A report job: its progress; once done, the download."""
    job = report_jobs.visible_job(request, pk)
    return render(request, "reports/job.html", {"job": job, "state": report_jobs.state(job)})


@require_safe
@login_required
def job_status(request, pk):
    """Progress of a report job as JSON (polled by its page)."""
    return JsonResponse(report_jobs.state(report_jobs.visible_job(request, pk)))


@require_safe
@login_required
def job_file(request, pk):
    """The finished file of a report job (its generation was audited as an export)."""
    job = report_jobs.visible_job(request, pk)
    path = report_jobs.result_file(job)
    if path is None:
        raise Http404("Die Datei ist nicht (mehr) vorhanden.")
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115  (FileResponse closes it)
        as_attachment=True,
        filename=job.result.get("filename", "bericht"),
        content_type=CONTENT_TYPES.get(
            Path(job.result.get("filename", "")).suffix, "application/zip"
        ),
    )
