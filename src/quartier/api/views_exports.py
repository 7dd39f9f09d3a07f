"""File exports through the API (the same files as the export page)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation

from quartier.api import params
from quartier.api.common import ERRORS, INDICATORS, ReadOnlyView, example
from quartier.exports.formats import FORMATS as EXPORT_FORMATS

FORMATS = [f.key for f in EXPORT_FORMATS]
MEDIA_TYPES = sorted({f.content_type.split(";")[0] for f in EXPORT_FORMATS})


def _file_schema(media_type: str) -> OpenApiResponse:
    """A file of ``media_type``: GeoJSON is JSON (a FeatureCollection), the others bytes."""
    if media_type.endswith("+json"):
        return OpenApiResponse(OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection")
    return OpenApiResponse(OpenApiTypes.BINARY)


class FileFormatNegotiation(DefaultContentNegotiation):
    """Here ``format`` names the file to export, not one of DRF's renderers.

    DRF reads ``?format=`` as its own renderer override (URL_FORMAT_OVERRIDE) and
    answers 404 to any value but ``json``, so only the default format could be
    had. The file is written by the view itself and only errors are rendered (as
    JSON), so the one renderer is chosen whatever ``format`` or ``Accept`` say;
    the other endpoints keep DRF's negotiation (e.g. ``/schema/?format=json``).
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        """The view's first renderer (JSON), for its error responses."""
        return renderers[0], renderers[0].media_type


class ExportView(ReadOnlyView):
    """CSV, XLSX, GeoJSON or GeoPackage of indicators at one or more levels."""

    content_negotiation_class = FileFormatNegotiation

    @extend_schema(
        summary="Export (Datei) / file export",
        parameters=[
            INDICATORS,
            OpenApiParameter(
                "level",
                str,
                required=True,
                description="level key(s), comma-separated",
                examples=example("stadtbezirk"),
            ),
            OpenApiParameter(
                "period", str, description="date(s) or year(s); default: latest with data"
            ),
            OpenApiParameter(
                "format",
                str,
                enum=FORMATS,
                description="csv (comma, point), csv-de (semicolon, decimal comma), xlsx,"
                " geojson, gpkg (GeoPackage, a layer per level)",
            ),
        ],
        responses={
            **{(200, media): _file_schema(media) for media in MEDIA_TYPES},
            **ERRORS,
        },
    )
    def get(self, request):
        """The file as an attachment; every export is recorded in the audit log."""
        from quartier.exports.service import build_export

        query = request.query_params
        wanted = params.values_of(query, "period")
        periods = sorted({params.parse_date(p) for p in wanted}) if wanted else None
        export = build_export(
            request.user,
            list(dict.fromkeys(params.required(query, "indicator"))),
            list(dict.fromkeys(params.required(query, "level"))),
            periods,
            query.get("format") or "csv",
        )
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response["Cache-Control"] = "private, no-store"  # may hold confidential values
        return response
