"""The export formats: key (used in URLs and the API), label, file extension, media type."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ExportFormat:
    """One file format an export can be written in."""

    key: str
    label: str
    extension: str
    content_type: str
    spatial: bool


FORMATS: list[ExportFormat] = [
    ExportFormat(
        "csv-de",
        _("CSV für Excel (Semikolon, Dezimalkomma)"),
        "csv",
        "text/csv; charset=utf-8",
        False,
    ),
    ExportFormat(
        "csv", _("CSV international (Komma, Dezimalpunkt)"), "csv", "text/csv; charset=utf-8", False
    ),
    ExportFormat(
        "xlsx",
        _("Excel-Arbeitsmappe (XLSX) mit Metadaten"),
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        False,
    ),
    ExportFormat(
        "geojson",
        _("GeoJSON mit Gebietsgrenzen (eine Raumebene)"),
        "geojson",
        "application/geo+json",
        True,
    ),
    ExportFormat(
        "gpkg",
        _("GeoPackage für QGIS (ein Layer je Raumebene)"),
        "gpkg",
        "application/geopackage+sqlite3",
        True,
    ),
]

BY_KEY: dict[str, ExportFormat] = {f.key: f for f in FORMATS}

#: (key, label) pairs for forms and the API description, in the order offered.
FORMAT_CHOICES: list[tuple[str, str]] = [(f.key, f.label) for f in FORMATS]
