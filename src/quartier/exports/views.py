"""The export page (``/export/``) and the download endpoint (``/export/datei/``).

The download is a plain GET with the explorer's German parameter names, so a
link like ``/export/datei/?indikator=kinderarmut&ebene=stadtteil&stichtag=2024-12-31
&format=xlsx`` is a permalink of an export. Errors re-show the form with a
German message and the choices kept.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from quartier.errors import QuartierError, with_retry_after
from quartier.explorer.catalogue import map_catalogue
from quartier.exports.formats import FORMATS
from quartier.exports.service import build_export
from quartier.spatial.index import area_index

DEFAULT_FORMAT = "xlsx"
LATEST, CHOSEN = "neueste", "auswahl"


def parse_periods(params) -> list[date] | None:
    """Periods from ``stichtag`` (repeatable, JJJJ-MM-TT); None for "the latest".

    ``stichtage=neueste`` asks for the latest period of each indicator even if
    ``stichtag`` values are present (the form keeps them when switching back).
    """
    mode = params.get("stichtage")
    texts = [t for t in params.getlist("stichtag") if t.strip()]
    if mode == LATEST:
        return None
    if mode == CHOSEN and not texts:
        raise QuartierError("Bitte mindestens einen Stichtag wählen – oder „neuester Stichtag“.")
    periods = []
    for text in texts:
        try:
            periods.append(date.fromisoformat(text.strip()))
        except ValueError:
            raise QuartierError(f"Ungültiger Stichtag „{text}“ (erwartet JJJJ-MM-TT).") from None
    return periods or None


def _form_context(request, errors: list[str]) -> dict:
    params = request.GET
    catalogue = map_catalogue(request.user)
    all_periods = sorted(
        {p for topic in catalogue["topics"] for ind in topic["indicators"] for p in ind["periods"]},
        reverse=True,
    )
    chosen_periods = set(params.getlist("stichtag"))
    mode = params.get("stichtage") or (CHOSEN if chosen_periods else LATEST)
    return {
        "catalogue": catalogue,
        "levels": area_index().levels,
        "periods": [date.fromisoformat(p) for p in all_periods],
        "formats": FORMATS,
        "chosen": {
            "indicators": set(params.getlist("indikator")),
            "levels": set(params.getlist("ebene")),
            "periods": chosen_periods,
            "mode": mode,
            "format": params.get("format") or DEFAULT_FORMAT,
        },
        "errors": errors,
    }


@require_safe
def start(request):
    """The export form: indicators by Handlungsfeld, levels, periods and format."""
    return render(request, "quartier/exports/start.html", _form_context(request, []))


@require_safe
def download(request):
    """The export file as an attachment; on bad input the form with the error (400/404)."""
    params = request.GET
    try:
        export = build_export(
            request.user,
            params.getlist("indikator"),
            params.getlist("ebene"),
            parse_periods(params),
            params.get("format") or DEFAULT_FORMAT,
        )
    except QuartierError as exc:
        page = render(
            request,
            "quartier/exports/start.html",
            _form_context(request, [exc.message]),
            status=exc.status,
        )
        return with_retry_after(page, exc)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
