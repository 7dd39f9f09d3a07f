"""The map page and the JSON it loads: geometry once per level, values per view."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import get_format
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

from quartier.access.caching import holds_no_values
from quartier.core import geodoc
from quartier.errors import QuartierError
from quartier.explorer.catalogue import map_catalogue
from quartier.explorer.facilities import facility_symbols
from quartier.explorer.mapdata import (
    compute_view,
    default_indicator,
    default_level,
    parse_view,
    secret_hint,
)
from quartier.explorer.panel import area_change, panel_row
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
    catalogue = map_catalogue(request.user)
    context = {
        "catalogue": catalogue,
        "facility_layers": facility_symbols(FacilityLayer.objects.values("key", "name")),
        "map_config": {
            "defaults": _defaults(request.user) if catalogue["topics"] else None,
            # Dates as the table and every other page write them (Django's short format).
            "date_format": get_format("SHORT_DATE_FORMAT"),
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


def _defaults(user) -> dict:
    """Indicator and level of a map address that names none (configurable)."""
    try:
        indicator = default_indicator(user)
        level = default_level(readlayer.reader(user).index)
    except QuartierError:
        return {}
    return {"indicator": indicator.key, "level": level.key}


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
        response = HttpResponse(doc.gzipped, content_type=geodoc.CONTENT_TYPE)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(doc.body, content_type=geodoc.CONTENT_TYPE)
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
        hint = secret_hint(request.user, result)
        doc = level_geometry(view.level, view.period)
    except QuartierError as exc:
        return json_error(exc)
    response = JsonResponse(
        values_payload(result, doc.etag, hint), json_dumps_params={"separators": (",", ":")}
    )
    response["Cache-Control"] = "private, no-cache"
    return response


@require_safe
def area_panel(request, level: str, code: str):
    """Key figures of one area for the map's side panel, for the map's view.

    ``current`` is the shown indicator on the view's Stichtag; in change mode
    ``change`` holds what the map shows instead (the change and its rank).
    """
    try:
        view = parse_view(request.user, request.GET)
        area = find_area(level, code, view.period)
        periods = readlayer.periods_by_indicator(request.user)[view.indicator.id]
        current = indicator_row(
            request.user, view.indicator, area, [p for p in periods if p <= view.period]
        )
        change = area_change(request.user, view, area) if view.compare else None
        keys = area_profile(request.user, area, key_figures_only=True)
    except QuartierError as exc:
        return json_error(exc)
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
            "current": panel_row(current),
            "change": change,
            "key_figures": [panel_row(r) for r in keys.rows],
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
