"""Analysis pages: choose a method and its inputs, queue it for the worker, read the result.

Every method comes from the registry (:mod:`quartier.analysis.registry`); these views
never name one.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from quartier.access.rights import (
    analysis_visible,
    is_admin,
    may_choose_unprotected,
    visible_analyses,
)
from quartier.analysis import jobs as analysis_jobs
from quartier.analysis import registry
from quartier.analysis.custom_forms import DEFAULT_BREAKS
from quartier.analysis.models import COMMAND_LINE_USERNAME, Analysis
from quartier.analysis.pages import description_of, inputs_of, periods_of
from quartier.errors import NotFound, QuartierError
from quartier.explorer.catalogue import map_catalogue
from quartier.imports.models import ImportJob
from quartier.indicators import readlayer
from quartier.spatial.index import area_index

UNPROTECTED = "ungeschuetzt"  # the form's value for "ungeschützte Werte"


def _submit(request, method: registry.Method) -> ImportJob:
    """Queue ``method`` on the submitted form for the worker (form errors are raised here)."""
    p = request.POST
    name = (p.get("name") or "").strip() or gettext(method.label)
    level = p.get("ebene") or ""
    if not level:
        raise QuartierError("Bitte eine Raumebene wählen.")
    period = registry.parse_period(p.get("stichtag")) if method.periodic else None
    spec = method.parse_form(p)
    # "werte": protected (default) or unprotected values; the Reader ignores the
    # choice for users who see nothing unprotected.
    unprotected = p.get("werte") == UNPROTECTED
    choices = analysis_jobs.run_choices(method.key, name, level, period, spec, unprotected)
    return analysis_jobs.submit(request.user, name, **choices)


def _to_job(job: ImportJob):
    """Where a queued job leads: its result once done (the tests' settings), else its page."""
    if job.status == ImportJob.Status.DONE:
        return redirect("analysis:result", job.result["analysis"])
    return redirect("analysis:job", job.pk)


def _recent(user):
    """The user's latest analyses; an administrator also sees the command line's."""
    analyses = visible_analyses(user).select_related("created_by")
    if is_admin(user):
        from django.db.models import Q

        mine = Q(created_by=user) | Q(created_by__username=COMMAND_LINE_USERNAME)
        return analyses.filter(mine | Q(created_by__isnull=True))[:20]
    return analyses.filter(created_by=user)[:20]


@login_required
def start(request, kind: str = "mss"):
    """Choose and run an analysis; list earlier ones."""
    methods = registry.methods()
    method = next((m for m in methods if m.key == kind), methods[0])
    error = None
    if request.method == "POST":
        try:
            job = _submit(request, method)
        except (QuartierError, KeyError, ValueError, json.JSONDecodeError) as exc:
            error = (
                exc.message
                if isinstance(exc, QuartierError)
                else (f"Die Angaben sind unvollständig oder ungültig ({exc}).")
            )
        else:
            if job.status != ImportJob.Status.FAILED:
                return _to_job(job)
            error = analysis_jobs.state(job)["error"]  # failed at once: shown with the form
    initial = method.initial(request.user) if method.initial else {}
    return render(
        request,
        "quartier/analysis/start.html",
        {
            "method": method,
            "kind": method.key,
            "methods": methods,
            "fields": _fields(method, request.POST if request.method == "POST" else initial),
            "error": error,
            "catalogue": map_catalogue(request.user),
            "levels": area_index().levels,
            "post": request.POST,
            "may_choose_values": may_choose_unprotected(request.user),
            "unprotected": UNPROTECTED,
            "analyses": _recent(request.user),
            "default_breaks": DEFAULT_BREAKS,
            "periods": _periods(request.user),
        },
    )


def _fields(method: registry.Method, values) -> list[dict]:
    """The declared fields with the value to show (submitted, preselected or initial)."""
    out = []
    for f in method.fields:
        given = values.getlist(f.name) if hasattr(values, "getlist") else values.get(f.name)
        if isinstance(given, str):
            given = [given]
        if not given and not hasattr(values, "getlist"):
            given = [f.initial or f.default] if (f.initial or f.default) else []
        out.append(
            {
                "field": f,
                "values": [str(v) for v in given or []],
                "label": gettext(f.label),
                "help": gettext(f.help) if f.help else "",  # gettext("") is the catalogue header
                "choices": [(value, gettext(text)) for value, text in f.choices],
            }
        )
    return out


def _periods(user):
    return sorted({p for ps in readlayer.periods_by_indicator(user).values() for p in ps})


def _visible_analysis(request, pk: int) -> tuple[Analysis, list]:
    """The analysis and its outputs, if the user may see it (the rule of access.rights).

    Unknown and invisible analyses answer the same 404.
    """
    analysis = Analysis.objects.select_related("level", "created_by").filter(pk=pk).first()
    if analysis is None or not analysis_visible(request.user, analysis):
        raise NotFound("Analyse nicht gefunden. / Analysis not found.")
    analysis.record_view(request.user)
    return analysis, list(analysis.outputs.all())


@require_safe
@login_required
def result(request, pk: int):
    """One analysis: its inputs, definition and result, with links to the map."""
    analysis, outputs = _visible_analysis(request, pk)
    return _render_result(request, analysis, outputs)


def _render_result(request, analysis, outputs, error=None, status=200):
    method = registry.get(analysis.kind)
    context = {
        "analysis": analysis,
        "method": method,
        "outputs": outputs,
        "result": analysis.result,
        "inputs": inputs_of(analysis, method),
        "description": description_of(analysis, method),
        "input_periods": periods_of(analysis),
        "error": error,
        "may_rerun": analysis_jobs.may_rerun(request.user, analysis),
        "protection": _protection(request.user, analysis),
        "periods": _periods(request.user),
    }
    if method.result_context is not None:
        context |= method.result_context(request.user, analysis, outputs)
    return render(request, "quartier/analysis/result.html", context, status=status)


@require_POST
@login_required
def rerun(request, pk: int):
    """Run a stored analysis again, e.g. for the next year (same derived indicators)."""
    analysis, outputs = _visible_analysis(request, pk)
    if not analysis_jobs.may_rerun(request.user, analysis):
        raise QuartierError(analysis_jobs.RERUN_REFUSED, status=403)
    try:
        method = registry.get(analysis.kind)
        periodic = method.periodic and analysis.period
        period = registry.parse_period(request.POST.get("stichtag")) if periodic else None
    except QuartierError as exc:
        return _render_result(request, analysis, outputs, error=exc.message, status=400)
    rerun = {"analysis": analysis.pk, "period": period.isoformat() if period else None}
    job = analysis_jobs.submit(request.user, analysis.name, rerun=rerun)
    if job.status == ImportJob.Status.FAILED:  # failed at once (the tests' settings)
        error = analysis_jobs.state(job)["error"]
        return _render_result(request, analysis, outputs, error=error, status=400)
    return _to_job(job)


@require_safe
@login_required
def job_page(request, pk):
    """A queued or running analysis: its progress; once done, its result."""
    job = analysis_jobs.visible_job(request, pk)
    state = analysis_jobs.state(job)
    if state["result"]:
        return redirect(state["result"])
    return render(request, "quartier/analysis/job.html", {"job": job, "state": state})


@require_safe
@login_required
def job_status(request, pk):
    """Progress of an analysis job as JSON (polled by its page)."""
    return JsonResponse(analysis_jobs.state(analysis_jobs.visible_job(request, pk)))


@require_safe
@login_required
def definition(request, pk: int):
    """The stored definition as JSON (for ``quartier analyse KIND --definition``)."""
    analysis, _outputs = _visible_analysis(request, pk)
    document = {
        "name": analysis.name,
        "level": analysis.level.key,
        "period": analysis.period.isoformat() if analysis.period else None,
        **analysis.definition,
        # How the values were read; a run from this file chooses anew (protected by default).
        "confidential": analysis.confidential,
        "input_indicators": sorted(i.key for i in analysis.inputs.all()),
    }
    if "secret" in analysis.result:
        document["secret"] = analysis.result["secret"]
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="analyse-{analysis.pk}.json"'
    return response


def _protection(user, analysis) -> dict:
    """What the result page says about the values used: unprotected inputs, or areas left out."""
    visible = {i.pk for i in readlayer.visible_indicators(user)}
    names = {i.key: i.name for i in analysis.inputs.all() if i.pk in visible}
    secret = analysis.result.get("secret") or {}
    by_indicator = secret.get("by_indicator") or {}
    return {
        "sources": [i.name for i in analysis.confidential_sources.all() if i.pk in visible],
        "hidden_seen": [
            names[k] for k in analysis.result.get("unprotected_inputs", []) if k in names
        ],
        "secret_areas": secret.get("areas"),
        "secret_by": [(names[k], n) for k, n in by_indicator.items() if n and k in names],
    }
