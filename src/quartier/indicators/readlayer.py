"""The one read layer: every output gets indicator values from here.

A :class:`Reader` is made once per request (or command-line run, or background
job) and holds the user, **one pinned area index** (taken when the reader is
made), the indicators the user may see and the audit de-duplication. It offers
values (one or several periods), totals for the whole territory, change between
two periods and rank. Order of work, always: **visibility** (may this user see
the indicator at all?), then **aggregation** (:mod:`quartier.indicators.compute`:
values for the requested level, summed/recomputed from finer levels when not
stored there), then **disclosure control** (:mod:`quartier.indicators.disclosure`)
with the same index. Nothing else reads the Value table for output.

:func:`reader` finds the reader of a user: it is kept on the user object, which
Django makes per request (a command-line run keeps its own). The module-level
functions (:func:`area_values`, :func:`series`, …) are shorthands for it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np
from django.db import connection
from django.db.models import F, QuerySet

from quartier.access import audit
from quartier.access.rights import may_see_unsuppressed, visible_ids
from quartier.errors import NotFound, ProtectionError
from quartier.indicators import (
    catalogue,
    comparison,
    datastate,
    disclosure,
    families,
    protected,
    store,
)
from quartier.indicators.compute import (
    AreaValues,
    combine_all,
    compute,
    compute_rows,
    stored_ids,
)
from quartier.indicators.datastate import cached_by_data_version
from quartier.indicators.models import Indicator, Value
from quartier.spatial.index import AreaIndex, area_index
from quartier.spatial.models import Level

# Reads started again when another process wrote the values being read meanwhile.
_ATTEMPTS = 3


def consistent(work):
    """``work()`` under one pinned data state and one set of sums and thresholds.

    Every cache key inside is built from the same stamps (worked out once, not
    per lookup). If values read from the database turn out newer than the pinned
    stamps (another process committed meanwhile), nothing of it was cached and
    ``work`` runs again with fresh stamps; values and their protection masks
    always describe the same data. Nested calls run inside the outer pin.
    """
    if datastate.is_pinned():
        return work()
    for attempt in range(_ATTEMPTS):
        with families.pinned(), datastate.pinned(fresh=attempt > 0) as state:
            result = work()
        if not state.stale:
            return result
    raise ProtectionError("Die Werte ändern sich gerade. / Values are being changed.")


class Reader:
    """The read layer for one user over one request: values always with one area index."""

    def __init__(self, user, index: AreaIndex | None = None) -> None:
        self.user = user
        self.index = index if index is not None else area_index()
        self._visible: list[Indicator] | None = None
        self.catalogue_token = 0  # the catalogue's token the visible indicators were read under
        self._visible_ids: frozenset[int] | None = None
        self._audited: set[tuple] = set()
        self._pending: list = []  # audit entries waiting for the end of the request

    # -- visibility ------------------------------------------------------------------

    def visible_indicators(self) -> QuerySet[Indicator]:
        """All indicators the user may see (the catalogue, search, landing page)."""
        ids = [i.pk for i in self.visible()]
        return Indicator.objects.filter(id__in=ids).select_related(
            "numerator", "denominator", "weight", "owner"
        )

    def visible(self) -> list[Indicator]:
        """The visible indicators as a list (asked once per reader)."""
        if self._visible is None:
            # Copies of the process's catalogue (numerator, denominator, weight and owner
            # loaded), read again only after a write to it: one small query per request.
            known = catalogue.snapshot()
            self._visible = known.instances(visible_ids(self.user, known))
            self.catalogue_token = known.token
        return self._visible

    def get_indicator(self, key: str) -> Indicator:
        """The indicator ``key`` if the user may see it.

        Unknown and invisible indicators raise the same error, so that the name of a
        restricted indicator is never confirmed to someone who may not see it.
        """
        indicator = next((i for i in self.visible() if i.key == key), None)
        if indicator is None:
            raise NotFound(f"Indikator „{key}“ nicht gefunden. / Indicator not found.")
        return indicator

    def sum_parts(self, indicators) -> dict[int, list[Indicator]]:
        """{indicator id: its parts ("Summe aus") the user may see, by name}.

        A part the user may not see is left out: its name stays unknown.
        """
        ids = [i.pk for i in indicators]
        out: dict[int, list[Indicator]] = defaultdict(list)
        parts = self.visible_indicators().filter(sums__in=ids).annotate(total_id=F("sums"))
        for part in parts.order_by("name"):
            out[part.total_id].append(part)
        return dict(out)

    def periods_by_indicator(self) -> dict[int, list[date]]:
        """Periods with data for each visible indicator (rates: both parts present)."""
        by_indicator = stored_periods()
        result = {}
        for ind in self.visible():
            if ind.is_computed:
                periods = set(by_indicator.get(ind.numerator_id, ())) & set(
                    by_indicator.get(ind.denominator_id, ())
                )
            else:
                periods = set(by_indicator.get(ind.id, ()))
            if periods:
                result[ind.id] = sorted(periods)
        return result

    def _ensure_visible(self, indicator: Indicator) -> None:
        if self._visible_ids is None:  # asked for every series: a set, not a scan
            self._visible_ids = frozenset(i.pk for i in self.visible())
        if indicator.pk not in self._visible_ids:
            raise NotFound(f"Indikator „{indicator.key}“ nicht gefunden. / Indicator not found.")

    # -- areas -----------------------------------------------------------------------

    def level(self, key: str) -> Level:
        """The level ``key`` of the pinned index (a QuartierError with 404 if unknown)."""
        return self.index.level(key)

    def root_level(self) -> Level | None:
        """The coarsest level (the whole territory, usually "Stadt")."""
        roots = [level for level in self.index.levels if level.parent_id is None]
        return roots[0] if roots else None

    # -- values ----------------------------------------------------------------------

    def values(
        self, indicator: Indicator, level: Level, period: date, rows: np.ndarray | None = None
    ) -> AreaValues:
        """Values of a visible ``indicator`` at ``level`` on ``period``.

        With ``rows`` (indices into the areas valid on ``period``, e.g. a page of
        features) only those areas' values are returned, and read alone where
        possible. Their protection is still that of the whole level: its masks are
        computed over all areas (secondary suppression depends on all of them) or,
        usually, taken from the memory or the database (:mod:`~.maskstore`).
        """
        if rows is None:
            return self.series(indicator, level, [period])[0]
        self._ensure_visible(indicator)
        return consistent(lambda: self._rows(indicator, level, period, rows))

    def _rows(self, indicator: Indicator, level: Level, period: date, rows) -> AreaValues:
        index = self.index
        if disclosure.prepare(index, indicator, [period]):
            store.stored(index, sorted(disclosure.inputs(indicator)), [period])
        part = compute_rows(index, indicator, level, period, np.asarray(rows, dtype=np.int64))
        result = disclosure.protect(part, index, self.user)
        if result.confidential:
            self._record_confidential(result)
        return result

    def series(self, indicator: Indicator, level: Level, periods: list[date]) -> list[AreaValues]:
        """Values at ``level`` for several periods.

        The one place where values are computed and protected — both with the
        pinned index, so that values and protection masks cover the same areas.
        """
        self._ensure_visible(indicator)
        return consistent(lambda: self._series(indicator, level, periods))

    def _series(self, indicator: Indicator, level: Level, periods: list[date]) -> list[AreaValues]:
        # Kept between requests, keyed by all they are made from (see :mod:`~.protected`).
        unprotected = may_see_unsuppressed(self.user, indicator)
        key = protected.key(self.index, indicator, level, periods, unprotected)
        results = protected.remembered(
            key, indicator, lambda: self._protected(indicator, level, periods)
        )
        for result in results:
            if result.confidential:
                self._record_confidential(result)
        return results

    def _protected(self, indicator: Indicator, level: Level, periods: list[date]) -> list[tuple]:
        """(computed, protected) result per period."""
        index = self.index
        # One query for all periods: the values, and what their protection reads for
        # the periods whose masks are neither cached nor stored (maskstore).
        store.stored(index, sorted(stored_ids(indicator)), list(periods))
        to_protect = disclosure.prepare(index, indicator, list(periods))
        if to_protect:
            store.stored(index, sorted(disclosure.inputs(indicator)), to_protect)
        pairs = []
        for period in periods:
            computed = compute(index, indicator, level, period)
            pairs.append((computed, disclosure.protect(computed, index, self.user)))
        return pairs

    def total(self, indicator: Indicator, period: date) -> float | None:
        """The value for the whole territory (the city)."""
        return self.totals(indicator, [period])[0]

    def totals(self, indicator: Indicator, periods: list[date]) -> list[float | None]:
        """The whole territory's value for each period.

        Uses the root level of the hierarchy; when the root has several areas their
        values are combined by the same rules as any aggregation.
        """
        root = self.root_level()
        if root is None:
            return [None] * len(periods)
        out = []
        for result in self.series(indicator, root, periods):
            if len(result) == 1:
                out.append(float(result.values[0]) if result.shown[0] else None)
            else:
                out.append(combine_all(indicator, result))
        return out

    def change(self, indicator: Indicator, level: Level, period: date, since: date) -> AreaValues:
        """Change from ``since`` to ``period`` per area (rules: :mod:`~.comparison`)."""
        current, before = self.series(indicator, level, [period, since])
        return comparison.change(current, before)

    def total_change(self, indicator: Indicator, period: date, since: date) -> float | None:
        """Change of the whole territory's value (None if either value is not shown)."""
        now, before = self.totals(indicator, [period, since])
        return None if now is None or before is None else now - before

    @staticmethod
    def ranks(result: AreaValues) -> np.ndarray:
        """Rank per area (1 = highest shown value, 0 = not ranked); see :mod:`~.comparison`."""
        return comparison.ranks(result.values, result.status)

    # -- audit -----------------------------------------------------------------------

    def record_once(self, key: tuple, action: str, target: str = "", **details) -> None:
        """Append an audit entry, at most once per reader for ``key``."""
        if key in self._audited:
            return
        self._audited.add(key)
        request = audit.current_request.get()
        if request is None:  # a command-line run: no end of request to wait for
            audit.record(action, target, user=self.user, **details)
            return
        if not self._pending:
            audit.defer_until_response(request, self.flush_audit)
        self._pending.append(audit.entry(action, target, user=self.user, **details))

    def flush_audit(self) -> None:
        """Write the entries collected during the request (called when its response is ready)."""
        pending, self._pending = self._pending, []
        audit.record_all(pending)

    def _record_confidential(self, result: AreaValues) -> None:
        from quartier.access.models import AuditEntry

        self.record_once(
            ("confidential", result.indicator.pk, result.level.id, result.period),
            AuditEntry.Action.CONFIDENTIAL,
            result.indicator.key,
            level=result.level.key,
            period=result.period.isoformat(),
        )


def reader(user) -> Reader:
    """The reader of ``user`` for this request: made on first use, kept on the user object."""
    if user is None:
        return Reader(None)
    found = getattr(user, "_quartier_reader", None)
    if found is None:
        found = Reader(user)
        user._quartier_reader = found  # the user object lives for one request (or CLI run)
    return found


def forget(user) -> None:
    """Drop the reader kept on ``user`` (a long-lived user object that should see new areas)."""
    if user is not None and hasattr(user, "_quartier_reader"):
        del user._quartier_reader


# Shorthands: the reader of ``user`` does the work.


def visible_indicators(user) -> QuerySet[Indicator]:
    """All indicators ``user`` may see (see :meth:`Reader.visible_indicators`)."""
    return reader(user).visible_indicators()


def get_indicator(user, key: str) -> Indicator:
    """The indicator ``key`` if ``user`` may see it (see :meth:`Reader.get_indicator`)."""
    return reader(user).get_indicator(key)


def sum_parts(user, indicators) -> dict[int, list[Indicator]]:
    """The visible parts of sums (see :meth:`Reader.sum_parts`)."""
    return reader(user).sum_parts(indicators)


def periods_by_indicator(user) -> dict[int, list[date]]:
    """Periods with data per visible indicator (see :meth:`Reader.periods_by_indicator`)."""
    return reader(user).periods_by_indicator()


def area_values(
    user, indicator: Indicator, level: Level, period: date, rows: np.ndarray | None = None
) -> AreaValues:
    """Values of a visible ``indicator`` at ``level`` on ``period`` (``rows`` only, if given)."""
    return reader(user).values(indicator, level, period, rows)


def series(user, indicator: Indicator, level: Level, periods: list[date]) -> list[AreaValues]:
    """Values at ``level`` for several periods (see :meth:`Reader.series`)."""
    return reader(user).series(indicator, level, periods)


def total_value(user, indicator: Indicator, period: date) -> float | None:
    """The value for the whole territory (the city)."""
    return reader(user).total(indicator, period)


def total_series(user, indicator: Indicator, periods: list[date]) -> list[float | None]:
    """The whole territory's value for each period."""
    return reader(user).totals(indicator, periods)


@cached_by_data_version
def stored_periods() -> dict[int, list[date]]:
    """Periods with stored values per indicator id (cached until the data change).

    One query that walks the (indicator, period) index from one period to the
    next — a few index lookups per indicator-period instead of reading every
    stored value (a DISTINCT over all values grew with the number of areas).
    """
    value, indicator = Value._meta.db_table, Indicator._meta.db_table
    sql = f"""
        WITH RECURSIVE found(indicator_id, period) AS (
            SELECT i.id, (SELECT v.period FROM {value} v WHERE v.indicator_id = i.id
                          ORDER BY v.period LIMIT 1)
            FROM {indicator} i
            UNION ALL
            SELECT f.indicator_id, (SELECT v.period FROM {value} v
                                    WHERE v.indicator_id = f.indicator_id AND v.period > f.period
                                    ORDER BY v.period LIMIT 1)
            FROM found f WHERE f.period IS NOT NULL
        )
        SELECT indicator_id, period FROM found WHERE period IS NOT NULL
        ORDER BY indicator_id, period
    """
    by_indicator: dict[int, list[date]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for ind_id, period in cursor.fetchall():
            # SQLite gives dates as text from a raw query.
            by_indicator[ind_id].append(
                period if isinstance(period, date) else date.fromisoformat(period)
            )
    return dict(by_indicator)
