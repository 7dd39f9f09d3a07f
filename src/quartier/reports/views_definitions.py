"""The Sozialbericht builder: list, compose, edit, delete, and order a run for a Stichtag."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from quartier.access.rights import is_admin
from quartier.imports.models import ImportJob
from quartier.indicators import readlayer
from quartier.reports import jobs as report_jobs
from quartier.reports.forms import DefinitionForm, chapter_forms, chapters_from, default_chapters
from quartier.reports.models import ReportDefinition

FORMATS = ("pdf", "odt")


def _own(request, pk: int) -> ReportDefinition:
    """A definition of the user's (administrators: anyone's); others get 404."""
    definition = ReportDefinition.objects.filter(pk=pk).first()
    if definition is None or not (
        definition.created_by_id == request.user.pk or is_admin(request.user)
    ):
        raise Http404("Bericht nicht gefunden.")
    return definition


@require_http_methods(["GET", "HEAD"])
@login_required
def definitions(request):
    """The user's report definitions and recent report orders."""
    own = ReportDefinition.objects.all()
    if not is_admin(request.user):
        own = own.filter(created_by=request.user)
    orders = ImportJob.objects.filter(created_by=request.user, kind=ImportJob.Kind.REPORT)[:10]
    return render(request, "reports/definitions.html", {"definitions": own, "jobs": orders})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def compose(request, pk: int | None = None):
    """Compose a new report (chapters per Handlungsfeld to start from) or edit one."""
    definition = _own(request, pk) if pk is not None else None
    if request.method == "POST":
        form = DefinitionForm(request.POST)
        slots = chapter_forms(request.user, request.POST)
        if form.is_valid() and all(slot.is_valid() for slot in slots):
            definition = definition or ReportDefinition(created_by=request.user)
            definition.title = form.cleaned_data["title"]
            definition.introduction = form.cleaned_data["introduction"]
            definition.chapters = chapters_from(slots)
            definition.save()
            return redirect("reports:definition", definition.pk)
        status = 400
    else:
        start = definition.chapters if definition else default_chapters(request.user)
        title = definition.title if definition else _("Sozialbericht")
        form = DefinitionForm(
            initial={"title": title, "introduction": definition.introduction if definition else ""}
        )
        slots = chapter_forms(request.user, initial=start)
        status = 200
    context = {"form": form, "slots": slots, "definition": definition}
    return render(request, "reports/compose.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def definition_page(request, pk: int):
    """A report definition; ordering its run for a Stichtag as PDF or ODT (a worker job)."""
    definition = _own(request, pk)
    periods = sorted(
        {p for ps in readlayer.periods_by_indicator(request.user).values() for p in ps}
    )
    error = ""
    if request.method == "POST":
        fmt = request.POST.get("format", "pdf")
        text = request.POST.get("stichtag", "")
        try:
            when = date.fromisoformat(text) if text else None
        except ValueError:
            when = None
            error = _("Ungültiger Stichtag.")
        if fmt not in FORMATS:
            error = _("Unbekanntes Format.")
        if not error:
            name = f"{definition.title} ({fmt.upper()})"
            job = report_jobs.submit_report(request.user, definition.pk, when, fmt, name)
            return redirect("reports:job", job.pk)
    return render(
        request,
        "reports/definition.html",
        {"definition": definition, "periods": periods[::-1], "error": error},
        status=400 if error else 200,
    )


@require_POST
@login_required
def delete(request, pk: int):
    """Delete a report definition (the author or an administrator)."""
    _own(request, pk).delete()
    return redirect("reports:definitions")
