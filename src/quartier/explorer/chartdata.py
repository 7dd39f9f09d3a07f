"""Chart data from what the pages read (profile rows, comparison rows, a map view).

Everything here comes from the one read layer, already with the user's visibility
and disclosure control: a secret value is ``None`` with its status, so a chart
can only mark the gap, never draw it.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import get_language, gettext

from quartier.access.territories import whole_label
from quartier.charts.data import (
    Bar,
    BarChart,
    Distribution,
    Point,
    Series,
    Texts,
    TimeSeriesChart,
)
from quartier.explorer.compare import ComparisonRow
from quartier.explorer.profile import ProfileRow
from quartier.indicators.compute import AreaValues
from quartier.indicators.models import Indicator, Kind
from quartier.indicators.status import Status
from quartier.spatial.models import Area


def texts(indicator: Indicator, note: str = "") -> Texts:
    """The chart's words and number format in the active language."""
    language = "en" if (get_language() or "de").startswith("en") else "de"
    return Texts(
        language=language,
        unit=indicator.unit or "",
        secret=gettext("geheim"),
        missing=gettext("fehlt"),
        confidential=gettext("VERTRAULICH"),
        city=whole_label(),
        areas=gettext("Anzahl Gebiete"),
        gap_note=note,
    )


def point(period: date, value: float | None, status: Status) -> Point:
    """A chart point: the value only when the user sees it (else None with the status)."""
    return Point(period, value if status.shown else None, status.word)


def chartable(indicator: Indicator) -> bool:
    """Numbers can be charted; types and classes (category codes) cannot."""
    return not getattr(indicator, "categories", None)


def city_in_chart(indicator: Indicator) -> bool:
    """Counts of an area and of the city differ by orders of magnitude: no shared axis."""
    return indicator.kind != Kind.COUNT


def time_series(row: ProfileRow, area: Area) -> TimeSeriesChart:
    """The time series of ``row``: the area, its parent and (not for counts) the city."""
    lines = [Series(area.name, "area", _points(row.series, row.statuses))]
    if city_in_chart(row.indicator):
        if row.parent_series and area.parent is not None:
            parent = tuple(point(p, v, s) for p, v, s in row.parent_series)
            lines.append(Series(area.parent.name, "parent", parent))
        city = [Status.OK if v is not None else Status.MISSING for _p, v in row.city_series]
        lines.append(Series(whole_label(), "city", _points(row.city_series, city)))
    return TimeSeriesChart(
        tuple(lines),
        texts(row.indicator),
        row.indicator.decimals,
        marked=row.confidential,
    )


def _points(series, statuses) -> tuple[Point, ...]:
    return tuple(point(p, v, s) for (p, v), s in zip(series, statuses, strict=True))


def bars(row: ComparisonRow, areas: list[Area], city: bool = True) -> BarChart:
    """Bars of the compared areas and (not for counts) the city, for one indicator."""
    items = [
        Bar(area.name, value if status.shown else None, status.word)
        for area, (value, status) in zip(areas, row.cells, strict=True)
    ]
    if city and city_in_chart(row.indicator):
        value = row.city_value
        items.append(Bar(whole_label(), value, "ok" if value is not None else "missing", True))
    return BarChart(tuple(items), texts(row.indicator), row.indicator.decimals)


def distribution(
    result: AreaValues, city_value: float | None, marked: Area | None = None
) -> Distribution:
    """The shown values of a level, ``marked`` (if given and shown) as a line."""
    shown = [v for _code, _name, v, _status in result.rows() if v is not None]
    hidden = len(result) - len(shown)
    note = ""
    if hidden:
        note = gettext("%(count)s Gebiete ohne Wert oder geheim") % {"count": hidden}
    value = result.value_of(marked.code) if marked is not None else None
    return Distribution(
        tuple(shown),
        marked.name if marked is not None and value is not None else "",
        value,
        city_value if city_in_chart(result.indicator) else None,
        hidden,
        texts(result.indicator, note),
        result.indicator.decimals,
        result.confidential,
    )
