"""What the result pages show beyond the stored result: inputs, groups, colours, reasons.

The registry's methods call these to fill their result templates; the form of the
MSS preset asks :func:`mss_preset` which indicators to preselect.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils.translation import gettext, gettext_noop

from quartier.core.palettes import text_on

SHOWN_AREAS = 200  # areas listed per reason or group; the rest is counted
REASON_TEXTS = {
    "few_residents": gettext_noop("weniger Einwohnerinnen und Einwohner als die Mindestzahl"),
    "secret": gettext_noop("ein Eingangswert ist geheim (Geheimhaltung)"),
    "missing": gettext_noop("ein Eingangswert fehlt"),
}
SEGREGATION_MEASURES = {
    "dissimilarity": gettext_noop("Dissimilarität"),
    "isolation": gettext_noop("Isolation"),
    "interaction": gettext_noop("Interaktion"),
}


def inputs_of(analysis, method) -> list[dict]:
    """The inputs a result page names: role, indicator name and unit."""
    indicators = {i.key: i for i in analysis.inputs.all()}
    rows = []
    for role, key in method.input_roles(analysis.definition):
        indicator = indicators.get(key)
        rows.append(
            {
                "role": gettext(role),
                "name": indicator.name if indicator else key,
                "unit": indicator.unit if indicator else "",
            }
        )
    return rows


def description_of(analysis, method) -> str:
    """The definition in words, in the page's language where the method can say it."""
    if method.describe is None:
        return analysis.definition.get("description") or ""
    names = {i.key: i.name for i in analysis.inputs.all()}
    return method.describe(analysis, names)


def periods_of(analysis) -> list[date]:
    """The Stichtag, or the first and last Stichtag of a method over all periods."""
    if analysis.period:
        return [analysis.period]
    series = (analysis.result or {}).get("series") or []
    dates = [date.fromisoformat(r["period"]) for r in series]
    return [dates[0], dates[-1]] if len(dates) > 1 else dates


def mss_preset(user) -> dict[str, str]:
    """The MSS inputs to preselect: configured ones, else those of the last MSS analysis.

    Only a sound match preselects (``QUARTIER_MSS_INDICATORS`` or an MSS analysis the
    user may see); anything else leaves the fields empty, so nothing is computed by guess.
    """
    from quartier.access.rights import visible_analyses
    from quartier.indicators import readlayer

    chosen = dict(settings.QUARTIER.mss_indicators)
    if not chosen:
        last = visible_analyses(user).filter(kind="mss").first()
        chosen = dict((last.definition.get("inputs") or {}) if last else {})
        if last and last.definition.get("min_residents") is not None:
            chosen["mindest_einwohner"] = str(last.definition["min_residents"])
    visible = {i.key for i in readlayer.visible_indicators(user)}
    out = {role: key for role, key in chosen.items() if isinstance(key, str) and key in visible}
    if "d_years" in chosen:
        out |= {"dynamik": "veraenderung", "dynamik_jahre": str(chosen["d_years"])}
    if "mindest_einwohner" in chosen:
        out["mindest_einwohner"] = chosen["mindest_einwohner"]
    return out


def mss_legend() -> list[dict]:
    """The 12 groups: code, meaning, colour and a readable text colour."""
    from quartier.core.mss import (
        COMBINED_CODES,
        COMBINED_COLOURS,
        DYNAMIC_LABELS,
        DYNAMIC_SIGNS,
        STATUS_LABELS,
        combined_label,
    )

    return [
        {
            "code": code,
            "label": combined_label(code),
            "status": STATUS_LABELS[int(code[0]) - 1],
            "dynamic": DYNAMIC_LABELS[DYNAMIC_SIGNS.index(code[1:])],
            "colour": colour,
            "text": text_on(colour),
            "css": css_class(code),
        }
        for code, colour in zip(COMBINED_CODES, COMBINED_COLOURS, strict=True)
    ]


def css_class(code: str) -> str:
    """The class of a group in analysis.css, e.g. "mss-g2s" for "2+/-" (s = stabil)."""
    return f"mss-g{code[0]}{ {'+': 'p', '+/-': 's', '-': 'm'}[code[1:]] }"


def mss_context(analysis, outputs) -> dict:
    """The coloured status × dynamics table, its legend, and the areas without a group."""
    from quartier.core.mss import DYNAMIC_LABELS, DYNAMIC_SIGNS, STATUS_LABELS

    legend = {entry["code"]: entry for entry in mss_legend()}
    cells = analysis.result["cells"]
    matrix = [
        {
            "dynamic": DYNAMIC_LABELS[d],
            "cells": [
                {**legend[code], "areas": cells.get(code, [])}
                for code in (f"{s + 1}{DYNAMIC_SIGNS[d]}" for s in range(len(STATUS_LABELS)))
            ],
        }
        for d in range(len(DYNAMIC_LABELS))
    ]
    unclassified = analysis.result.get("unclassified") or {}
    reasons = [
        {
            "key": key,
            "text": gettext(REASON_TEXTS[key]),
            "count": len(areas),
            "areas": areas[:SHOWN_AREAS],
            "more": max(0, len(areas) - SHOWN_AREAS),
        }
        for key, areas in unclassified.items()
        if areas and key in REASON_TEXTS
    ]
    return {
        "matrix": matrix,
        "status_labels": STATUS_LABELS,
        "legend": list(legend.values()),
        "combined": next((i for i in outputs if i.key.endswith("_gesamt")), None),
        "reasons": reasons,
        "unclassified_total": sum(r["count"] for r in reasons),
        "min_residents": analysis.definition.get("min_residents") or 0,
    }


def segregation_context(analysis) -> dict:
    """One small chart per measure over time, captioned in the page's language."""
    from quartier.explorer.charts import sparkline

    series = analysis.result["series"]
    periods = [date.fromisoformat(r["period"]) for r in series]
    charts = []
    for key, caption in SEGREGATION_MEASURES.items():
        points = list(zip(periods, [r[key] for r in series], strict=True))
        chart = sparkline(points, width=260, height=70)
        if chart:
            charts.append({"key": key, "caption": gettext(caption), "chart": chart})
    return {"charts": charts}


def need_context(analysis, outputs) -> dict:
    """The areas with need (names, links to the map) and the flag indicator to link to."""
    areas = analysis.result.get("areas")
    return {
        "flag": outputs[0] if outputs else None,
        "need_areas": areas[:SHOWN_AREAS] if areas is not None else None,
        "need_more": max(0, len(areas) - SHOWN_AREAS) if areas else 0,
    }
