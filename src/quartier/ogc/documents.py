"""The metadata documents: landing page, conformance, collections (one per level)."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from quartier.access.territories import installation_name
from quartier.ogc import crs, selection
from quartier.ogc.geometry import level_shapes
from quartier.ogc.links import GEOJSON, HTML, JSON, OPENAPI, SCHEMA, link, self_links, url
from quartier.spatial.index import area_index
from quartier.spatial.models import Level

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def title() -> str:
    """The API's title, with the municipality's name."""
    return _("Quartier %(municipality)s – Gebiete und Indikatoren (OGC API – Features)") % {
        "municipality": installation_name()
    }


def landing(request) -> dict:
    """The landing page: where the API definition, conformance and data are."""
    return {
        "title": title(),
        "description": _(
            "Raumebenen der Sozialplanung als Feature-Collections: jedes Gebiet mit den Werten "
            "der Indikatoren, die Sie sehen dürfen, zu einem Stichtag."
        ),
        "links": [
            *self_links(request, "landing", JSON, (_("Diese Seite"), _("Diese Seite als HTML"))),
            link(url(request, "api"), "service-desc", OPENAPI, _("API-Beschreibung (OpenAPI 3.0)")),
            link(
                url(request, "conformance", [("f", "json")]),
                "conformance",
                JSON,
                _("Konformitätsklassen"),
            ),
            link(url(request, "collections", [("f", "json")]), "data", JSON, _("Raumebenen")),
        ],
    }


def conformance(request) -> dict:
    """The conformance classes this API implements."""
    return {
        "links": self_links(
            request, "conformance", JSON, (_("Konformitätsklassen"), _("als HTML"))
        ),
        "conformsTo": CONFORMANCE,
    }


def collections(request, user) -> dict:
    """All levels as collections."""
    periods = _periods(user)
    return {
        "links": self_links(request, "collections", JSON, (_("Raumebenen"), _("als HTML"))),
        "collections": [collection(request, level, periods) for level in area_index().levels],
        "crs": list(crs.SUPPORTED),
    }


def _periods(user) -> list[date]:
    """Stichtage with values of the indicators ``user`` gets by default."""
    return selection.periods_with_data(user, selection.default_indicators(user))


def collection_of(request, user, level: Level) -> dict:
    """One level's collection document."""
    return collection(request, level, _periods(user))


def collection(request, level: Level, periods: list[date]) -> dict:
    """Metadata of one level: extent, CRS, links to its items and schema."""
    shapes = level_shapes(level)
    current = shapes.index.valid_positions(level, None).size
    key = level.key
    links = self_links(request, "collection", JSON, (level.name, _("als HTML")), level=key) + [
        link(url(request, "items", level=key), "items", GEOJSON, _("Gebiete als GeoJSON")),
        link(url(request, "items", [("f", "html")], level=key), "items", HTML, _("als Tabelle")),
        link(url(request, "schema", level=key), "describedby", SCHEMA, _("Schema der Gebiete")),
    ]
    extent = {"spatial": {"bbox": [crs.bounds_in(shapes.extent(), crs.CRS84)], "crs": crs.CRS84}}
    if periods:
        extent["temporal"] = {
            "interval": [[f"{periods[0].isoformat()}T00:00:00Z", f"{periods[-1]}T00:00:00Z"]],
            "trs": GREGORIAN,
        }
    return {
        "id": key,
        "title": level.name,
        "description": level.description
        or _("Raumebene %(name)s: %(count)s Gebiete mit den Werten der Indikatoren.")
        % {"name": level.name, "count": current},
        "itemType": "feature",
        "extent": extent,
        "crs": list(crs.SUPPORTED),
        "storageCrs": crs.CRS84,
        "links": links,
    }
