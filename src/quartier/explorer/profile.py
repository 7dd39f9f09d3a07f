"""Area profiles (Steckbriefe) and comparisons, built from the read layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from quartier import cost
from quartier.errors import NotFound
from quartier.indicators import comparison, readlayer
from quartier.indicators.models import Indicator, Kind, Topic
from quartier.indicators.status import Status
from quartier.spatial.index import area_index
from quartier.spatial.models import Area, Level


@dataclass
class ProfileRow:
    """One indicator in a profile."""

    indicator: Indicator
    period: date
    value: float | None
    parent_value: float | None
    city_value: float | None
    rank: int | None
    rank_of: int
    series: list[tuple[date, float | None]]
    city_series: list[tuple[date, float | None]]
    change: float | None = None
    change_since: date | None = None
    status: Status = Status.MISSING  # of the area's value
    change_status: Status = Status.MISSING
    confidential: bool = False  # the row shows or ranks values others may not see

    @property
    def suppressed(self) -> bool:
        """The area's value is secret ("geheim")."""
        return self.status == Status.SUPPRESSED

    @property
    def is_count(self) -> bool:
        """Counts are compared by their share of the city, not by a difference."""
        return self.indicator.kind == Kind.COUNT

    @property
    def deviation(self) -> float | None:
        """Value minus the city value (percentage points for rates); None for counts."""
        if self.value is None or self.city_value is None or self.is_count:
            return None
        return self.value - self.city_value

    @property
    def share_of_city(self) -> float | None:
        """For counts: the area's share of the city total in percent."""
        if not self.is_count or self.value is None or not self.city_value:
            return None
        return self.value / self.city_value * 100


@dataclass
class Profile:
    """Everything about one area, grouped by Handlungsfeld."""

    area: Area
    parent: Area | None
    topics: list[tuple[str, list[ProfileRow]]] = field(default_factory=list)

    @property
    def rows(self) -> list[ProfileRow]:
        """All rows in topic order."""
        return [row for _label, rows in self.topics for row in rows]

    @property
    def confidential(self) -> bool:
        """True if some shown value would be hidden from others."""
        return any(row.confidential for row in self.rows)


def find_area(level_key: str, code: str, period: date | None = None) -> Area:
    """The area version of ``level_key``/``code`` (current one unless ``period`` is given)."""
    level = area_index().level(level_key)
    areas = Area.objects.select_related("level", "parent", "parent__level").filter(
        level=level, code=code
    )
    if period is None:
        area = areas.filter(valid_to__isnull=True).first() or areas.order_by("-valid_from").first()
    else:
        area = next((a for a in areas if _valid(a, period)), None)
    if area is None:
        raise NotFound(f"Gebiet {code} gibt es auf der Ebene {level.name} nicht.")
    return area


def find_area_by_text(level_key: str, text: str) -> Area:
    """The current area of a level whose code is ``text``, or whose name matches it uniquely."""
    text = text.strip()
    level = area_index().level(level_key)
    current = Area.objects.select_related("level").filter(level=level, valid_to__isnull=True)
    match = current.filter(code=text).first()
    if match is None:
        by_name = list(current.filter(name__iexact=text)[:2]) or list(
            current.filter(name__icontains=text)[:2]
        )
        if len(by_name) == 1:
            match = by_name[0]
        elif len(by_name) > 1:
            raise NotFound(f"„{text}“ passt auf mehrere Gebiete – bitte den Schlüssel angeben.")
    if match is None:
        raise NotFound(f"Kein Gebiet „{text}“ auf der Ebene {level.name}.")
    return match


def _valid(area: Area, period: date) -> bool:
    return (area.valid_from is None or area.valid_from <= period) and (
        area.valid_to is None or area.valid_to > period
    )


def indicator_row(user, indicator: Indicator, area: Area, periods: list[date]) -> ProfileRow:
    """The profile row of ``indicator`` for ``area`` over ``periods`` (latest last).

    The change is the one from the period before the latest, by the rules of
    :mod:`quartier.indicators.comparison` (as the map's change view).
    """
    reader = readlayer.reader(user)
    level: Level = area.level
    results = reader.series(indicator, level, periods)
    series = [(r.period, r.value_of(area.code)) for r in results]
    latest = results[-1]
    rank, rank_of = comparison.rank_of(latest, area.code)
    parent_value, confidential = None, any(r.confidential for r in results)
    if area.parent is not None:
        parent = reader.values(indicator, area.parent.level, periods[-1])
        parent_value = parent.value_of(area.parent.code)
        confidential = confidential or parent.confidential
    city = reader.totals(indicator, periods)
    row = ProfileRow(
        indicator,
        periods[-1],
        series[-1][1],
        parent_value,
        city[-1],
        rank,
        rank_of,
        series,
        list(zip(periods, city, strict=True)),
        status=latest.status_of(area.code),
        confidential=confidential,
    )
    if len(results) > 1:
        change = comparison.change(latest, results[-2])
        row.change_status = change.status_of(area.code)
        row.change = change.value_of(area.code)
        if row.change_status != Status.MISSING:
            row.change_since = results[-2].period
    return row


def area_profile(user, area: Area, *, key_figures_only: bool = False) -> Profile:
    """The profile of ``area``: every visible indicator with data, grouped by topic."""
    periods = readlayer.periods_by_indicator(user)
    indicators = readlayer.visible_indicators(user).order_by("topic", "sort_order", "name")
    if key_figures_only:
        indicators = [i for i in indicators.filter(key_figure=True) if i.id in periods]
    else:
        indicators = [i for i in indicators if i.id in periods]
    index = readlayer.reader(user).index
    # Every indicator over every period at the area's level (ranks need them all): heavy
    # at block level, so it waits its turn, but its size is the page's, never refused.
    cells = sum(cost.series_cells(index, area.level, periods[i.id]) for i in indicators)
    by_topic: dict[str, list[ProfileRow]] = {}
    with cost.limited(cells):
        # One data state for the whole page: its keys are worked out once, not per row.
        rows = readlayer.consistent(
            lambda: [indicator_row(user, i, area, periods[i.id]) for i in indicators]
        )
    for indicator, row in zip(indicators, rows, strict=True):
        by_topic.setdefault(indicator.topic, []).append(row)
    profile = Profile(area, area.parent)
    profile.topics = [
        (label, by_topic[value]) for value, label in Topic.choices if value in by_topic
    ]
    return profile


@dataclass
class ComparisonRow:
    """One indicator across several areas (latest common period)."""

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
