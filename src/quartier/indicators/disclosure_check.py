"""Checking disclosure control as an attacker would: ``quartier geheimhaltung pruefen``.

For an audience (a user, or the public), everything that audience can see is
collected through the read layer — every visible count at every level, the
declared sums between them, the means with their weights — and handed to the
linear-programming attacker of :mod:`quartier.core.audit`, which computes the
range each hidden cell could have. A finding is a cell whose range is too narrow:

* a count hidden because it is small (1 … Mindestfallzahl − 1): the range must
  reach the Mindestfallzahl and be at least Mindestfallzahl − 1 wide;
* the numerator of a rate hidden because the denominator is below the
  Mindestnenner: the range must be at least Mindestfallzahl − 1 wide;
* a weighted mean over fewer units than its Mindestnenner: its product (mean ×
  weight) must not be excluded from being twice its value.

The attacker knows which hidden cells are not zero (a floor of 1 there) —
stronger than anyone outside can be, since zeros may be hidden too. Counts of
the family the audience may not see count as unknown columns. The true values
come from the read layer as ``reader`` (an account with full rights), so the
check itself is recorded in the audit log as a view of unprotected values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from quartier.core import audit as lp
from quartier.core.protection import Table
from quartier.errors import QuartierError
from quartier.indicators import families, readlayer, status
from quartier.indicators.models import Indicator, Kind
from quartier.indicators.status import Status
from quartier.indicators.suppression import Rows, build_rows, levels_of
from quartier.spatial.index import area_index


@dataclass(frozen=True)
class Finding:
    """A hidden cell whose range an attacker can narrow too far."""

    indicator: str
    level: str
    code: str
    period: date
    value: float
    low: float
    high: float
    rule: str  # "klein", "Mindestnenner", "Mittelwert"


@dataclass
class Report:
    """What a check looked at and what it found."""

    findings: list[Finding] = field(default_factory=list)
    tables: int = 0
    cells: int = 0  # hidden cells with a requirement, checked
    seconds: float = 0.0


def check(audience, reader, keys=None, periods=None) -> Report:
    """Attack what ``audience`` sees; ``keys`` and ``periods`` narrow the check (None = all)."""
    started = time.perf_counter()
    visible = {i.pk: i for i in readlayer.visible_indicators(audience)}
    by_key = {i.key: i for i in visible.values()}
    unknown = [k for k in keys or [] if k not in by_key]
    if unknown:
        raise QuartierError(
            "Unbekannter oder für diese Zielgruppe nicht sichtbarer Indikator: "
            f"{', '.join(unknown)}. / Unknown indicator."
        )
    chosen = [by_key[k] for k in keys] if keys else list(visible.values())
    all_periods = readlayer.periods_by_indicator(reader)
    report = Report()
    for table in _tables(chosen, visible):
        wanted = sorted({p for i in table.indicators for p in all_periods.get(i.pk, [])})
        for period in wanted if periods is None else [p for p in periods if p in wanted]:
            table.check(audience, reader, period, report)
    report.seconds = time.perf_counter() - started
    return report


def _tables(chosen, visible: dict) -> list:
    """The tables to attack: a family of counts, a single count, or a weighted mean."""
    out, seen = [], set()
    for indicator in chosen:
        if indicator.kind == Kind.COUNT:
            family = families.family_of(indicator.pk)
            members = family.members if family else (indicator.pk,)
            if members in seen:
                continue
            seen.add(members)
            rows = Indicator.objects.filter(pk__in=members).order_by("pk")
            out.append(_Counts(list(rows), family.sums if family else (), set(visible)))
        elif indicator.weight_id and indicator.weight_id in visible:
            out.append(_Mean(indicator))
    return out


def _published(user, indicator, rows: Rows, period: date) -> tuple[np.ndarray, np.ndarray]:
    """(shown value or NaN, has a value) per row, as ``user`` gets them from the read layer."""
    shown = np.full(rows.parent.size, np.nan)
    present = np.zeros(rows.parent.size, dtype=bool)
    for level in rows.levels:
        result = readlayer.area_values(user, indicator, level, period)
        part = rows.slice(level.id)
        shown[part] = np.where(status.shown(result.status), result.values, np.nan)
        present[part] = result.status != Status.MISSING
    for row, members in rows.tops:  # a total of several top areas is not published as such
        present[row] = present[members].any()
    return shown, present


def _attack(table: Table, shown, present, truth, targets, need_high, need_width) -> list:
    """Findings (flat cell, low, high) for the target cells of one table."""
    flat = lambda a: np.asarray(a).T.ravel()  # noqa: E731  (column-major cells)
    hidden = flat(present) & np.isnan(flat(shown))
    floor = np.where(flat(truth) >= 1, 1.0, 0.0)
    system = lp.system(flat(shown), flat(present), table.groups(), floor)
    cells = np.flatnonzero(flat(targets) & hidden)
    found = lp.audit(system, flat(truth), cells, flat(need_high)[cells], flat(need_width)[cells])
    return [(f.cell, f.low, f.high) for f in found], cells.size


@dataclass
class _Counts:
    """A family of counts linked by sums (or one count), attacked as one table."""

    indicators: list
    sums: tuple
    visible: set

    def check(self, audience, reader, period: date, report: Report) -> None:
        index = area_index()
        levels = {lv.id: lv for i in self.indicators for lv in levels_of(index, i, period)}
        if not levels:
            return
        rows = build_rows(index, list(levels.values()), period)
        shape = (rows.parent.size, len(self.indicators))
        shown, present, truth = np.full(shape, np.nan), np.zeros(shape, bool), np.zeros(shape)
        for j, indicator in enumerate(self.indicators):
            truth[:, j], present[:, j] = _published(reader, indicator, rows, period)
            if indicator.pk in self.visible:  # a count the audience may not see is unknown
                shown[:, j], _ = _published(audience, indicator, rows, period)
        truth = np.nan_to_num(truth)
        rows.add_tops(truth)  # the attacker knows totals add up; here: their true value
        minimum = np.array([i.min_count for i in self.indicators], dtype=np.float64)
        small = (truth >= 1) & (truth < minimum)
        forced = _forced(self.indicators, rows, reader, period) & ~small
        column = {i.pk: j for j, i in enumerate(self.indicators)}
        table = Table(
            rows.parent,
            len(self.indicators),
            tuple((column[t], tuple(column[p] for p in parts)) for t, parts in self.sums),
        )
        need_high = np.where(small, minimum, truth)
        # A numerator hidden for its rate's Mindestnenner: never exact (even for 1).
        need_width = np.where(small, minimum - 1, np.maximum(minimum - 1, 1))
        found, checked = _attack(
            table, shown, present, truth, small | forced, need_high, need_width
        )
        report.tables += 1
        report.cells += checked
        for cell, low, high in found:
            row, j = cell % rows.parent.size, cell // rows.parent.size
            report.findings.append(
                _finding(
                    rows,
                    row,
                    self.indicators[j],
                    period,
                    truth[row, j],
                    low,
                    high,
                    "klein" if small[row, j] else "Mindestnenner",
                )
            )


def _forced(indicators, rows: Rows, reader, period: date) -> np.ndarray:
    """Numerator cells of rates whose denominator is below the Mindestnenner there."""
    out = np.zeros((rows.parent.size, len(indicators)), dtype=bool)
    column = {i.pk: j for j, i in enumerate(indicators)}
    for rate in Indicator.objects.filter(
        kind=Kind.RATE, numerator_id__in=column, denominator__isnull=False, min_denominator__gt=0
    ).select_related("denominator"):
        denominator, _ = _published(reader, rate.denominator, rows, period)
        with np.errstate(invalid="ignore"):
            small = (denominator >= 1) & (denominator < rate.min_denominator)
        out[:, column[rate.numerator_id]] |= small
    return out


@dataclass
class _Mean:
    """A weighted mean: its products (mean × weight) add up like counts."""

    indicator: Indicator

    @property
    def indicators(self) -> list:
        """The indicators whose periods this table has."""
        return [self.indicator]

    def check(self, audience, reader, period: date, report: Report) -> None:
        index = area_index()
        levels = levels_of(index, self.indicator, period)
        if not levels:
            return
        rows = build_rows(index, levels, period)
        mean, present = _published(reader, self.indicator, rows, period)
        weight, _ = _published(reader, self.indicator.weight, rows, period)
        shown_mean, _ = _published(audience, self.indicator, rows, period)
        shown_weight, _ = _published(audience, self.indicator.weight, rows, period)
        truth = np.nan_to_num(mean * weight)
        rows.add_tops(truth)
        shown = shown_mean * shown_weight  # NaN where either is hidden
        with np.errstate(invalid="ignore"):
            targets = present & (weight >= 1) & (weight < self.indicator.min_denominator)
        found, checked = _attack(
            Table(rows.parent, 1),
            shown[:, None],
            present[:, None],
            truth[:, None],
            targets[:, None],
            2 * truth[:, None],
            truth[:, None],
        )
        report.tables += 1
        report.cells += checked
        for cell, low, high in found:
            report.findings.append(
                _finding(
                    rows,
                    cell,
                    self.indicator,
                    period,
                    mean[cell],
                    low / weight[cell],
                    high / weight[cell],
                    "Mittelwert",
                )
            )


def _finding(rows: Rows, row: int, indicator, period, value, low, high, rule) -> Finding:
    """Name the cell of ``row`` by level and area code."""
    index = area_index()
    for level in rows.levels:
        part = rows.slice(level.id)
        if part.start <= row < part.stop:
            codes, _names = index.valid_labels(level, period)
            return Finding(
                indicator.key,
                level.key,
                codes[row - part.start],
                period,
                float(value),
                float(low),
                float(high),
                rule,
            )
    return Finding(indicator.key, "gesamt", "", period, float(value), float(low), float(high), rule)
