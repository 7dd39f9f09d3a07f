"""Server-rendered pages. All values come from the read layer."""

from __future__ import annotations

from datetime import date

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from quartier.access.territories import municipalities
from quartier.errors import QuartierError
from quartier.explorer.catalogue import catalogue_overview
from quartier.explorer.compare import default_level
from quartier.explorer.search import MIN_LENGTH, search
from quartier.indicators import readlayer


@require_safe
def home(request):
    """Landing page: levels, indicators by topic, and the periods with data."""
    return render(request, "quartier/home.html", catalogue_overview(request.user))


@require_safe
def search_page(request):
    """Indicators and areas of every level matching ``q`` (server-side, no JavaScript).

    ``format=json`` gives the areas alone, for the map's area search.
    """
    levels = readlayer.reader(request.user).index.levels
    level = {lv.key: lv for lv in levels}.get(request.GET.get("ebene", ""))
    found = search(request.user, request.GET.get("q", ""), level)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {"areas": [_area_json(a) for a in found.areas], "more": found.more_areas}
        )
    return render(
        request,
        "quartier/search.html",
        {"found": found, "levels": levels, "level": level, "min_length": MIN_LENGTH},
    )


def _area_json(area) -> dict:
    return {
        "level": area.level.key,
        "level_name": area.level.name,
        "code": area.code,
        "name": area.name,
        "profile_url": reverse("explorer:profile", args=[area.level.key, area.code]),
    }


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
        "comparison_url": _comparison_url(indicator),
    }
    return render(request, "quartier/indicator.html", context)


def _comparison_url(indicator) -> str:
    """The Gemeindevergleich of ``indicator`` where the installation has Gemeinden."""
    if not municipalities():
        return ""
    return reverse("explorer:municipal") + "?" + urlencode({"indikator": indicator.key})


def _chosen_level(key: str | None, levels):
    by_key = {level.key: level for level in levels}
    return by_key.get(key) or default_level(levels)


def _chosen_period(text: str | None, periods: list[date]) -> date:
    try:
        wanted = date.fromisoformat(text) if text else None
    except ValueError:
        wanted = None
    return wanted if wanted in periods else periods[-1]
