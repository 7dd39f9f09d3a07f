"""Query parameters of the items endpoints, each parsed by one small function.

Bad values raise :class:`InvalidParameter` (HTTP 400) with a German and an
English sentence; nothing here touches the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from quartier.ogc import crs
from quartier.ogc.errors import InvalidParameter

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

# Parameters of /items; a request naming anything else is answered with 400
# (OGC API – Features, /req/core/query-param-unknown).
ITEMS_PARAMS = frozenset(
    {"f", "bbox", "bbox-crs", "limit", "offset", "datetime", "crs", "properties"}
)
ITEM_PARAMS = frozenset({"f", "datetime", "crs", "properties"})


@dataclass(frozen=True)
class ItemsQuery:
    """The parsed parameters of one items request."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: str = crs.CRS84
    crs: str = crs.CRS84
    interval: tuple[date | None, date | None] | None = None
    properties: tuple[str, ...] | None = None


def parse_items(query, allowed: frozenset[str] = ITEMS_PARAMS) -> ItemsQuery:
    """All parameters of an items (or single item) request."""
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise InvalidParameter(
            f"Unbekannter Parameter: {', '.join(unknown)}. / Unknown query parameter."
        )
    return ItemsQuery(
        limit=parse_limit(query.get("limit")),
        offset=parse_offset(query.get("offset")),
        bbox=parse_bbox(query.get("bbox")),
        bbox_crs=crs.normalise(query["bbox-crs"], "bbox-crs") if "bbox-crs" in query else crs.CRS84,
        crs=crs.normalise(query["crs"]) if "crs" in query else crs.CRS84,
        interval=parse_datetime(query.get("datetime")),
        properties=parse_properties(query.get("properties")),
    )


def _integer(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidParameter(
            f"„{name}“ muss eine ganze Zahl sein. / {name} must be an integer."
        ) from None


def parse_limit(text: str | None) -> int:
    """Page size: 1 … MAX_LIMIT; larger values are lowered to the maximum (as the spec allows)."""
    if text is None or text == "":
        return DEFAULT_LIMIT
    limit = _integer(text, "limit")
    if limit < 1:
        raise InvalidParameter("„limit“ muss mindestens 1 sein. / limit must be ≥ 1.")
    return min(limit, MAX_LIMIT)


def parse_offset(text: str | None) -> int:
    """Number of features to skip (0 or more)."""
    if text is None or text == "":
        return 0
    offset = _integer(text, "offset")
    if offset < 0:
        raise InvalidParameter("„offset“ darf nicht negativ sein. / offset must be ≥ 0.")
    return offset


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` (or six numbers with heights, which are ignored)."""
    if text is None:
        return None
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter(
            "„bbox“ erwartet vier Zahlen: minx,miny,maxx,maxy. / bbox needs four numbers."
        )
    minx, miny, maxx, maxy = numbers
    if miny > maxy or minx > maxx:
        raise InvalidParameter(
            "In „bbox“ muss das Minimum vor dem Maximum stehen. / bbox: min above max."
        )
    return minx, miny, maxx, maxy


def _instant(text: str) -> date | None:
    """One end of a datetime value; ``..`` or empty means open."""
    if text in ("", ".."):
        return None
    # GDAL's OAPIF driver turns a date filter into "2020-12-31T" (a bare T): accept it.
    text = text[:-1] if len(text) == 11 and text[-1] in "Tt" else text
    try:
        if "T" in text or "t" in text:
            return datetime.fromisoformat(text.upper().replace("Z", "+00:00")).date()
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(
            f"Ungültige Zeitangabe in „datetime“: {text} (erwartet JJJJ-MM-TT). / Invalid datetime."
        ) from None


def parse_datetime(text: str | None) -> tuple[date | None, date | None] | None:
    """An instant (start = end) or an interval ``start/end`` with open ends as ``..``."""
    if text is None or text == "":
        return None
    parts = text.split("/")
    if len(parts) == 1:
        day = _instant(parts[0])
        if day is None:
            raise InvalidParameter("„datetime“ ist leer. / Empty datetime.")
        return day, day
    if len(parts) != 2:
        raise InvalidParameter(
            "„datetime“ erwartet einen Zeitpunkt oder „Beginn/Ende“. / Invalid interval."
        )
    start, end = _instant(parts[0]), _instant(parts[1])
    if start and end and start > end:
        raise InvalidParameter(
            "In „datetime“ liegt der Beginn nach dem Ende. / Interval start after end."
        )
    return start, end


def parse_properties(text: str | None) -> tuple[str, ...] | None:
    """Selected indicator keys (comma-separated, duplicates dropped); None = the default set."""
    if text is None:
        return None
    keys = [part.strip() for part in text.split(",") if part.strip()]
    return tuple(dict.fromkeys(keys))
