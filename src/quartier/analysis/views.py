"""Analysis pages: choose a method and its inputs, run it, read the result."""

from __future__ import annotations

import json
import re
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from quartier.access.rights import (
    analysis_visible,
    is_admin,
    may_choose_unprotected,
    visible_analyses,
)
from quartier.analysis import runs
from quartier.analysis.models import Analysis
from quartier.core.indices import parse_break_rules
from quartier.errors import NotFound, QuartierError
from quartier.explorer.catalogue import map_catalogue
from quartier.explorer.charts import sparkline
from quartier.indicators import readlayer
from quartier.spatial.index import area_index

KINDS = {k.value: k.label for k in Analysis.Kind}
UNPROTECTED = "ungeschuetzt"  # the form's value for "ungeschützte Werte"
# The MSS class rules, offered as the default of the index builder.
DEFAULT_BREAKS = "< -1; ≤ 1; ≤ 1,5"


def _period(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise QuartierError("Bitte einen Stichtag wählen.") from None


def _run(request, kind: str):
    """Dispatch a submitted form to the matching analysis."""
    p, user = request.POST, request.user
    name = (p.get("name") or "").strip() or KINDS[kind]
    # "werte": protected (default) or unprotected values; the Reader ignores the
    # choice for users who see nothing unprotected.
    mode = {"unprotected": p.get("werte") == UNPROTECTED}
    if kind == "mss":
        keys = {k: p.get(k, "") for k in ("s1", "s3", "s4", "d1", "d3", "d4")}
        if p.get("dynamik") == "veraenderung":
            keys["d_years"] = int(p.get("dynamik_jahre") or 2)
        return runs.run_mss(user, name, p["ebene"], _period(p.get("stichtag")), keys, **mode)
    if kind == "index":
        keys = p.getlist("indikatoren")
        spec = {
            "components": [
                {
                    "key": k,
                    "direction": int(p.get(f"richtung-{k}", 1)),
                    "weight": float(p.get(f"gewicht-{k}", 1) or 1),
                }
                for k in keys
            ],
            "standardise": p.get("standardisierung", "z"),
            "combine": p.get("kombination", "sum"),
            "restandardise": p.get("erneut") == "ja",
            "classify": p.get("klassen", "sd"),
        }
        if spec["classify"] == "sd":
            breaks, inclusive = parse_break_rules(p.get("klassengrenzen") or DEFAULT_BREAKS)
            spec |= {"sd_breaks": list(breaks), "inclusive": list(inclusive)}
        elif spec["classify"] == "quantiles":
            spec["quantiles"] = int(p.get("quantile") or 4)
        labels = [x.strip() for x in (p.get("klassenbezeichnungen") or "").split(";")]
        if spec["classify"] != "none" and any(labels):
            spec["labels"] = labels
        exclude = {}
        if p.get("ausschluss_indikator") and p.get("ausschluss_minimum"):
            exclude = {
                "indicator": p["ausschluss_indikator"],
                "minimum": float(p["ausschluss_minimum"].replace(",", ".")),
            }
        codes = [c for c in re.split(r"[\s,;]+", p.get("ausschluss_gebiete") or "") if c]
        if codes:
            exclude["codes"] = codes
        if exclude:
            spec["exclude"] = exclude
        return runs.run_index(user, name, p["ebene"], _period(p.get("stichtag")), spec, **mode)
    if kind == "typology":
        return runs.run_typology(
            user,
            name,
            p["ebene"],
            _period(p.get("stichtag")),
            p.getlist("indikatoren"),
            p.get("methode", "kmeans"),
            int(p.get("k", 5)),
            **mode,
        )
    if kind == "lisa":
        return runs.run_lisa(
            user,
            name,
            p["ebene"],
            _period(p.get("stichtag")),
            p["indikator"],
            int(p.get("permutationen", 999)),
            float(p.get("signifikanz", 0.05)),
            **mode,
        )
    if kind == "segregation":
        within = p.get("innerhalb", "").strip()
        return runs.run_segregation(
            user, name, p["ebene"], p["gruppe"], p["gesamt"], within, **mode
        )
    return runs.run_need(user, name, p["ebene"], _rule_from(p), **mode)


def _rule_from(p) -> dict:
    """Up to three conditions from the form (bedingung-1-…), combined with and/or."""
    conditions = []
    for i in (1, 2, 3):
        key = p.get(f"bedingung-{i}-indikator")
        if not key:
            continue
        op = p.get(f"bedingung-{i}-op", ">=")
        condition = {"indicator": key, "op": op}
        if op in ("rising", "falling"):
            condition["periods"] = int(p.get(f"bedingung-{i}-jahre") or 2)
        else:
            condition["value"] = float((p.get(f"bedingung-{i}-wert") or "").replace(",", "."))
            condition["relative_to_city"] = p.get(f"bedingung-{i}-stadt") == "ja"
        conditions.append(condition)
    if not conditions:
        raise QuartierError("Bitte mindestens eine Bedingung angeben.")
    return {"conditions": conditions, "combine": p.get("verknuepfung", "all")}


@login_required
def start(request, kind: str = "mss"):
    """Choose and run an analysis; list earlier ones."""
    if kind not in KINDS:
        kind = "mss"
    error = None
    if request.method == "POST":
        try:
            analysis = _run(request, kind)
        except (QuartierError, KeyError, ValueError, json.JSONDecodeError) as exc:
            error = (
                exc.message
                if isinstance(exc, QuartierError)
                else (f"Die Angaben sind unvollständig oder ungültig ({exc}).")
            )
        else:
            return redirect("analysis:result", analysis.pk)
    return render(
        request,
        "quartier/analysis/start.html",
        {
            "kind": kind,
            "kinds": KINDS,
            "error": error,
            "catalogue": map_catalogue(request.user),
            "levels": area_index().levels,
            "post": request.POST,
            "may_choose_values": may_choose_unprotected(request.user),
            "unprotected": UNPROTECTED,
            "analyses": visible_analyses(request.user).filter(created_by=request.user)[:20],
            "mss_guess": _mss_guess(request.user),
            "default_breaks": DEFAULT_BREAKS,
            "periods": sorted(
                {p for ps in readlayer.periods_by_indicator(request.user).values() for p in ps}
            ),
        },
    )


def _mss_guess(user) -> dict[str, str]:
    """Indicators that look like the MSS inputs (keys ending in s1, s3 …)."""
    keys = [i.key for i in readlayer.visible_indicators(user)]
    return {
        field: next((k for k in keys if k.lower().endswith(field)), "")
        for field in ("s1", "s3", "s4", "d1", "d3", "d4")
    }


def _visible_analysis(request, pk: int) -> tuple[Analysis, list]:
    """The analysis and its outputs, if the user may see it (the rule of access.rights).

    Unknown and invisible analyses answer the same 404.
    """
    analysis = Analysis.objects.select_related("level").filter(pk=pk).first()
    if analysis is None or not analysis_visible(request.user, analysis):
        raise NotFound("Analyse nicht gefunden. / Analysis not found.")
    analysis.record_view(request.user)
    return analysis, list(analysis.outputs.all())


def _may_rerun(user, analysis: Analysis) -> bool:
    # Re-running writes into the analysis's derived indicators: its author's or an admin's job.
    return is_admin(user) or analysis.created_by_id == user.pk


@require_safe
@login_required
def result(request, pk: int):
    """One analysis: its definition and result, with links to the map."""
    analysis, outputs = _visible_analysis(request, pk)
    return _render_result(request, analysis, outputs)


def _render_result(request, analysis, outputs, error=None, status=200):
    context = {
        "analysis": analysis,
        "outputs": outputs,
        "result": analysis.result,
        "error": error,
        "may_rerun": _may_rerun(request.user, analysis),
        "protection": _protection(request.user, analysis),
        "periods": sorted(
            {p for ps in readlayer.periods_by_indicator(request.user).values() for p in ps}
        ),
    }
    if analysis.kind == Analysis.Kind.MSS:
        context["matrix"] = _matrix(analysis)
        context["combined"] = next((i for i in outputs if i.key.endswith("_gesamt")), None)
    if analysis.kind == Analysis.Kind.SEGREGATION:
        context["charts"] = _segregation_charts(analysis.result["series"])
    return render(request, "quartier/analysis/result.html", context, status=status)


@require_POST
@login_required
def rerun(request, pk: int):
    """Run a stored analysis again, e.g. for the next year (same derived indicators)."""
    analysis, outputs = _visible_analysis(request, pk)
    if not _may_rerun(request.user, analysis):
        raise QuartierError("Nur wer die Analyse angelegt hat, kann sie neu berechnen.", status=403)
    try:
        period = _period(request.POST.get("stichtag")) if analysis.period else None
        again = runs.rerun(request.user, analysis, period)
    except QuartierError as exc:
        return _render_result(request, analysis, outputs, error=exc.message, status=400)
    return redirect("analysis:result", again.pk)


@require_safe
@login_required
def definition(request, pk: int):
    """The stored definition as JSON (for ``quartier analyse index --definition``)."""
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


def _matrix(analysis) -> list[dict]:
    """Rows of the 4 × 3 status × dynamics table."""
    from quartier.core.mss import DYNAMIC_LABELS, STATUS_LABELS

    signs = ["+", "+/-", "-"]
    cells = analysis.result["cells"]
    return [
        {
            "dynamic": DYNAMIC_LABELS[d],
            "cells": [
                {"code": f"{s + 1}{signs[d]}", "areas": cells.get(f"{s + 1}{signs[d]}", [])}
                for s in range(len(STATUS_LABELS))
            ],
        }
        for d in range(len(DYNAMIC_LABELS))
    ]


def _segregation_charts(series: list[dict]) -> dict:
    periods = [date.fromisoformat(r["period"]) for r in series]
    return {
        key: sparkline(
            list(zip(periods, [r[key] for r in series], strict=True)), width=260, height=70
        )
        for key in ("dissimilarity", "isolation", "interaction")
    }
