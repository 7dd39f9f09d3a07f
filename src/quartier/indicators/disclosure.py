"""Disclosure control (Geheimhaltung) — the last step of the read layer.

For one indicator and period, all levels are protected together: small counts
are hidden, and further cells so that every hidden small count keeps a range an
attacker cannot narrow (:mod:`quartier.indicators.suppression` builds the
tables, :mod:`quartier.core.protection` chooses the cells). Counts linked by sums
("Summe aus", :mod:`quartier.indicators.families`) are one table. Rates are
hidden where their numerator or denominator is (the numerator is hidden where
the denominator is below the Mindestnenner); weighted means are protected
through their products.

:func:`protect` applies the result: hidden values become NaN with status
SUPPRESSED — they never leave the read layer. The owning unit's data stewards
and administrators get the unprotected values, each hidden one marked
CONFIDENTIAL. Values and masks must come from the same :class:`AreaIndex`;
any mismatch raises :class:`~quartier.errors.ProtectionError` (fail closed).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import date

import numpy as np

from quartier.access.rights import may_see_unsuppressed
from quartier.core import protection as core_protection
from quartier.errors import ProtectionError
from quartier.indicators import datastate, families, maskstore, protected, suppression
from quartier.indicators.compute import AreaValues
from quartier.indicators.models import Indicator, Kind
from quartier.indicators.status import Status
from quartier.spatial.index import AreaIndex

log = logging.getLogger(__name__)
_MAX_CACHED = 4000
_lock = threading.Lock()
_cache: OrderedDict[tuple, dict[int, np.ndarray]] = OrderedDict()


def clear(stored: bool = True) -> None:
    """Forget cached protection masks (and those stored in the database, unless not ``stored``)."""
    with _lock:
        _cache.clear()
    protected.forget()  # the read layer's series protected with them
    if stored:
        maskstore.forget()


def protect(result: AreaValues, index: AreaIndex, user) -> AreaValues:
    """``result`` as ``user`` may see it: hidden cells removed, or marked CONFIDENTIAL.

    ``index`` must be the index ``result`` was computed with; the masks are
    computed with it too. Whatever does not fit together raises — values are
    never passed on unprotected.
    """
    if result.index_version != index.version:
        _fail(result, f"values from index {result.index_version}, masks from {index.version}")
    masks = hidden_cells(index, result.indicator, result.period)
    mask = masks.get(result.level.id)
    if result.indicator.confidential:
        # An analysis result computed from unprotected values: only those who may see its
        # inputs unprotected see it at all (access.rights), and every value is vertraulich.
        status = np.where(result.status == Status.OK, Status.CONFIDENTIAL, result.status)
        return replace(result, status=status.astype(np.uint8))
    if mask is None:
        # Legitimate only where nothing is shown (e.g. a level finer than any data)
        # or the indicator has no hidden cell at all.
        if result.shown.any() and any(m.any() for m in masks.values()):
            _fail(result, "no mask for a level with shown values")
        return result
    if result.page_rows is not None:  # some areas only (a page): cut the level's mask
        valid = index.valid_positions(result.level, result.period).size
        if mask.size != valid or (result.page_rows.size and result.page_rows.max() >= valid):
            _fail(result, f"mask of {mask.size} cells for {valid} areas")
        mask = mask[result.page_rows]
    if mask.size != len(result):
        _fail(result, f"mask of {mask.size} cells for {len(result)} areas")
    if not mask.any():
        return result
    if may_see_unsuppressed(user, result.indicator):
        status = np.where(mask & (result.status == Status.OK), Status.CONFIDENTIAL, result.status)
        return replace(result, status=status.astype(np.uint8))
    values = np.where(mask, np.nan, result.values)
    status = np.where(mask, Status.SUPPRESSED, result.status).astype(np.uint8)
    numerator = None if result.numerator is None else np.where(mask, np.nan, result.numerator)
    denominator = None if result.denominator is None else np.where(mask, np.nan, result.denominator)
    return replace(
        result, values=values, status=status, numerator=numerator, denominator=denominator
    )


def _fail(result: AreaValues, detail: str) -> None:
    log.error(
        "disclosure control failed closed for %s/%s/%s: %s",
        result.indicator.key,
        result.level.key,
        result.period,
        detail,
    )
    raise ProtectionError(detail)


def hidden_cells(index: AreaIndex, indicator: Indicator, period: date) -> dict[int, np.ndarray]:
    """{level id: hidden mask over the areas valid on ``period``} for ``indicator`` (cached).

    Counts' masks are also kept in the database (:mod:`~.maskstore`), so that a
    family is protected once per data state, not once per process.
    """
    if not datastate.is_pinned():
        with families.pinned(), datastate.pinned():
            return hidden_cells(index, indicator, period)
    return _hidden_cells(index, indicator, period, datastate.current())


def _hidden_cells(index: AreaIndex, indicator: Indicator, period: date, data) -> dict:
    key = _key(index, indicator, period)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    state = maskstore.state(index, indicator) if stored_in_database(indicator) else None
    if state is not None:
        stored = maskstore.load([(indicator.pk, period)], {indicator.pk: state})
        if stored:
            _remember(index, period, indicator, {indicator.pk: stored[indicator.pk, period]})
            return stored[indicator.pk, period]
    try:
        found = _masks(index, indicator, period)
    except core_protection.ProtectionError as exc:  # no move found, or one failed its check
        log.error("disclosure control failed closed for %s/%s: %s", indicator.key, period, exc)
        raise ProtectionError(str(exc)) from exc
    if data.stale:  # values read were newer than the stamps in the key: not kept
        return found[indicator.pk]
    _remember(index, period, indicator, found)
    if state is not None:
        maskstore.save(found, period, state)
    return found[indicator.pk]


def prepare(index: AreaIndex, indicator: Indicator, periods: list[date]) -> list[date]:
    """Make the masks of ``periods`` ready where they are stored; the periods left to compute.

    The read layer then reads the values protection needs (a whole family of
    counts) only for those periods: a cold process with stored masks reads the
    indicator's own values and a few bytes per period.
    """
    keys = {p: _key(index, indicator, p) for p in periods}
    with _lock:
        wanted = [p for p in periods if keys[p] not in _cache]
    if not wanted:
        return []
    if indicator.is_computed:  # a rate's masks are the union of its parts' (cheap)
        missing = set(prepare(index, indicator.numerator, wanted))
        missing |= set(prepare(index, indicator.denominator, wanted))
        return sorted(missing)
    if stored_in_database(indicator):
        state = {indicator.pk: maskstore.state(index, indicator)}
        stored = maskstore.load([(indicator.pk, p) for p in wanted], state)
        for (_pk, period), masks in stored.items():
            _remember(index, period, indicator, {indicator.pk: masks})
        return [p for p in wanted if (indicator.pk, p) not in stored]
    return wanted


def prefetch(index: AreaIndex, indicators: list[Indicator], period: date) -> None:
    """Read the stored masks of several indicators (rates: of their parts) in one query.

    A page of features shows dozens of indicators; one read of their masks
    instead of one per indicator.
    """
    wanted: dict[int, Indicator] = {}
    for indicator in indicators:
        for part in (
            (indicator.numerator, indicator.denominator) if indicator.is_computed else (indicator,)
        ):
            if part is not None and stored_in_database(part):
                wanted[part.pk] = part
    keys = {pk: _key(index, part, period) for pk, part in wanted.items()}
    with _lock:
        keys = [(pk, period) for pk in wanted if keys[pk] not in _cache]
    if keys:
        states = {pk: maskstore.state(index, wanted[pk]) for pk, _p in keys}
        for (pk, day), masks in maskstore.load(keys, states).items():
            _remember(index, day, wanted[pk], {pk: masks})


def stored_in_database(indicator: Indicator) -> bool:
    """Counts (protected as families) and weighted means: the masks worth keeping."""
    return indicator.kind == Kind.COUNT or (not indicator.is_computed and bool(indicator.weight_id))


def depends_on(indicator: Indicator) -> tuple:
    """The stamps of everything ``indicator``'s protection reads (:func:`inputs`), per state.

    A family of counts linked by sums is protected as one table, so each member's
    masks depend on every member's values (and the denominators of rates with a
    Mindestnenner); a rate's on its parts'; a mean's on its weight's. An import
    into any of them is a new key, an import into anything else is not.
    """
    state = datastate.current()
    version = families.relations().version
    return state.remember(
        ("protection", indicator.pk, version), lambda: state.of(inputs(indicator))
    )


def _key(index: AreaIndex, indicator: Indicator, period: date) -> tuple:
    # Thresholds and sums are part of the key: changing them in the admin takes effect.
    version = families.relations().version
    return (indicator.pk, period, depends_on(indicator), version, index.version)


def _remember(index: AreaIndex, period: date, indicator: Indicator, found: dict) -> None:
    """Keep masks found for ``indicator``: its own and its family's (same inputs, same stamps)."""
    version = families.relations().version
    deps = depends_on(indicator)
    keys = {pk: (pk, period, deps, version, index.version) for pk in found}
    with _lock:
        for pk, masks in found.items():
            _cache[keys[pk]] = masks
        while len(_cache) > _MAX_CACHED:
            _cache.popitem(last=False)


def _masks(index: AreaIndex, indicator: Indicator, period: date) -> dict[int, dict]:
    """{indicator id: masks} for ``indicator`` and the counts protected together with it."""
    if indicator.kind == Kind.COUNT:
        family = families.family_of(indicator.pk)
        if family is None:
            return suppression.count_masks(index, [indicator], (), period)
        members = families.relations().members(family)
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
        relations = families.relations()
        family = relations.by_indicator.get(indicator.pk)
        members = set(family.members) if family else {indicator.pk}
        bases = relations.small_bases
        return members | {d for m in members for d, _minimum in bases.get(m, ())}
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
