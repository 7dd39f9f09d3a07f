"""Links of the feature responses and the context of their HTML pages."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from quartier.indicators.status import Status
from quartier.ogc.features import Page
from quartier.ogc.links import GEOJSON, JSON, link, params_with, self_links, url


def items_links(request, page: Page) -> list[dict]:
    """self, alternate, collection, and next/prev when there are more pages."""
    key = page.level.key
    links = self_links(request, "items", GEOJSON, (_("Diese Seite"), _("als HTML")), level=key)
    links.append(_collection_link(request, page))
    for rel, offset, title in _paging(page):
        href = url(request, "items", params_with(request, offset=offset, f="json"), level=key)
        links.append(link(href, rel, GEOJSON, title))
    return links


def _collection_link(request, page: Page) -> dict:
    href = url(request, "collection", [("f", "json")], level=page.level.key)
    return link(href, "collection", JSON, page.level.name)


def _paging(page: Page) -> list[tuple[str, int, str]]:
    """(rel, offset, title) of the neighbouring pages."""
    found = []
    if page.offset + len(page) < page.matched:
        found.append(("next", page.offset + page.limit, _("Nächste Seite")))
    if page.offset > 0:
        found.append(("prev", max(0, page.offset - page.limit), _("Vorherige Seite")))
    return found


def item_links(request, page: Page, code: str) -> list[dict]:
    """Links of a single feature: self, alternate and its collection."""
    key = page.level.key
    links = self_links(
        request, "item", GEOJSON, (_("Dieses Gebiet"), _("als HTML")), level=key, code=code
    )
    links.append(_collection_link(request, page))
    return links


def _cells(page: Page, i: int) -> list[dict]:
    cells = []
    for column in page.columns:
        value = float(column.values[i])
        cells.append(
            {
                "name": column.indicator.name,
                "unit": column.indicator.unit,
                "value": None if math.isnan(value) else value,
                "status": Status(column.status[i]),
                "decimals": column.indicator.decimals,
            }
        )
    return cells


def _kept(request) -> list[tuple[str, str]]:
    """Parameters a link to a single feature keeps: its Stichtag and properties."""
    return [(k, v) for k, v in request.GET.items() if k in ("datetime", "properties")]


def items_context(request, page: Page) -> dict:
    """Context of the HTML items page: a table of the page's features."""
    key = page.level.key
    rows = [
        {
            "code": code,
            "name": name,
            "href": url(request, "item", [*_kept(request), ("f", "html")], level=key, code=code),
            "cells": _cells(page, i),
        }
        for i, (code, name) in enumerate(zip(page.codes, page.names, strict=True))
    ]
    pager = {
        rel: url(request, "items", params_with(request, offset=offset, f="html"), level=key)
        for rel, offset, _title in _paging(page)
    }
    return {
        "page": page,
        "level": page.level,
        "columns": page.columns,
        "rows": rows,
        "first": page.offset + 1 if len(page) else 0,
        "last": page.offset + len(page),
        "pager": pager,
        "json_url": url(request, "items", params_with(request, f="json"), level=key),
        "collection_url": url(request, "collection", [("f", "html")], level=key),
    }


def item_context(request, page: Page, code: str) -> dict:
    """Context of the HTML page of a single feature."""
    key = page.level.key
    return {
        "page": page,
        "level": page.level,
        "code": code,
        "name": page.names[0],
        "cells": _cells(page, 0),
        "json_url": url(request, "item", params_with(request, f="json"), level=key, code=code),
        "items_url": url(request, "items", [*_kept(request), ("f", "html")], level=key),
    }
