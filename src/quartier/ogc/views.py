"""Views of the OGC API: parse, ask the modules, answer in JSON or HTML.

Every view answers a :class:`~quartier.errors.QuartierError` with its HTTP
status as an OGC exception document (or the error page for browsers), so a
bad parameter is a 400 and never a 500.
"""

from __future__ import annotations

import functools
import json

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

from quartier.errors import QuartierError, with_retry_after
from quartier.ogc import crs, documents, encode, features, openapi, pages, selection
from quartier.ogc.errors import InvalidParameter, exception_document
from quartier.ogc.links import GEOJSON, JSON, OPENAPI, SCHEMA, url
from quartier.ogc.negotiation import html_safely, wants_html
from quartier.ogc.params import ITEM_PARAMS, parse_items, parse_properties
from quartier.ogc.schema import feature_schema
from quartier.spatial.index import area_index


def _answer(body: bytes | str, media_type: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, content_type=media_type, status=status)
    # Answers depend on Accept (JSON or HTML) and on who asks (visible indicators).
    patch_vary_headers(response, ("Accept", "Cookie", "Authorization"))
    response["Cache-Control"] = "private, no-cache"
    return response


def _json(doc: dict, media_type: str = JSON) -> HttpResponse:
    return _answer(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), media_type)


def _html(request, template: str, context: dict) -> HttpResponse:
    response = render(request, f"ogc/{template}", context)
    patch_vary_headers(response, ("Accept", "Cookie", "Authorization"))
    return response


def ogc_view(view):
    """GET/HEAD only; QuartierErrors become OGC exceptions with their status."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except QuartierError as exc:
            if html_safely(request):
                context = {"message": exc.message}
                response = render(request, "quartier/error.html", context, status=exc.status)
            else:
                body = json.dumps(exception_document(exc), ensure_ascii=False)
                response = _answer(body, JSON, exc.status)
            return with_retry_after(response, exc)

    return require_safe(wrapper)


@ogc_view
def landing(request):
    """Landing page: links to the API definition, conformance and collections."""
    doc = documents.landing(request)
    if wants_html(request):
        return _html(request, "landing.html", {"doc": doc})
    return _json(doc)


@ogc_view
def conformance(request):
    """The conformance classes."""
    doc = documents.conformance(request)
    if wants_html(request):
        return _html(request, "conformance.html", {"doc": doc})
    return _json(doc)


@ogc_view
def api(request):
    """The OpenAPI 3.0 definition (JSON only)."""
    if request.GET.get("f", "json") != "json":
        raise InvalidParameter("Die API-Beschreibung gibt es nur als JSON. / JSON only.")
    return _json(openapi.document(request, area_index().levels), OPENAPI)


@ogc_view
def collections(request):
    """All levels as collections."""
    doc = documents.collections(request, request.user)
    if wants_html(request):
        return _html(request, "collections.html", {"doc": doc})
    return _json(doc)


@ogc_view
def collection(request, level: str):
    """One level's metadata."""
    found = area_index().level(level)
    doc = documents.collection_of(request, request.user, found)
    if wants_html(request):
        indicators = selection.default_indicators(request.user)
        return _html(request, "collection.html", {"doc": doc, "indicators": indicators})
    return _json(doc)


@ogc_view
def schema(request, level: str):
    """JSON Schema of the level's features for this user (and ``properties``, if given)."""
    found = area_index().level(level)
    keys = parse_properties(request.GET.get("properties"))
    indicators = selection.selected_indicators(request.user, keys)
    doc = feature_schema(url(request, "schema", level=found.key), found, indicators)
    return _json(doc, SCHEMA)


@ogc_view
@gzip_page
def items(request, level: str):
    """A page of features: bbox, datetime, limit/offset, properties, crs."""
    html = wants_html(request)
    query = parse_items(request.GET)
    page = features.items_page(request.user, area_index().level(level), query)
    if html:
        return _html(request, "items.html", pages.items_context(request, page))
    body = encode.feature_collection(page, pages.items_links(request, page))
    response = _answer(body, GEOJSON)
    response["Content-Crs"] = crs.content_crs(query.crs)
    return response


@ogc_view
def item(request, level: str, code: str):
    """One feature by its code."""
    html = wants_html(request)
    query = parse_items(request.GET, ITEM_PARAMS)
    page = features.single_item(request.user, area_index().level(level), code, query)
    if html:
        return _html(request, "item.html", pages.item_context(request, page, code))
    response = _answer(encode.single_feature(page, pages.item_links(request, page, code)), GEOJSON)
    response["Content-Crs"] = crs.content_crs(query.crs)
    return response
