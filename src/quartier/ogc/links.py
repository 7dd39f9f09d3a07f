"""Links between the OGC API's documents: absolute URLs, media types, relations."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"

FORMAT_OF = {JSON: "json", GEOJSON: "json", HTML: "html"}


def url(request, name: str, params: list[tuple[str, str]] | None = None, **kwargs) -> str:
    """Absolute URL of the OGC view ``name``, with query ``params`` (kept readable)."""
    href = request.build_absolute_uri(reverse(f"ogc:{name}", kwargs=kwargs or None))
    if params:
        href += "?" + urlencode(params, safe=",:/")
    return href


def link(href: str, rel: str, media_type: str, title: str) -> dict:
    """One link object as OGC API – Common describes it."""
    return {"href": href, "rel": rel, "type": media_type, "title": str(title)}


def params_with(request, **changes) -> list[tuple[str, str]]:
    """The request's query parameters with ``changes`` applied (None removes a parameter).

    Keyword names use ``_`` for ``-`` (``bbox_crs``). Paging links keep every
    other parameter, so the next page shows the same selection.
    """
    changes = {key.replace("_", "-"): value for key, value in changes.items()}
    kept = [(k, v) for k, v in request.GET.items() if k not in changes]
    return kept + [(k, str(v)) for k, v in changes.items() if v is not None]


def with_format(request, name: str, media_type: str, **kwargs) -> str:
    """URL of view ``name`` with the current parameters and ``f`` set for ``media_type``."""
    return url(request, name, params_with(request, f=FORMAT_OF[media_type]), **kwargs)


def self_links(request, name: str, media_type: str, titles: tuple[str, str], **kwargs) -> list:
    """``self`` (JSON flavour ``media_type``) and ``alternate`` (HTML) of the current document."""
    return [
        link(with_format(request, name, media_type, **kwargs), "self", media_type, titles[0]),
        link(with_format(request, name, HTML, **kwargs), "alternate", HTML, titles[1]),
    ]
