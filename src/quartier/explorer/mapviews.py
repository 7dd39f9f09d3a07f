"""The map page and the JSON it loads: geometry once per level, values per view."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

from quartier.access.caching import holds_no_values
from quartier.errors import QuartierError
from quartier.explorer.catalogue import map_catalogue
from quartier.explorer.mapdata import compute_view, parse_view
from quartier.explorer.payloads import values_payload
from quartier.explorer.profile import area_profile, find_area, indicator_row
from quartier.indicators import readlayer
from quartier.spatial.display import level_geometry
from quartier.spatial.index import area_index
from quartier.spatial.models import FacilityLayer


def json_error(exc: QuartierError) -> JsonResponse:
    """A JSON error document with the error's HTTP status."""
    return JsonResponse({"error": exc.message}, status=exc.status)


@require_safe
def map_page(request):
    """The map explorer (the JavaScript reads its state from the URL)."""
    config = settings.QUARTIER
    context = {
        "catalogue": map_catalogue(request.user),
        "facility_layers": list(FacilityLayer.objects.values("key", "name")),
        "map_config": {
            "basemap": config.basemap_url,
            "attribution": config.basemap_attribution,
            "urls": {
                "geometry": reverse("explorer:geometry", args=["LEVEL"]),
                "values": reverse("explorer:values"),
                "area": reverse("explorer:area_panel", args=["LEVEL", "CODE"]),
                "facilities": reverse("explorer:facilities", args=["LAYER"]),
                "profile": reverse("explorer:profile", args=["LEVEL", "CODE"]),
                "table": reverse("explorer:table"),
                "compare": reverse("explorer:compare"),
                "search": reverse("explorer:search"),
            },
        },
    }
    return render(request, "quartier/map.html", context)


def _period_param(request) -> date | None:
    text = request.GET.get("stichtag")
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise QuartierError("Ungültiger Stichtag (erwartet JJJJ-MM-TT).") from None


@require_safe
def geometry(request, level: str):
    """A level's display geometry: sent once, cached by the browser, revalidated by ETag."""
    try:
        doc = level_geometry(area_index().level(level), _period_param(request))
    except QuartierError as exc:
        return json_error(exc)
    etag = f'"{doc.etag}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(doc.gzipped, content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(doc.body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Accept-Encoding, Cookie"
    # Boundaries only, the same for everyone: the browser keeps them (access.caching).
    return holds_no_values(response)


@gzip_page
@require_safe
def values(request):
    """Values, classes and legend of one map view (compact arrays in geometry order)."""
    try:
        view = parse_view(request.user, request.GET)
        result = compute_view(request.user, view)
        doc = level_geometry(view.level, view.period)
    except QuartierError as exc:
        return json_error(exc)
    response = JsonResponse(
        values_payload(result, doc.etag), json_dumps_params={"separators": (",", ":")}
    )
    response["Cache-Control"] = "private, no-cache"
    return response


@require_safe
def area_panel(request, level: str, code: str):
    """Key figures of one area for the map's side panel."""
    try:
        view = parse_view(request.user, request.GET)
        area = find_area(level, code, view.period)
        current = indicator_row(
            request.user,
            view.indicator,
            area,
            readlayer.periods_by_indicator(request.user)[view.indicator.id],
        )
        keys = area_profile(request.user, area, key_figures_only=True)
    except QuartierError as exc:
        return json_error(exc)

    def row(r):
        ind = r.indicator
        return {
            "key": ind.key,
            "name": ind.name,
            "unit": ind.unit,
            "decimals": ind.decimals,
            "period": r.period.isoformat(),
            "value": r.value,
            "city": r.city_value,
            "rank": r.rank,
            "rank_of": r.rank_of,
        }

    parent = area.parent
    return JsonResponse(
        {
            "code": area.code,
            "name": area.name,
            "level": area.level.name,
            "level_key": area.level.key,
            "parent": {"code": parent.code, "name": parent.name, "level": parent.level.name}
            if parent
            else None,
            "profile": reverse("explorer:profile", args=[area.level.key, area.code]),
            "current": row(current),
            "key_figures": [row(r) for r in keys.rows],
        }
    )


@gzip_page
@require_safe
def facilities(request, layer: str):
    """One facility layer as GeoJSON points."""
    found = FacilityLayer.objects.filter(key=layer).first()
    if found is None:
        return json_error(QuartierError("Unbekannte Einrichtungsebene.", status=404))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [f.lon, f.lat]},
            "properties": {
                "name": f.name,
                "address": f.address,
                "capacity": f.capacity,
                "attributes": f.attributes,
            },
        }
        for f in found.facilities.all()
    ]
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "name": found.name,
            "capacity_label": found.capacity_label,
            "features": features,
        }
    )
