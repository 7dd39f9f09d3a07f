"""Imprint (Impressum), privacy notice (Datenschutzerklärung) and logo, set by the operator.

QUARTIER_IMPRINT and QUARTIER_PRIVACY hold a URL (linked as it is), the path of a
text file, or the text itself; QUARTIER_LOGO is the path of an image file.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe


def _text(value: str) -> str:
    path = Path(value).expanduser()
    try:
        if value and len(value) < 500 and path.is_file():
            return path.read_text(encoding="utf-8")
    except OSError:
        pass
    return value


def _page(request, title: str, value: str):
    return render(request, "quartier/legal.html", {"title": title, "text": _text(value)})


@require_safe
def imprint(request):
    """The imprint (Impressum) configured by the operator."""
    return _page(request, "Impressum", settings.QUARTIER.imprint)


@require_safe
def privacy(request):
    """The privacy notice (Datenschutzerklärung) configured by the operator."""
    return _page(request, "Datenschutzerklärung", settings.QUARTIER.privacy)


@require_safe
def logo(request):
    """The municipality's logo from QUARTIER_LOGO."""
    path = Path(settings.QUARTIER.logo).expanduser()
    if not settings.QUARTIER.logo or not path.is_file():
        raise Http404("Kein Logo eingerichtet.")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if not kind.startswith("image/"):
        raise Http404("Das Logo muss eine Bilddatei sein.")
    return FileResponse(open(path, "rb"), content_type=kind)  # noqa: SIM115 (closed by Django)
