"""Server-rendered pages. All values come from the read layer."""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from quartier.errors import QuartierError
from quartier.explorer.catalogue import catalogue_overview
from quartier.indicators import readlayer


@require_safe
def home(request):
    """Landing page: levels, indicators by topic, and the periods with data."""
    return render(request, "quartier/home.html", catalogue_overview(request.user))


@require_safe
def indicator_table(request, key: str):
    """One indicator at one level and period as a table (server-side, no JavaScript)."""
    reader = readlayer.reader(request.user)
    try:
        indicator = reader.get_indicator(key)
    except QuartierError as exc:
        raise Http404(exc.message) from exc
    periods = reader.periods_by_indicator().get(indicator.id, [])
    levels = reader.index.levels
    parts = reader.sum_parts([indicator]).get(indicator.pk, [])
    if not levels or not periods:
        return render(
            request,
            "quartier/indicator.html",
            {"indicator": indicator, "empty": True, "sum_parts": parts},
        )
    level = _chosen_level(request.GET.get("ebene"), levels)
    period = _chosen_period(request.GET.get("stichtag"), periods)
    result = reader.values(indicator, level, period)
    context = {
        "indicator": indicator,
        "levels": levels,
        "level": level,
        "periods": periods,
        "period": period,
        "result": result,
        "rows": list(result.rows()),
        "total": reader.total(indicator, period),
        "sum_parts": parts,
    }
    return render(request, "quartier/indicator.html", context)


def _chosen_level(key: str | None, levels):
    by_key = {level.key: level for level in levels}
    if key in by_key:
        return by_key[key]
    # Default: the coarsest level with more than one area, e.g. Stadtbezirke.
    return levels[1] if len(levels) > 1 else levels[0]


def _chosen_period(text: str | None, periods: list[date]) -> date:
    try:
        wanted = date.fromisoformat(text) if text else None
    except ValueError:
        wanted = None
    return wanted if wanted in periods else periods[-1]
