"""Reading query parameters of the API: lists, dates, flags, paging — with clear 400s."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from quartier.errors import QuartierError

DEFAULT_LIMIT = 10_000  # a whole block level of a large city in one page
MAX_LIMIT = 100_000


def values_of(query, name: str) -> list[str]:
    """All values of a parameter given repeatedly and/or comma-separated (empty ones dropped)."""
    out = []
    for raw in query.getlist(name):
        out.extend(part.strip() for part in raw.split(","))
    return [part for part in out if part]


def required(query, name: str) -> list[str]:
    """Like :func:`values_of`, but at least one value must be given."""
    found = values_of(query, name)
    if not found:
        raise QuartierError(f"Parameter „{name}“ fehlt. / Parameter {name} is required.")
    return found


def parse_date(text: str, name: str = "period") -> date:
    """An ISO date (YYYY-MM-DD) or a year (meaning 31 December)."""
    try:
        if len(text) == 4 and text.isdigit():
            return date(int(text), 12, 31)
        return date.fromisoformat(text)
    except ValueError:
        raise QuartierError(
            f"„{text}“ ist kein Datum (JJJJ-MM-TT). / {name}: not a date (YYYY-MM-DD)."
        ) from None


def flag(query, name: str, default: bool = False) -> bool:
    """A boolean parameter: true/false, 1/0, yes/no, ja/nein."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "ja", "on"):
        return True
    if lowered in ("0", "false", "no", "nein", "off"):
        return False
    raise QuartierError(f"{name}: „{raw}“ ist kein Wahrheitswert. / not a boolean (true/false).")


def integer(query, name: str, default: int, minimum: int, maximum: int) -> int:
    """An integer parameter within bounds."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        number = int(raw)
    except ValueError:
        raise QuartierError(f"{name}: „{raw}“ ist keine ganze Zahl. / not an integer.") from None
    if not minimum <= number <= maximum:
        raise QuartierError(f"{name} muss zwischen {minimum} und {maximum} liegen. / out of range.")
    return number


def page_bounds(request, count: int, default_limit: int = DEFAULT_LIMIT) -> dict:
    """Offset, limit and the next/previous links for ``count`` entries (limit/offset paging)."""
    query = request.query_params
    limit = integer(query, "limit", default_limit, 1, MAX_LIMIT)
    offset = integer(query, "offset", 0, 0, 10**9)

    def link(new_offset: int) -> str:
        params = [(k, v) for k in query for v in query.getlist(k) if k not in ("limit", "offset")]
        params += [("limit", limit), ("offset", new_offset)]
        return request.build_absolute_uri(request.path) + "?" + urlencode(params)

    return {
        "offset": offset,
        "limit": limit,
        "next": link(offset + limit) if offset + limit < count else None,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
    }


def page(request, items: list, default_limit: int = DEFAULT_LIMIT) -> dict:
    """``{count, next, previous, results}`` for a slice of ``items`` chosen by limit/offset."""
    bounds = page_bounds(request, len(items), default_limit)
    start = bounds["offset"]
    return {
        "count": len(items),
        "next": bounds["next"],
        "previous": bounds["previous"],
        "results": items[start : start + bounds["limit"]],
    }
