"""Server-rendered table, profile and comparison pages."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.charts.render import bar_chart_height
from quartier.errors import QuartierError
from quartier.explorer import chartdata, profilecache
from quartier.explorer.catalogue import map_catalogue
from quartier.explorer.charts import location_map
from quartier.explorer.compare import compare_areas, default_level, match_areas
from quartier.explorer.mapdata import compute_view, parse_view
from quartier.explorer.profile import EARLIEST, PREVIOUS, area_profile, find_area
from quartier.explorer.profilecharts import add_figures, table_texts
from quartier.explorer.profiledisplay import Formatter, add_cells
from quartier.explorer.tables import (
    SORT_KEYS,
    counts_as_share,
    deviation_decimals,
    deviation_label,
    table_csv,
    table_rows,
)
from quartier.indicators import readlayer
from quartier.indicators.status import Status
from quartier.spatial.models import Area

MAX_COMPARED = 5


def _view_or_404(request):
    try:
        view = parse_view(request.user, request.GET)
        return view, compute_view(request.user, view)
    except QuartierError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        raise


@require_safe
def table_page(request):
    """The values of a map view as a sortable table (works without JavaScript)."""
    try:
        view, result = _view_or_404(request)
    except QuartierError as exc:
        return render(request, "quartier/error.html", {"message": exc.message}, status=exc.status)
    sort = request.GET.get("sortierung", "rang")
    params = request.GET.copy()
    params.pop("sortierung", None)
    columns = []
    labels = [_("Rang"), _("Schlüssel"), _("Gebiet"), _("Wert"), deviation_label(result)]
    for key, label in zip(SORT_KEYS, labels, strict=True):
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        params["sortierung"] = f"-{key}" if current and not descending else key
        columns.append(
            {
                "key": key,
                "label": label,
                "url": "?" + params.urlencode(),
                "aria": ("descending" if descending else "ascending") if current else "",
            }
        )
    params.pop("sortierung")
    return render(
        request,
        "quartier/table.html",
        {
            "view": view,
            "result": result,
            "suppressed_count": int((result.status == Status.SUPPRESSED).sum()),
            "deviation_decimals": deviation_decimals(result),
            "deviation_share": counts_as_share(result),
            "rows": table_rows(result, sort),
            "columns": columns,
            "query": params.urlencode(),
            "catalogue_levels": readlayer.reader(request.user).index.levels,
            "catalogue": map_catalogue(request.user),
            "periods": readlayer.periods_by_indicator(request.user)[view.indicator.id],
            "distribution": _distribution_chart(view, request.GET.get("gebiet", "")),
        },
    )


def _distribution_chart(view, code: str) -> dict | None:
    """The table page's distribution chart (not for a change, nor for categories)."""
    if view.compare or not chartdata.chartable(view.indicator):
        return None
    query = {"ebene": view.level.key, "stichtag": view.period.isoformat()}
    if code:
        query["gebiet"] = code
    url = reverse("explorer:distribution_chart", args=[view.indicator.key])
    return {"url": f"{url}?{urlencode(query)}", "code": code}


@require_safe
def table_download(request):
    """CSV of a map view; ``format=de`` gives semicolons and decimal commas."""
    _view, result = _view_or_404(request)
    german = request.GET.get("format", "de") != "international"
    audit.record(
        AuditEntry.Action.EXPORT,
        result.view.indicator.key,
        format="csv",
        level=result.view.level.key,
        period=result.view.period.isoformat(),
        confidential=result.confidential,
    )
    response = HttpResponse(table_csv(result, german), content_type="text/csv; charset=utf-8")
    name = f"{result.view.indicator.key}_{result.view.level.key}_{result.view.period:%Y-%m-%d}"
    # Marked like the export files: it holds values others see hidden (geheim).
    name += "_vertraulich.csv" if result.confidential else ".csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def profile_page(request, level: str, code: str):
    """The profile (Steckbrief) of one area."""
    try:
        area = find_area(level, code)
    except QuartierError as exc:
        raise Http404(exc.message) from exc
    since = change_start(request.GET.get("seit", ""))
    content = readlayer.consistent(lambda: _profile_content(request, area, since))
    return render(request, "quartier/profile.html", {"area": area, "content": content})


def _profile_content(request, area: Area, since: date | str) -> str:
    """The profile's content: kept for the public portal (:mod:`.profilecache`), else rendered."""
    root = _root_area(request.user)
    cache_key = profilecache.key(request, readlayer.reader(request.user), area, root, since)
    kept = profilecache.get(cache_key)
    if kept is not None:
        return mark_safe(kept)  # noqa: S308 (rendered by the template below, escaped there)
    profile = area_profile(request.user, area, since=since)
    # The charts are images at their own URLs (chartviews): the page only names them.
    fmt = Formatter()
    add_cells(profile, area, fmt)
    add_figures(profile, area, fmt)
    context_shapes = [a.shape for a in (area.parent, root) if a is not None]
    content = render_to_string(
        "quartier/_profile_content.html",
        {
            "profile": profile,
            "area": area,
            "location": location_map(area.shape, context_shapes),
            "compare_url": reverse("explorer:compare") + f"?gebiet={area.level.key}:{area.code}",
            "map_url": reverse("explorer:map") + f"?ebene={area.level.key}&gebiet={area.code}",
            "since_choice": since.isoformat() if isinstance(since, date) else since,
            **table_texts(profile, area),
        },
        request,
    )
    profilecache.put(cache_key, content)
    return content


def change_start(text: str) -> date | str:
    """The profile's change start from ``seit``: a date, "vorher" (the period before) or,
    by default, the earliest period each indicator's change can be measured from.
    """
    if text == "vorher":
        return PREVIOUS
    try:
        return date.fromisoformat(text)
    except ValueError:
        return EARLIEST


def _root_area(user) -> Area | None:
    root = readlayer.reader(user).root_level()
    return Area.objects.filter(level=root, valid_to__isnull=True).first() if root else None


@require_safe
def compare_page(request):
    """2–5 areas side by side; areas are given as ``gebiet=ebene:schlüssel``.

    ``neu`` (a name or code) with ``ebene_neu`` adds an area; a name that fits
    several areas lists them to choose from. Every area can be removed again.
    """
    levels = readlayer.reader(request.user).index.levels
    areas, errors = compared_areas(request.GET.getlist("gebiet"))
    current = [f"{a.level.key}:{a.code}" for a in areas]
    typed = request.GET.get("neu", "").strip()
    candidates, other_levels = [], False
    if typed and len(areas) < MAX_COMPARED:
        try:
            match = match_areas(request.GET.get("ebene_neu", ""), typed)
        except QuartierError as exc:
            errors.append(exc.message)
        else:
            if match.area is not None:
                return redirect(_compare_url([*current, _item(match.area)]))
            candidates = [(a, _compare_url([*current, _item(a)])) for a in match.candidates]
            other_levels = match.other_levels
            if not candidates:
                errors.append(_("Kein Gebiet „%(text)s“ gefunden.") % {"text": typed})
    chosen = {lv.key: lv for lv in levels}.get(request.GET.get("ebene_neu", ""))
    rows = compare_areas(request.user, areas) if areas else []
    for _topic, items in rows:
        for row in items:
            row.chartable = chartdata.chartable(row.indicator)
    return render(
        request,
        "quartier/compare.html",
        {
            "areas": [(a, _compare_url([c for c in current if c != _item(a)])) for a in areas],
            "rows": rows,
            "chart_query": urlencode([("gebiet", item) for item in current]),
            # The bar chart's height in px as charts.render draws it (one bar per area + city).
            "chart_height": round(bar_chart_height(len(areas) + 1) * 96),
            "errors": errors,
            "levels": levels,
            "level": chosen or (areas[0].level if areas else default_level(levels)),
            "can_add": len(areas) < MAX_COMPARED,
            "current": current,
            "typed": typed,
            "candidates": candidates,
            "other_levels": other_levels,
        },
    )


def _item(area: Area) -> str:
    return f"{area.level.key}:{area.code}"


def _compare_url(items: list[str]) -> str:
    query = urlencode([("gebiet", item) for item in items[:MAX_COMPARED]])
    return reverse("explorer:compare") + (f"?{query}" if query else "")


def compared_areas(wanted: list[str]) -> tuple[list[Area], list[str]]:
    """The areas named by ``gebiet`` parameters (each once), and messages for unknown ones."""
    areas, errors = [], []
    for item in dict.fromkeys(wanted):
        if len(areas) == MAX_COMPARED:
            break
        level_key, _sep, code = item.partition(":")
        try:
            areas.append(find_area(level_key, code.strip()))
        except QuartierError as exc:
            errors.append(exc.message)
    return areas, errors
