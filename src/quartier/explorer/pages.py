"""Server-rendered table, profile and comparison pages."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.errors import QuartierError
from quartier.explorer.catalogue import map_catalogue
from quartier.explorer.charts import location_map, sparkline
from quartier.explorer.mapdata import compute_view, parse_view
from quartier.explorer.profile import area_profile, compare_areas, find_area, find_area_by_text
from quartier.explorer.tables import SORT_KEYS, table_csv, table_rows
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
    for key, label in zip(
        SORT_KEYS, ["Rang", "Schlüssel", "Gebiet", "Wert", "Abweichung"], strict=True
    ):
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
            "rows": table_rows(result, sort),
            "columns": columns,
            "query": params.urlencode(),
            "catalogue_levels": readlayer.reader(request.user).index.levels,
            "catalogue": map_catalogue(request.user),
            "periods": readlayer.periods_by_indicator(request.user)[view.indicator.id],
        },
    )


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
    profile = area_profile(request.user, area)
    for row in profile.rows:
        # Counts of an area and of the city differ by orders of magnitude: no shared scale.
        row.chart = sparkline(row.series, None if row.is_count else row.city_series)
    context_shapes = [a.shape for a in (area.parent, _root_area(request.user)) if a is not None]
    return render(
        request,
        "quartier/profile.html",
        {
            "profile": profile,
            "area": area,
            "location": location_map(area.shape, context_shapes),
            "compare_url": reverse("explorer:compare") + f"?gebiet={area.level.key}:{area.code}",
            "map_url": reverse("explorer:map") + f"?ebene={area.level.key}&gebiet={area.code}",
        },
    )


def _root_area(user) -> Area | None:
    root = readlayer.reader(user).root_level()
    return Area.objects.filter(level=root, valid_to__isnull=True).first() if root else None


@require_safe
def compare_page(request):
    """2–5 areas side by side; areas are given as ``gebiet=ebene:schlüssel``."""
    wanted = request.GET.getlist("gebiet")
    if request.GET.get("neu"):
        try:
            added = find_area_by_text(request.GET.get("ebene_neu", ""), request.GET["neu"])
        except QuartierError as exc:
            errors = [exc.message]
        else:
            wanted.append(f"{added.level.key}:{added.code}")
            return redirect(
                reverse("explorer:compare")
                + "?"
                + urlencode([("gebiet", item) for item in wanted[:MAX_COMPARED]])
            )
    else:
        errors = []
    areas = []
    for item in wanted[:MAX_COMPARED]:
        level_key, _, code = item.partition(":")
        try:
            areas.append(find_area(level_key, code.strip()))
        except QuartierError as exc:
            errors.append(exc.message)
    return render(
        request,
        "quartier/compare.html",
        {
            "areas": areas,
            "rows": compare_areas(request.user, areas) if areas else [],
            "errors": errors,
            "levels": readlayer.reader(request.user).index.levels,
            "can_add": len(areas) < MAX_COMPARED,
            "current": [f"{a.level.key}:{a.code}" for a in areas],
        },
    )
