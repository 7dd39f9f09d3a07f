"""The comparison page's data: areas side by side, and finding areas by name or code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from quartier import cost
from quartier.errors import NotFound
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator, Topic
from quartier.indicators.status import Status
from quartier.spatial.index import area_index
from quartier.spatial.models import Area, Level

MAX_CANDIDATES = 20


@dataclass
class ComparisonRow:
    """One indicator across several areas at its latest period, with the city value."""

    indicator: Indicator
    period: date
    values: list[float | None]
    city_value: float | None
    statuses: list[Status] = field(default_factory=list)

    @property
    def cells(self) -> list[tuple[float | None, Status]]:
        """(value, status) per compared area."""
        return list(zip(self.values, self.statuses, strict=True))


def compare_areas(user, areas: list[Area]) -> list[tuple[str, list[ComparisonRow]]]:
    """Rows of all visible indicators for ``areas`` side by side, grouped by topic."""
    reader = readlayer.reader(user)
    periods = reader.periods_by_indicator()
    indicators = [
        i
        for i in reader.visible_indicators().order_by("topic", "sort_order", "name")
        if i.id in periods
    ]
    levels = {area.level_id: area.level for area in areas}.values()
    cells = sum(
        cost.series_cells(reader.index, level, periods[i.id][-1:])
        for i in indicators
        for level in levels
    )
    with cost.limited(cells):
        return _comparison_rows(reader, indicators, periods, areas)


def comparison_row(user, indicator: Indicator, areas: list[Area]) -> ComparisonRow:
    """The row of one visible ``indicator`` for ``areas`` (NotFound without values)."""
    reader = readlayer.reader(user)
    periods = reader.periods_by_indicator()
    if indicator.id not in periods:
        raise NotFound(f"Für „{indicator.name}“ liegen keine Werte vor.")
    rows = _comparison_rows(reader, [indicator], periods, areas)
    return rows[0][1][0]


def _comparison_rows(reader, indicators, periods, areas) -> list[tuple[str, list[ComparisonRow]]]:
    by_topic: dict[str, list[ComparisonRow]] = {}
    for indicator in indicators:
        period = periods[indicator.id][-1]
        values, statuses = [], []
        cache: dict[int, readlayer.AreaValues] = {}
        for area in areas:
            if area.level_id not in cache:
                cache[area.level_id] = reader.values(indicator, area.level, period)
            result = cache[area.level_id]
            values.append(result.value_of(area.code))
            statuses.append(result.status_of(area.code))
        city = reader.total(indicator, period)
        by_topic.setdefault(indicator.topic, []).append(
            ComparisonRow(indicator, period, values, city, statuses)
        )
    return [(label, by_topic[value]) for value, label in Topic.choices if value in by_topic]


def default_level(levels: list[Level]) -> Level | None:
    """The level a choice starts with: the coarsest one with more than one area.

    Not the city itself — comparing the city with itself is never the question.
    """
    if not levels:
        return None
    return levels[1] if len(levels) > 1 else levels[0]


@dataclass
class AreaMatch:
    """What a typed name or code found: one area, or candidates to choose from."""

    area: Area | None
    candidates: list[Area]
    other_levels: bool = False  # nothing on the chosen level; candidates are from others


def match_areas(level_key: str, text: str) -> AreaMatch:
    """Areas of ``level_key`` whose code is ``text`` or whose name matches it.

    One exact code or one name match is the area; several matches are candidates.
    When the level has none, the current areas of every level are searched, so
    "Nordstadt" typed with the wrong level still offers the Stadtteil Nordstadt.
    """
    text = text.strip()
    level = area_index().level(level_key)
    current = Area.objects.select_related("level").filter(valid_to__isnull=True)
    on_level = current.filter(level=level)
    exact = list(on_level.filter(code=text)[:1]) or list(on_level.filter(name__iexact=text)[:2])
    if len(exact) == 1:
        return AreaMatch(exact[0], [])
    if exact:
        return AreaMatch(None, _candidates(on_level.filter(name__iexact=text)))
    found = _candidates(on_level.filter(name__icontains=text))
    if len(found) == 1:
        return AreaMatch(found[0], [])
    if found:
        return AreaMatch(None, found)
    elsewhere = current.filter(Q(code=text) | Q(name__icontains=text))
    return AreaMatch(None, _candidates(elsewhere), other_levels=True)


def _candidates(queryset) -> list[Area]:
    """At most MAX_CANDIDATES areas, coarse levels first, then by name and code."""
    order = {level.id: i for i, level in enumerate(area_index().levels)}
    areas = list(queryset.select_related("level", "parent")[: MAX_CANDIDATES * 5])
    areas.sort(key=lambda a: (order.get(a.level_id, 99), a.name.casefold(), a.code))
    return areas[:MAX_CANDIDATES]
