"""Plausibility of the values of a checked table: shares, rates' parts, jumps in time.

Each function takes the values :func:`quartier.imports.tablecheck.check_table` will
store (:class:`~quartier.imports.stored.StoredValues`, columns in row order) and returns
German findings as a :class:`~quartier.imports.longvalues.Listing`; the caller files them
as errors or warnings.
"""

from __future__ import annotations

import numpy as np

from quartier.access.rights import visible_ids
from quartier.imports.longvalues import Listing
from quartier.indicators.models import Indicator, Kind, Value

FAR_FROM_PREVIOUS = 0.5  # a change by more than 50 % of the previous value is flagged


def shares_outside(stored, indicators: dict[str, Indicator]) -> Listing:
    """Values of percentage indicators outside 0–100 %."""
    v = stored.values
    share = np.array(
        [
            indicators[k].kind != Kind.COUNT and indicators[k].unit.strip() == "%"
            for k in v.indicators
        ]
        + [False],
        bool,
    )
    with np.errstate(invalid="ignore"):
        outside = share[v.indicator] & ~np.isnan(v.value) & ~((v.value >= 0) & (v.value <= 100))
    found = Listing()
    where = np.flatnonzero(outside)
    for i in where[: found.limit]:
        name, period = indicators[v.indicators[v.indicator[i]]].name, v.periods[v.period[i]]
        found.items.append(f"{stored.code(i)} {name} {period:%Y}: {float(v.value[i]):g} %")
    found.count = len(where)
    return found


def numerators_above(stored, indicators: dict[str, Indicator], user=None) -> Listing:
    """Numerators above their denominators, for rates whose parts are both imported."""
    found = Listing()
    if not len(stored):
        return found
    v = stored.values
    key, distinct, first, last, stride = stored.keys()
    number = {k: i for i, k in enumerate(v.indicators)}
    for name, num, den in _rate_pairs(indicators, user):
        if num not in number or den not in number:
            continue
        mine = distinct[distinct // stride == number[num]]
        partner = mine + (number[den] - number[num]) * stride
        at = np.minimum(np.searchsorted(distinct, partner), len(distinct) - 1)
        has = distinct[at] == partner
        position = np.searchsorted(distinct, mine)
        numerator = v.value[last[position]]
        denominator = np.where(has, v.value[last[at]], np.nan)
        with np.errstate(invalid="ignore"):
            above = has & (numerator > denominator)
        flagged = position[above][np.argsort(first[position[above]], kind="stable")]
        for p in flagged[: found.limit - len(found.items)]:
            i, j = last[p], last[at[np.searchsorted(position, p)]]
            period = v.periods[v.period[i]]
            found.items.append(
                f"{name}: Zähler {float(v.value[i]):g} > Nenner {float(v.value[j]):g} ({period:%Y})"
            )
        found.count += len(flagged)
    return found


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


def jumps(stored) -> Listing:
    """Values that differ by more than half from the same area's previous stored value."""
    v = stored.values
    found = Listing()
    has_value = np.flatnonzero(~np.isnan(v.value))
    if not len(has_value):
        return found
    numbers, first = np.unique(v.indicator[has_value], return_index=True)
    for number in numbers[np.argsort(first)]:  # indicators in the order the table names them
        items = has_value[v.indicator[has_value] == number]
        key = v.indicators[number]
        earliest = min(v.periods[p] for p in np.unique(v.period[items]))
        areas = np.unique(stored.area[items])
        when, before = _previous(key, earliest, areas)
        position = np.searchsorted(areas, stored.area[items])
        prior = before[position]
        jump = np.abs(v.value[items] - prior)
        with np.errstate(invalid="ignore"):
            far = (
                ~np.isnan(prior)
                & (prior != 0)
                & (jump > FAR_FROM_PREVIOUS * np.abs(prior))
                & (jump >= 5)
            )
        flagged = np.flatnonzero(far)
        for n in flagged[: found.limit - len(found.items)]:
            i, area = items[n], int(stored.area[items[n]])
            before, at = float(prior[n]), when[position[n]]
            found.items.append(
                f"{stored.matches.areas[area].code} {key}: {before:g} ({at:%Y}) → "
                f"{float(v.value[i]):g}"
            )
        found.count += len(flagged)
    return found


def _previous(key: str, earliest, areas: np.ndarray) -> tuple[list, np.ndarray]:
    """Each area's latest stored value of ``key`` before ``earliest`` (NaN: none), and when."""
    when: list = [None] * len(areas)
    before = np.full(len(areas), np.nan)
    query = (
        Value.objects.filter(
            indicator__key=key, period__lt=earliest, area_id__in=[int(a) for a in areas]
        )
        .exclude(value=None)
        .order_by("period")
        .values_list("area_id", "period", "value")
    )
    for area, period, value in query.iterator(chunk_size=20_000):
        at = int(np.searchsorted(areas, area))
        when[at], before[at] = period, value
    return when, before
