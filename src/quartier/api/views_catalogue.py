"""Endpoints about what exists: caller, levels, areas, indicators."""

from __future__ import annotations

import json

import shapely
from django.http import JsonResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from quartier.api import params
from quartier.api import serializers as s
from quartier.api.common import (
    ERRORS,
    LIMIT,
    OFFSET,
    ReadOnlyView,
    example,
    number,
    path_parameters,
)
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator, Topic
from quartier.spatial.index import area_index
from quartier.spatial.models import Area, Level


def unknown_resource(request):
    """A JSON 404 for every address under /api/v1/ that names no resource."""
    return JsonResponse({"error": "Unbekannte Adresse. / Unknown resource."}, status=404)


class RootView(ReadOnlyView):
    """Links to every resource of the API."""

    @extend_schema(
        summary="Übersicht / API root",
        responses={200: inline_serializer("Root", {"links": serializers.DictField()})},
    )
    def get(self, request):
        """The resources of this API and its documentation."""
        names = ["me", "levels", "areas", "indicators", "values", "analyses", "exports"]
        links = {n: request.build_absolute_uri(reverse(f"api:{n}")) for n in names}
        links["schema"] = request.build_absolute_uri(reverse("api:schema"))
        links["docs"] = request.build_absolute_uri(reverse("api:docs"))
        links["ogc"] = request.build_absolute_uri("/ogc/")
        return Response({"links": links})


class MeView(ReadOnlyView):
    """Who the API takes the caller to be (to check a token)."""

    @extend_schema(
        summary="Aufrufende Person / caller", responses={200: s.UserSerializer, **ERRORS}
    )
    def get(self, request):
        """Signed-in user with role and units, or anonymous."""
        user = request.user
        signed_in = user.is_authenticated
        units = list(user.units.order_by("key").values_list("key", flat=True)) if signed_in else []
        territories = (
            sorted(set(user.units.exclude(territory=None).values_list("territory__key", flat=True)))
            if signed_in
            else []
        )
        return Response(
            {
                "authenticated": signed_in,
                "username": user.get_username() if signed_in else None,
                "role": getattr(user, "role", None) if signed_in else None,
                "units": units,
                "territories": territories,
                "via_token": bool(getattr(request._request, "token_authenticated", False)),
            }
        )


def level_dict(level: Level, index) -> dict:
    """A level as the API shows it."""
    parent = next((lv for lv in index.levels if lv.id == level.parent_id), None)
    return {
        "key": level.key,
        "name": level.name,
        "order": level.order,
        "parent": parent.key if parent else None,
        "description": level.description,
        "area_count": int(index.valid_positions(level, None).size),
    }


class LevelListView(ReadOnlyView):
    """All levels, coarse to fine."""

    @extend_schema(
        operation_id="levels_list",
        summary="Raumebenen / levels",
        parameters=[LIMIT, OFFSET],
        responses={200: s.LevelPageSerializer, **ERRORS},
    )
    def get(self, request):
        """Every level with its parent and number of current areas."""
        index = area_index()
        return Response(params.page(request, [level_dict(lv, index) for lv in index.levels]))


class LevelDetailView(ReadOnlyView):
    """One level."""

    @extend_schema(summary="Raumebene / level", responses={200: s.LevelSerializer, **ERRORS})
    def get(self, request, key: str):
        """The level ``key``."""
        index = area_index()
        return Response(level_dict(index.level(key), index))


def area_dict(area: Area, level_key: str, parent: tuple[str, str] | None, geometry: bool) -> dict:
    """An area as the API shows it (``parent`` as (level key, code))."""
    out = {
        "level": level_key,
        "code": area.code,
        "name": area.name,
        "parent": {"level": parent[0], "code": parent[1]} if parent else None,
        "area_m2": number(area.area_m2) or 0.0,
        "valid_from": area.valid_from,
        "valid_to": area.valid_to,
        "bbox": [area.min_lon, area.min_lat, area.max_lon, area.max_lat],
    }
    if geometry:
        out["geometry"] = json.loads(shapely.to_geojson(area.shape))
    return out


def _areas(level: Level, period, parent_code: str | None):
    areas = Area.objects.filter(level=level).select_related("parent", "parent__level")
    if period is None:
        areas = areas.filter(valid_to__isnull=True)
    else:
        areas = areas.exclude(valid_from__gt=period).exclude(valid_to__lte=period)
    if parent_code:
        areas = areas.filter(parent__code=parent_code)
    return sorted(areas, key=lambda a: a.code)


def _parent_ref(area: Area) -> tuple[str, str] | None:
    return (area.parent.level.key, area.parent.code) if area.parent_id else None


class AreaListView(ReadOnlyView):
    """Areas of a level, optionally with geometry."""

    @extend_schema(
        operation_id="areas_list",
        summary="Raumeinheiten / areas",
        parameters=[
            OpenApiParameter(
                "level", str, required=True, description="level key", examples=example("stadtteil")
            ),
            OpenApiParameter("period", str, description="versions valid on this date"),
            OpenApiParameter("parent", str, description="only children of this parent code"),
            OpenApiParameter("geometry", bool, description="include GeoJSON geometry"),
            LIMIT,
            OFFSET,
        ],
        responses={200: s.AreaPageSerializer, **ERRORS},
    )
    def get(self, request):
        """Areas valid now (or on ``period``), sorted by code."""
        query = request.query_params
        level = area_index().level(params.required(query, "level")[0])
        period = params.parse_date(query["period"]) if query.get("period") else None
        with_geometry = params.flag(query, "geometry")
        areas = _areas(level, period, query.get("parent"))
        result = params.page(request, areas, 1000 if with_geometry else params.DEFAULT_LIMIT)
        result["results"] = [
            area_dict(a, level.key, _parent_ref(a), with_geometry) for a in result["results"]
        ]
        return Response(result)


class AreaDetailView(ReadOnlyView):
    """One area with its geometry."""

    @extend_schema(
        summary="Raumeinheit / area",
        parameters=[
            *path_parameters(level="stadtteil", code="011"),
            OpenApiParameter("period", str, description="the version valid on this date"),
        ],
        responses={200: s.AreaSerializer, **ERRORS},
    )
    def get(self, request, level: str, code: str):
        """The current version of the area (or the one valid on ``period``)."""
        from quartier.explorer.profile import find_area

        query = request.query_params
        period = params.parse_date(query["period"]) if query.get("period") else None
        area = find_area(level, code, period)
        return Response(area_dict(area, area.level.key, _parent_ref(area), True))


TOPIC_LABELS = dict(Topic.choices)


def indicator_dict(
    ind: Indicator, periods: list, derived: list[str], sum_of: list[str] | None = None
) -> dict:
    """Catalogue metadata of a visible indicator (``sum_of``: its visible parts)."""
    return {
        "key": ind.key,
        "name": ind.name,
        "description": ind.description,
        "unit": ind.unit,
        "topic": ind.topic,
        "topic_label": str(TOPIC_LABELS.get(ind.topic, ind.topic)),
        "kind": ind.kind,
        "polarity": ind.polarity,
        "numerator": ind.numerator.key if ind.numerator_id else None,
        "denominator": ind.denominator.key if ind.denominator_id else None,
        "factor": number(ind.factor) if ind.is_computed else None,
        "source": ind.source,
        "concept": ind.concept,
        "defined_as": ind.defined_as,
        "owner": ind.owner.name if ind.owner_id else None,
        "visibility": ind.visibility,
        "confidential": ind.confidential,
        "decimals": ind.decimals,
        "reference_note": ind.reference_note,
        "min_count": ind.min_count,
        "min_denominator": ind.min_denominator,
        "categories": ind.categories or [],
        "derived_from": derived,
        "sum_of": sum_of or [],
        "definition": ind.definition or {},
        "periods": periods,
    }


def _catalogue(user, indicators) -> list[dict]:
    periods = readlayer.periods_by_indicator(user)
    derived: dict[int, list[str]] = {}
    through = Indicator.derived_from.through.objects.filter(
        from_indicator__in=[i.pk for i in indicators]
    ).values_list("from_indicator_id", "to_indicator__key")
    for source_id, key in through:
        derived.setdefault(source_id, []).append(key)
    parts = readlayer.sum_parts(user, indicators)
    return [
        indicator_dict(
            i,
            periods.get(i.id, []),
            sorted(derived.get(i.id, [])),
            sorted(p.key for p in parts.get(i.id, [])),
        )
        for i in indicators
    ]


class IndicatorListView(ReadOnlyView):
    """The catalogue: every indicator the caller may see."""

    @extend_schema(
        operation_id="indicators_list",
        summary="Indikatoren / indicator catalogue",
        parameters=[
            OpenApiParameter("topic", str, enum=Topic.values, description="Handlungsfeld"),
            OpenApiParameter("q", str, description="text in key, name or description"),
            LIMIT,
            OFFSET,
        ],
        responses={200: s.IndicatorPageSerializer, **ERRORS},
    )
    def get(self, request):
        """Visible indicators with metadata and the periods that have data."""
        query = request.query_params
        indicators = readlayer.visible_indicators(request.user).order_by(
            "topic", "sort_order", "name"
        )
        if query.get("topic"):
            indicators = indicators.filter(topic=query["topic"])
        text = query.get("q", "").strip().casefold()
        found = [
            i
            for i in indicators
            if not text or text in f"{i.key} {i.name} {i.description}".casefold()
        ]
        result = params.page(request, found)
        result["results"] = _catalogue(request.user, result["results"])
        return Response(result)


class IndicatorDetailView(ReadOnlyView):
    """One indicator's metadata."""

    @extend_schema(
        summary="Indikator / indicator", responses={200: s.IndicatorSerializer, **ERRORS}
    )
    def get(self, request, key: str):
        """Metadata of ``key`` (404 also when the caller may not see it)."""
        indicator = readlayer.get_indicator(request.user, key)
        return Response(_catalogue(request.user, [indicator])[0])
