"""Disclosure control (Geheimhaltung) — the last step of the read layer.

For one indicator and period, all levels are protected together
(:mod:`quartier.core.disclosure`): primary suppression of small counts, then
secondary suppression until no hidden cell can be recomputed from a parent and
its children, at every level up to the whole city. Counts linked by sums
("Summe aus", :mod:`quartier.indicators.families`) are protected together, so
that no hidden cell can be recomputed within an area either. Rates are hidden where their
numerator or denominator is hidden or the denominator is below the indicator's
minimum; weighted means where their weight is.

:func:`protect` applies the result: hidden values become NaN with status
SUPPRESSED — they never leave the read layer. The owning unit's data stewards
and administrators get the unprotected values, marked ``confidential``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import date

import numpy as np

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.access.rights import may_see_unsuppressed
from quartier.indicators import families, suppression
from quartier.indicators.compute import SUPPRESSED
from quartier.indicators.datastate import data_version
from quartier.indicators.models import Indicator, Kind
from quartier.spatial.index import AreaIndex, area_index

_MAX_CACHED = 4000
_lock = threading.Lock()
_cache: OrderedDict[tuple, dict[int, np.ndarray]] = OrderedDict()


def clear() -> None:
    """Forget cached protection masks."""
    with _lock:
        _cache.clear()


def protect(result, user):
    """``result`` as ``user`` may see it: hidden cells removed, or marked confidential."""
    masks = hidden_cells(area_index(), result.indicator, result.period)
    mask = masks.get(result.level.id)
    if mask is None or mask.size != len(result) or not mask.any():
        return result
    if may_see_unsuppressed(user, result.indicator):
        audit.record_once(
            ("confidential", result.indicator.pk, result.level.id, result.period),
            AuditEntry.Action.CONFIDENTIAL,
            result.indicator.key,
            user=user,
            level=result.level.key,
            period=result.period.isoformat(),
        )
        return replace(result, confidential=True)
    values = np.where(mask, np.nan, result.values)
    status = np.where(mask, SUPPRESSED, result.status).astype(np.uint8)
    numerator = None if result.numerator is None else np.where(mask, np.nan, result.numerator)
    denominator = None if result.denominator is None else np.where(mask, np.nan, result.denominator)
    return replace(
        result, values=values, status=status, numerator=numerator, denominator=denominator
    )


def hidden_cells(index: AreaIndex, indicator: Indicator, period: date) -> dict[int, np.ndarray]:
    """{level id: hidden mask over the areas valid on ``period``} for ``indicator`` (cached)."""
    # Thresholds and sums are part of the key: changing them in the admin takes effect.
    version = (period, data_version(), families.relations().version, id(index))
    key = (indicator.pk, *version)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    found = _masks(index, indicator, period)
    with _lock:
        for pk, masks in found.items():
            _cache[(pk, *version)] = masks
        while len(_cache) > _MAX_CACHED:
            _cache.popitem(last=False)
    return found[indicator.pk]


def _masks(index: AreaIndex, indicator: Indicator, period: date) -> dict[int, dict]:
    """{indicator id: masks} for ``indicator`` and the counts protected together with it."""
    if indicator.kind == Kind.COUNT:
        family = families.family_of(indicator.pk)
        if family is None:
            return suppression.count_masks(index, [indicator], (), period)
        members = list(Indicator.objects.filter(pk__in=family.members).order_by("pk"))
        return suppression.count_masks(
            index, members, family.sums, period, widest=family.grand_totals()
        )
    if indicator.is_computed:
        # A rate is hidden where its numerator or denominator is; the numerator is hidden
        # wherever the denominator is below the Mindestnenner (see suppression).
        num = hidden_cells(index, indicator.numerator, period)
        den = hidden_cells(index, indicator.denominator, period)
        return {indicator.pk: _union(num, den)}
    if indicator.weight_id:
        weight = hidden_cells(index, indicator.weight, period)
        return {indicator.pk: suppression.mean_masks(index, indicator, period, weight)}
    return {indicator.pk: {}}


def inputs(indicator: Indicator) -> set[int]:
    """Ids of the indicators whose stored values protecting ``indicator`` reads.

    The read layer fetches them together with the values, in one query for all
    periods asked (a family of 13 counts over eleven years is one read, not 143).
    """
    if indicator.kind == Kind.COUNT:
        family = families.family_of(indicator.pk)
        members = set(family.members) if family else {indicator.pk}
        denominators = Indicator.objects.filter(
            kind=Kind.RATE, numerator_id__in=members, denominator__isnull=False
        ).values_list("denominator_id", flat=True)
        return members | set(denominators)
    if indicator.is_computed:
        return inputs(indicator.numerator) | inputs(indicator.denominator)
    if indicator.weight_id:
        return {indicator.pk} | inputs(indicator.weight)
    return {indicator.pk}


def _union(*mask_sets: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    for masks in mask_sets:
        for level_id, mask in masks.items():
            out[level_id] = out[level_id] | mask if level_id in out else mask.copy()
    return out
