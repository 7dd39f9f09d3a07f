"""GeoJSON text of a page of features, written column by column for speed.

The static part of each feature (id, geometry, code, name, level) comes
pre-written from :mod:`quartier.ogc.geometry`; here each indicator's values are
formatted once per page as a column of strings, and the rows are joined.
Counts (no decimals) are written as integers, everything else as decimals,
so a field keeps one type on every page.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np

from quartier.ogc.features import Column, Page
from quartier.ogc.selection import SUPPRESSED_PROPERTY


def timestamp() -> str:
    """The response time as RFC 3339 in UTC (``timeStamp`` member)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _formatted(column: Column) -> list[str]:
    """The column's values as JSON numbers (``null`` for missing or suppressed)."""
    values = column.values
    shown = np.isfinite(values)
    if column.indicator.decimals == 0:
        texts = list(map(str, np.where(shown, values, 0).astype(np.int64).tolist()))
    else:
        texts = list(map(repr, values.tolist()))
    for i in np.flatnonzero(~shown).tolist():
        texts[i] = "null"
    return texts


def _suppressed_keys(page: Page) -> list[str]:
    """Per feature: the keys whose values disclosure control withheld, or ``null``."""
    keys = [[] for _ in range(len(page))]
    for column in page.columns:
        for i in column.suppressed.nonzero()[0].tolist():
            keys[i].append(column.indicator.key)
    return [json.dumps(",".join(k)) if k else "null" for k in keys]


def _member(name: str) -> str:
    """``,"name":%s`` for the row template (a literal % in the name is escaped)."""
    return "," + json.dumps(name).replace("%", "%%") + ":%s"


def feature_texts(page: Page) -> list[str]:
    """Each feature of ``page`` as GeoJSON text.

    One template per page (``head,"period":…,"key":%s,…}}``) is filled row by
    row from the columns — much faster than a dict and ``json.dumps`` per feature.
    """
    heads = page.shapes.heads(page.crs, page.positions)
    period = json.dumps(page.period.isoformat() if page.period else None)
    template = (
        "%s"
        + f',"period":{period}'
        + "".join(_member(c.indicator.key) for c in page.columns)
        + _member(SUPPRESSED_PROPERTY)
        + "}}"
    )
    columns = [
        heads,
        *(_formatted(c) for c in page.columns),
        _suppressed_keys(page),
    ]
    return [template % row for row in zip(*columns, strict=True)]


def feature_collection(page: Page, links: list[dict]) -> bytes:
    """The items response: a GeoJSON FeatureCollection with OGC paging members."""
    head = {
        "type": "FeatureCollection",
        "numberMatched": page.matched,
        "numberReturned": len(page),
        "timeStamp": timestamp(),
        "period": page.period.isoformat() if page.period else None,
        "links": links,
    }
    if page.confidential:
        head["confidential"] = page.confidential
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    body = ",".join(feature_texts(page))
    return (text[:-1] + ',"features":[' + body + "]}").encode()


def single_feature(page: Page, links: list[dict]) -> bytes:
    """The single-item response: one GeoJSON Feature with its links."""
    text = feature_texts(page)[0]
    extra = {"links": links, "timeStamp": timestamp()}
    if page.confidential:
        extra["confidential"] = page.confidential
    return (text[:-1] + "," + json.dumps(extra, ensure_ascii=False)[1:]).encode()
