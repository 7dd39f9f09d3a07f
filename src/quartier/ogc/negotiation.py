"""Content negotiation: ``f=json|html`` first, else the Accept header.

JSON is the default: GDAL, OWSLib and ``curl`` send ``*/*`` or JSON types,
while browsers name ``text/html`` explicitly — only then is HTML chosen.
"""

from __future__ import annotations

from quartier.ogc.errors import InvalidParameter

_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/*")
_JSON_TYPES = ("*/*", "application/*", "application/json", "application/geo+json")


def wants_html(request) -> bool:
    """True when the client asks for the HTML representation."""
    f = request.GET.get("f")
    if f is not None:
        if f in ("json", "html"):
            return f == "html"
        raise InvalidParameter(f"Unbekanntes Format „f={f}“ (json oder html). / Unknown format.")
    return prefers_html(request.headers.get("Accept", ""))


def prefers_html(accept: str) -> bool:
    """Does the Accept header rank HTML above JSON? (Ties and wildcards go to JSON.)"""
    best_html = best_json = 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media in _HTML_TYPES:
            best_html = max(best_html, quality)
        elif media in _JSON_TYPES or media.endswith("+json"):
            best_json = max(best_json, quality)
    return best_html > best_json


def html_safely(request) -> bool:
    """Like :func:`wants_html`, but never raises (for choosing how to show an error)."""
    try:
        return wants_html(request)
    except InvalidParameter:
        return False
