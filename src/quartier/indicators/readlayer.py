"""The one read layer: every output gets indicator values from here.

Order of work, always: **visibility** (may this user see the indicator at all?),
then **aggregation** (:mod:`quartier.indicators.compute`: values for the
requested level, summed/recomputed from finer levels when not stored there),
then **disclosure control** (:mod:`quartier.indicators.disclosure`). Nothing
else reads the Value table for output.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import F, QuerySet

from quartier.access.rights import visible_ids
from quartier.errors import NotFound
from quartier.indicators import disclosure, store
from quartier.indicators.compute import (  # noqa: F401  (re-exported for callers)
    MISSING,
    OK,
    SUPPRESSED,
    AreaValues,
    combine_all,
    compute,
    stored_ids,
)
from quartier.indicators.datastate import cached_by_data_version
from quartier.indicators.models import Indicator, Value
from quartier.spatial.index import area_index
from quartier.spatial.models import Level


def visible_indicators(user) -> QuerySet[Indicator]:
    """All indicators ``user`` may see (the catalogue, search, landing page)."""
    ids = getattr(user, "_quartier_visible_ids", None)
    if ids is None:
        ids = sorted(visible_ids(user))
        if user is not None:
            user._quartier_visible_ids = ids  # the user object lives for one request
    return Indicator.objects.filter(id__in=ids).select_related(
        "numerator", "denominator", "weight", "owner"
    )


def _visible_list(user) -> list[Indicator]:
    """Visible indicators, remembered on the user object (which lives for one request)."""
    cached = getattr(user, "_quartier_visible", None)
    if cached is None:
        cached = list(visible_indicators(user))
        if user is not None:
            user._quartier_visible = cached
    return cached


def sum_parts(user, indicators) -> dict[int, list[Indicator]]:
    """{indicator id: its parts ("Summe aus") that ``user`` may see, by name}.

    A part the user may not see is left out: its name stays unknown.
    """
    ids = [i.pk for i in indicators]
    visible = visible_indicators(user)
    out: dict[int, list[Indicator]] = defaultdict(list)
    for part in visible.filter(sums__in=ids).annotate(total_id=F("sums")).order_by("name"):
        out[part.total_id].append(part)
    return dict(out)


def get_indicator(user, key: str) -> Indicator:
    """The indicator ``key`` if ``user`` may see it.

    Unknown and invisible indicators raise the same error, so that the name of a
    restricted indicator is never confirmed to someone who may not see it.
    """
    indicator = next((i for i in _visible_list(user) if i.key == key), None)
    if indicator is None:
        raise NotFound(f"Indikator „{key}“ nicht gefunden. / Indicator not found.")
    return indicator


def area_values(user, indicator: Indicator, level: Level, period: date) -> AreaValues:
    """Values of a visible ``indicator`` at ``level`` on ``period`` for ``user``."""
    return series(user, indicator, level, [period])[0]


def series(user, indicator: Indicator, level: Level, periods: list[date]) -> list[AreaValues]:
    """Values at ``level`` for several periods (one visibility check, one fetch)."""
    _ensure_visible(user, indicator)
    index = area_index()
    # One query for all periods: the values and what their protection reads.
    store.stored(index, sorted(set(stored_ids(indicator)) | disclosure.inputs(indicator)), periods)
    return [disclosure.protect(compute(index, indicator, level, p), user) for p in periods]


def root_level() -> Level | None:
    """The coarsest level (the whole territory, usually "Stadt")."""
    roots = [level for level in area_index().levels if level.parent_id is None]
    return roots[0] if roots else None


def total_value(user, indicator: Indicator, period: date) -> float | None:
    """The value for the whole territory (the city)."""
    return total_series(user, indicator, [period])[0]


def total_series(user, indicator: Indicator, periods: list[date]) -> list[float | None]:
    """The whole territory's value for each period.

    Uses the root level of the hierarchy; when the root has several areas their
    values are combined by the same rules as any aggregation.
    """
    root = root_level()
    if root is None:
        return [None] * len(periods)
    out = []
    for result in series(user, indicator, root, periods):
        if len(result) == 1:
            out.append(None if result.status[0] != OK else float(result.values[0]))
        else:
            out.append(combine_all(indicator, result))
    return out


def periods_by_indicator(user) -> dict[int, list[date]]:
    """Periods with data for each indicator ``user`` may see (rates: both parts present)."""
    stored_periods = _stored_periods()
    result = {}
    for ind in _visible_list(user):
        if ind.is_computed:
            periods = set(stored_periods.get(ind.numerator_id, ())) & set(
                stored_periods.get(ind.denominator_id, ())
            )
        else:
            periods = set(stored_periods.get(ind.id, ()))
        if periods:
            result[ind.id] = sorted(periods)
    return result


@cached_by_data_version
def _stored_periods() -> dict[int, list[date]]:
    by_indicator: dict[int, list[date]] = defaultdict(list)
    for ind_id, period in Value.objects.values_list("indicator_id", "period").distinct().order_by():
        by_indicator[ind_id].append(period)
    return dict(by_indicator)


def _ensure_visible(user, indicator: Indicator) -> None:
    if all(indicator.pk != i.pk for i in _visible_list(user)):
        raise NotFound(f"Indikator „{indicator.key}“ nicht gefunden. / Indicator not found.")
