"""The API definition (OpenAPI 3.0) linked from the landing page as ``service-desc``.

Paths are written per collection (``/collections/baublock/items``), not only
as a template, because GDAL looks up the concrete path to read the ``limit``
parameter's default and maximum and sizes its pages from them. The document
names levels only — never indicators — so it is the same for every user.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from quartier.ogc import crs
from quartier.ogc.documents import title
from quartier.ogc.links import GEOJSON, HTML, JSON, OPENAPI, SCHEMA, url
from quartier.ogc.params import DEFAULT_LIMIT, MAX_LIMIT
from quartier.spatial.models import Level

_REF = "#/components/parameters/"


def _parameters() -> dict:
    crs_schema = {"type": "string", "format": "uri", "enum": list(crs.SUPPORTED)}
    query = {"in": "query", "required": False}
    return {
        "f": {
            **query,
            "name": "f",
            "description": _("Format: json oder html (sonst nach Accept-Header)."),
            "schema": {"type": "string", "enum": ["json", "html"]},
        },
        "limit": {
            **query,
            "name": "limit",
            "description": _("Höchstzahl der Gebiete je Seite; größere Werte gelten als Maximum."),
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
        },
        "offset": {
            **query,
            "name": "offset",
            "description": _("Zahl der übersprungenen Gebiete (für das Blättern)."),
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
        "bbox": {
            **query,
            "name": "bbox",
            "description": _("Nur Gebiete, die dieses Rechteck schneiden: minx,miny,maxx,maxy."),
            "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            "style": "form",
            "explode": False,
        },
        "bbox-crs": {
            **query,
            "name": "bbox-crs",
            "description": _("Koordinatenbezugssystem von bbox (Standard: CRS84)."),
            "schema": {**crs_schema, "default": crs.CRS84},
        },
        "crs": {
            **query,
            "name": "crs",
            "description": _("Koordinatenbezugssystem der Geometrien (Standard: CRS84)."),
            "schema": {**crs_schema, "default": crs.CRS84},
        },
        "datetime": {
            **query,
            "name": "datetime",
            "description": _(
                "Stichtag (JJJJ-MM-TT) oder Zeitraum (Beginn/Ende, offen mit ..): gezeigt wird "
                "der letzte Stichtag mit Werten im Zeitraum. Ohne Angabe: der neueste."
            ),
            "schema": {"type": "string"},
        },
        "properties": {
            **query,
            "name": "properties",
            "description": _(
                "Kürzel der Indikatoren, durch Kommas getrennt (siehe Schema der Raumebene). "
                "Ohne Angabe: alle Indikatoren mit Werten, die Sie sehen dürfen."
            ),
            "schema": {"type": "array", "items": {"type": "string"}},
            "style": "form",
            "explode": False,
        },
        "featureId": {
            "in": "path",
            "name": "featureId",
            "required": True,
            "description": _("Schlüssel des Gebiets."),
            "schema": {"type": "string"},
        },
    }


def _response(description: str, *media_types: str) -> dict:
    content = {media: {"schema": {"type": "object"}} for media in media_types}
    if HTML in content:
        content[HTML] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def _errors() -> dict:
    # Browsers (Accept: text/html or f=html) get the error as a page.
    content = {
        JSON: {"schema": {"$ref": "#/components/schemas/exception"}},
        HTML: {"schema": {"type": "string"}},
    }
    return {
        "400": {"description": _("Ungültiger Parameter"), "content": content},
        "404": {"description": _("Nicht gefunden"), "content": content},
        # Disclosure control fails closed: no values rather than unprotected ones.
        "503": {
            "description": _(
                "Geheimhaltung gerade nicht sicher anwendbar – bitte erneut versuchen"
            ),
            "content": content,
        },
    }


def _get(summary: str, operation_id: str, parameters: list[str], ok: dict) -> dict:
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "parameters": [{"$ref": _REF + name} for name in parameters],
            "responses": {"200": ok, **_errors()},
        }
    }


def _level_paths(level: Level) -> dict:
    key = level.key
    items = ["f", "limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "properties"]
    return {
        f"/collections/{key}": _get(
            level.name, f"collection_{key}", ["f"], _response(level.name, JSON, HTML)
        ),
        f"/collections/{key}/items": _get(
            _("Gebiete der Raumebene %(name)s") % {"name": level.name},
            f"items_{key}",
            items,
            _response(_("Gebiete"), GEOJSON, HTML),
        ),
        f"/collections/{key}/items/{{featureId}}": _get(
            _("Ein Gebiet der Raumebene %(name)s") % {"name": level.name},
            f"item_{key}",
            ["featureId", "f", "datetime", "crs", "properties"],
            _response(_("Ein Gebiet"), GEOJSON, HTML),
        ),
        f"/collections/{key}/schema": _get(
            _("Schema der Gebiete"),
            f"schema_{key}",
            ["properties"],
            _response(_("JSON Schema"), SCHEMA),
        ),
    }


def document(request, levels: list[Level]) -> dict:
    """The OpenAPI 3.0 document of the OGC endpoints."""
    paths = {
        "/": _get(_("Startseite"), "landing", ["f"], _response(_("Startseite"), JSON, HTML)),
        "/api": _get(_("Diese API-Beschreibung"), "api", [], _response(_("OpenAPI 3.0"), OPENAPI)),
        "/conformance": _get(
            _("Konformitätsklassen"),
            "conformance",
            ["f"],
            _response(_("Konformitätsklassen"), JSON, HTML),
        ),
        "/collections": _get(
            _("Raumebenen"), "collections", ["f"], _response(_("Raumebenen"), JSON, HTML)
        ),
    }
    for level in levels:
        paths.update(_level_paths(level))
    return {
        "openapi": "3.0.3",
        "info": {"title": title(), "version": "1.0.0"},
        "servers": [{"url": url(request, "landing").rstrip("/")}],
        "paths": paths,
        "components": {
            "parameters": _parameters(),
            "schemas": {
                "exception": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
                }
            },
        },
    }
