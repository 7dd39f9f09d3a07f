"""The site search: indicators and areas of every level by name, key or code."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from quartier.explorer.compare import MAX_CANDIDATES
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator
from quartier.spatial.models import Area, Level

MIN_LENGTH = 2  # one letter would list half the city


@dataclass
class SearchResult:
    """What a search found; ``more_areas`` counts areas beyond the listed ones."""

    text: str
    indicators: list[Indicator] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    more_areas: int = 0

    @property
    def empty(self) -> bool:
        """True if nothing was found."""
        return not self.indicators and not self.areas


def search(
    user, text: str, level: Level | None = None, limit: int = MAX_CANDIDATES
) -> SearchResult:
    """Visible indicators and current areas of all levels matching ``text``.

    Indicators match by name, key or description; areas by name or code (exact
    codes first). Areas come coarse level first, so "Nord" lists the Stadtbezirk
    before its Stadtteile and blocks; each result knows its level. ``level``
    restricts the areas to one level.
    """
    text = text.strip()
    result = SearchResult(text)
    if len(text) < MIN_LENGTH:
        return result
    reader = readlayer.reader(user)
    periods = reader.periods_by_indicator()
    result.indicators = [
        ind
        for ind in reader.visible_indicators()
        .filter(Q(name__icontains=text) | Q(key__icontains=text) | Q(description__icontains=text))
        .order_by("topic", "sort_order", "name")
        if ind.id in periods
    ]
    current = Area.objects.select_related("level", "parent").filter(valid_to__isnull=True)
    if level is not None:
        current = current.filter(level=level)
    exact = list(current.filter(code=text).order_by("level__order", "level__key"))
    by_name = (
        current.filter(name__icontains=text)
        .exclude(code=text)
        .order_by("level__order", "level__key", "name", "code")
    )
    result.areas = exact + list(by_name[: max(0, limit - len(exact))])
    result.more_areas = max(0, len(exact) + by_name.count() - limit)
    return result
