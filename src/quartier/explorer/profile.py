"""Area profiles (Steckbriefe), built from the read layer."""

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
    statuses: list[Status] = field(default_factory=list)  # of ``series``, period by period
    # (period, value, status) of the parent area, for its time series; empty without parent.
    parent_series: list[tuple[date, float | None, Status]] = field(default_factory=list)

    @property
    def suppressed(self) -> bool:
        """The area's value is secret ("geheim")."""
        return self.status == Status.SUPPRESSED

    @property
    def series_table(self) -> list[tuple]:
        """Per period: (period, (value, status) of the area, of the parent or None, city value).

        The numbers of the row's time series chart, as its table.
        """
        parents = {p: (v, s) for p, v, s in self.parent_series}
        return [
            (p, (v, s), parents.get(p), c)
            for (p, v), s, (_p, c) in zip(self.series, self.statuses, self.city_series, strict=True)
        ]

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

    @property
    def start_periods(self) -> list[date]:
        """Every period a change can start from (all periods but the latest), oldest first."""
        periods = {p for row in self.rows for p, _v in row.series}
        return sorted(periods)[:-1]


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


def _valid(area: Area, period: date) -> bool:
    return (area.valid_from is None or area.valid_from <= period) and (
        area.valid_to is None or area.valid_to > period
    )


# How a profile's change is measured: since the period before the latest (map panel, API),
# since the earliest period it can be measured from, or since a chosen period.
PREVIOUS = "previous"
EARLIEST = "earliest"


def indicator_row(
    user, indicator: Indicator, area: Area, periods: list[date], since: date | str = PREVIOUS
) -> ProfileRow:
    """The profile row of ``indicator`` for ``area`` over ``periods`` (latest last).

    The change is computed by the rules of :mod:`quartier.indicators.comparison` (as the
    map's change view); ``since`` says from when: ``PREVIOUS`` (the period before the
    latest), ``EARLIEST`` (the first period the change can be measured from, i.e. the
    same area version with a value) or a date (the first such period on or after it).
    """
    reader = readlayer.reader(user)
    level: Level = area.level
    results = reader.series(indicator, level, periods)
    series = [(r.period, r.value_of(area.code)) for r in results]
    latest = results[-1]
    rank, rank_of = comparison.rank_of(latest, area.code)
    parent_value, confidential = None, any(r.confidential for r in results)
    parent_series = []
    if area.parent is not None:
        code = area.parent.code
        parents = reader.series(indicator, area.parent.level, periods)
        parent_series = [(r.period, r.value_of(code), r.status_of(code)) for r in parents]
        parent_value = parent_series[-1][1]
        confidential = confidential or any(r.confidential for r in parents)
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
        statuses=[r.status_of(area.code) for r in results],
        parent_series=parent_series,
    )
    _set_change(row, results, area.code, since)
    return row


def _set_change(row: ProfileRow, results, code: str, since: date | str) -> None:
    """Fill the row's change from the first usable start period ``since`` allows."""
    latest = results[-1]
    if since == PREVIOUS:
        starts = results[-2:-1]
    elif since == EARLIEST:
        starts = results[:-1]
    else:
        starts = [r for r in results[:-1] if r.period >= since]
    for start in starts:
        row.change, row.change_status = comparison.change_of(latest, start, code)
        if row.change_status != Status.MISSING:
            row.change_since = start.period
            return


def area_profile(
    user, area: Area, *, key_figures_only: bool = False, since: date | str = PREVIOUS
) -> Profile:
    """The profile of ``area``: every visible indicator with data, grouped by topic.

    ``since`` chooses the start of each row's change (see :func:`indicator_row`).
    """
    reader = readlayer.reader(user)
    periods = reader.periods_by_indicator()
    # The reader's indicators (loaded once per request) in the database's order: only
    # their ids are asked for again, not a second copy of the whole catalogue.
    by_id = {i.pk: i for i in reader.visible()}
    ordered = Indicator.objects.filter(id__in=sorted(by_id)).order_by("topic", "sort_order", "name")
    if key_figures_only:
        ordered = ordered.filter(key_figure=True)
    indicators = [by_id[pk] for pk in ordered.values_list("id", flat=True) if pk in periods]
    index = reader.index
    # Every indicator over every period at the area's level (ranks need them all): heavy
    # at block level, so it waits its turn, but its size is the page's, never refused.
    cells = sum(cost.series_cells(index, area.level, periods[i.id]) for i in indicators)
    by_topic: dict[str, list[ProfileRow]] = {}
    with cost.limited(cells):
        # One data state for the whole page: its keys are worked out once, not per row.
        rows = readlayer.consistent(
            lambda: [indicator_row(user, i, area, periods[i.id], since) for i in indicators]
        )
    for indicator, row in zip(indicators, rows, strict=True):
        by_topic.setdefault(indicator.topic, []).append(row)
    profile = Profile(area, area.parent)
    profile.topics = [
        (label, by_topic[value]) for value, label in Topic.choices if value in by_topic
    ]
    return profile
