"""JSON Schema of a collection's features (the ``describedby`` link).

It is written as a schema of a GeoJSON Feature, with one entry per property,
because that is what GDAL's OAPIF driver reads to fix a layer's fields before
the first page: ``"type": "number"`` becomes a Real field, a string with
``"format": "date"`` a Date field. Single type names only — GDAL does not
understand type lists such as ``["number", "null"]``; nulls are documented in
the descriptions instead.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from quartier.indicators.models import Indicator
from quartier.ogc.selection import SUPPRESSED_PROPERTY
from quartier.spatial.models import Level


def _indicator_property(indicator: Indicator) -> dict:
    entry = {
        "type": "number",
        "title": indicator.name,
        "description": _(
            "Wert zum Stichtag; null, wenn kein Wert vorliegt oder der Wert geheim ist."
        ),
    }
    if indicator.unit:
        entry["x-ogc-unit"] = indicator.unit
    return entry


def feature_schema(url: str, level: Level, indicators: list[Indicator]) -> dict:
    """The schema of the features of ``level`` with the properties ``indicators``."""
    properties = {
        "code": {"type": "string", "title": _("Schlüssel")},
        "name": {"type": "string", "title": _("Name")},
        "level": {"type": "string", "title": _("Raumebene")},
        "period": {"type": "string", "format": "date", "title": _("Stichtag")},
    }
    for indicator in indicators:
        properties[indicator.key] = _indicator_property(indicator)
    properties[SUPPRESSED_PROPERTY] = {
        "type": "string",
        "title": _("Geheim gehaltene Werte"),
        "description": _(
            "Kürzel der Indikatoren, deren Wert für dieses Gebiet geheim gehalten wird "
            "(durch Kommas getrennt), sonst null."
        ),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "title": level.name,
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string", "title": _("Schlüssel")},
            "geometry": {
                "type": "object",
                "title": _("Polygon oder MultiPolygon (GeoJSON)"),
            },
            "properties": {"type": "object", "properties": properties},
        },
    }
