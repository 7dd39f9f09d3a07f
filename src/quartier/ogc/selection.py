"""Which indicators become feature properties, and which Stichtag a request shows.

Everything goes through the read layer, so a user only ever meets indicators
they may see; an unknown key and an invisible one get the same answer.
"""

from __future__ import annotations

from datetime import date

from quartier.errors import NotFound
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator
from quartier.ogc.errors import InvalidParameter

# Properties every feature has; an indicator with one of these keys cannot be a property.
FIXED = ("code", "name", "level", "period")
SUPPRESSED_PROPERTY = "suppressed"
RESERVED = frozenset((*FIXED, SUPPRESSED_PROPERTY))


def default_indicators(user) -> list[Indicator]:
    """Every indicator ``user`` may see that has values, in catalogue order.

    The set depends only on the user and the stored data — not on the page,
    the bounding box or the Stichtag — so every page of a collection has the
    same fields (GDAL and QGIS fix a layer's fields from the first page).
    """
    with_data = readlayer.periods_by_indicator(user)
    # Only keys and catalogue order come from this query; the indicators themselves
    # come from the read layer's list for this request (visibility checked there, and
    # asked once per request instead of twice).
    keys = Indicator.objects.filter(pk__in=list(with_data)).values_list("key", flat=True)
    return [readlayer.get_indicator(user, key) for key in keys if key not in RESERVED]


def selected_indicators(user, keys: tuple[str, ...] | None) -> list[Indicator]:
    """The indicators named by ``properties`` (the default set when None)."""
    if keys is None:
        return default_indicators(user)
    chosen = []
    for key in keys:
        if key in RESERVED:
            continue  # always there anyway
        try:
            chosen.append(readlayer.get_indicator(user, key))
        except NotFound:
            # Same words for unknown and invisible keys: never confirm a restricted name.
            raise InvalidParameter(
                f"Unbekannte Eigenschaft „{key}“ in „properties“. / Unknown property."
            ) from None
    return chosen


def periods_with_data(user, indicators: list[Indicator]) -> list[date]:
    """All Stichtage on which at least one of ``indicators`` has values, ascending."""
    by_indicator = readlayer.periods_by_indicator(user)
    found: set[date] = set()
    for indicator in indicators:
        found.update(by_indicator.get(indicator.pk, ()))
    return sorted(found)


def choose_period(
    periods: list[date], interval: tuple[date | None, date | None] | None
) -> tuple[date | None, bool]:
    """The Stichtag to show, and whether the request matches any.

    Without ``datetime`` the latest period with data is shown. An instant is
    an interval of one day; of the periods inside the interval the latest is
    shown. When no period lies inside, the request matches no features.
    With no data at all (a fresh installation) the current areas are listed
    without values.
    """
    if interval is None:
        return (periods[-1] if periods else None), True
    start, end = interval
    inside = [p for p in periods if (start is None or p >= start) and (end is None or p <= end)]
    if inside:
        return inside[-1], True
    return None, False
