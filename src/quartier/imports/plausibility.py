"""Plausibility of the values of a checked table: shares, rates' parts, jumps in time.

Each function takes the rows :func:`quartier.imports.values_import.check_table`
will store — ``(row, match, (indicator key, area id, period), value, flag)`` —
and returns German findings; the caller files them as errors or warnings.
"""

from __future__ import annotations

from collections import defaultdict

from quartier.access.rights import visible_ids
from quartier.indicators.models import Indicator, Kind, Value

FAR_FROM_PREVIOUS = 0.5  # a change by more than 50 % of the previous value is flagged


def shares_outside(stored, indicators: dict[str, Indicator]) -> list[str]:
    """Values of percentage indicators outside 0–100 %."""
    return [
        f"{r.code} {indicators[k[0]].name} {k[2]:%Y}: {v:g} %"
        for r, _m, k, v, _f in stored
        if v is not None
        and indicators[k[0]].kind != Kind.COUNT
        and indicators[k[0]].unit.strip() == "%"
        and not 0 <= v <= 100
    ]


def numerators_above(stored, indicators: dict[str, Indicator], user=None) -> list[str]:
    """Numerators above their denominators, for rates whose parts are both imported."""
    values = {(ind, area, period): v for (_r, _m, (ind, area, period), v, _f) in stored}
    above = []
    for name, num, den in _rate_pairs(indicators, user):
        for (key, area, period), v in values.items():
            d = values.get((den, area, period))
            if key == num and v is not None and d is not None and v > d:
                above.append(f"{name}: Zähler {v:g} > Nenner {d:g} ({period:%Y})")
    return above


def _rate_pairs(indicators: dict[str, Indicator], user=None) -> list[tuple[str, str, str]]:
    """(rate name, numerator key, denominator key) of rates whose parts are both imported.

    Only rates ``user`` may see: the report names them (a rate may be restricted
    while its parts are not).
    """
    keys = set(indicators)
    rates = Indicator.objects.filter(
        kind=Kind.RATE, numerator__key__in=keys, denominator__key__in=keys
    ).select_related("numerator", "denominator")
    if user is not None:
        rates = rates.filter(pk__in=visible_ids(user))
    pairs = [(r.name, r.numerator.key, r.denominator.key) for r in rates]
    for ind in indicators.values():
        spec = getattr(ind, "_new_spec", None)
        if spec and spec.numerator in keys and spec.denominator in keys:
            pairs.append((spec.name, spec.numerator, spec.denominator))
    return pairs


def jumps(stored) -> list[str]:
    """Values that differ by more than half from the same area's previous stored value."""
    by_indicator: dict[str, list] = defaultdict(list)
    for row, match, (ind, area, period), v, _f in stored:
        if v is not None:
            by_indicator[ind].append((row, match, area, period, v))
    out = []
    for key, items in by_indicator.items():
        earliest = min(p for *_x, p, _v in items)
        previous = {}
        for area, period, value in (
            Value.objects.filter(
                indicator__key=key,
                period__lt=earliest,
                area_id__in={a for _r, _m, a, _p, _v in items},
            )
            .order_by("period")
            .values_list("area_id", "period", "value")
        ):
            if value is not None:
                previous[area] = (period, value)
        for _row, match, area, _period, v in items:
            if area in previous:
                when, before = previous[area]
                jump = abs(v - before)
                if before and jump > FAR_FROM_PREVIOUS * abs(before) and jump >= 5:
                    out.append(f"{match.code} {key}: {before:g} ({when:%Y}) → {v:g}")
    return out
