"""Change between two periods and rank — computed here only, for every output.

The map's change view, the table, the profile, the side panel, the API and the
analyses all use these two functions (through :class:`~quartier.indicators.readlayer.Reader`),
so the same area and periods give the same change and rank everywhere.

**Change**: current − earlier value of the same area *version* (matched by area
id). An area whose boundary changed in between has no change: its two values
describe different territories. A change is shown only where both values are
shown; it is hidden (SUPPRESSED) where either value is hidden — it would give
the hidden value away — and CONFIDENTIAL where either value is.

**Rank**: 1 = highest shown value; equal values share the best rank (1, 2, 2, 4);
only shown values are ranked.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from quartier.core.hierarchy import positions_of
from quartier.indicators import protected
from quartier.indicators.compute import AreaValues
from quartier.indicators.status import Status, shown


def change(current: AreaValues, before: AreaValues) -> AreaValues:
    """``current`` − ``before`` per area of ``current``, with the status of each change."""
    where = positions_of(current.area_ids, before.area_ids)
    found = where >= 0
    safe = np.clip(where, 0, None)
    old_values = np.where(found, before.values[safe], np.nan)
    old_status = np.where(found, before.status[safe], Status.MISSING)
    new_status = current.status
    both = shown(new_status) & shown(old_status)
    status = np.full(len(current), Status.MISSING, dtype=np.uint8)
    secret = (new_status == Status.CONFIDENTIAL) | (old_status == Status.CONFIDENTIAL)
    status[both] = np.where(secret, Status.CONFIDENTIAL, Status.OK)[both]
    status[(new_status == Status.SUPPRESSED) | (old_status == Status.SUPPRESSED)] = (
        Status.SUPPRESSED
    )
    values = np.where(shown(status), current.values - old_values, np.nan)
    return replace(
        current,
        values=values,
        status=status,
        complete=current.complete & np.where(found, before.complete[safe], False),
        numerator=None,
        denominator=None,
    )


def ranks(values: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Rank of each cell among the shown values (1 = highest); 0 where not ranked."""
    ranked = shown(status) & ~np.isnan(values)
    ordered = np.sort(values[ranked])
    higher = ordered.size - np.searchsorted(ordered, values[ranked], side="right")
    out = np.zeros(values.size, dtype=np.int64)
    out[ranked] = higher + 1
    return out


def rank_of(result: AreaValues, code: str) -> tuple[int | None, int]:
    """(rank of the area ``code`` or None, number of ranked areas) in ``result``."""
    memo = protected.memo(result)  # kept results: worked out once for all profiles
    all_ranks = memo.get("ranks")
    if all_ranks is None:
        all_ranks = memo["ranks"] = ranks(result.values, result.status)
    position = result.position(code)
    rank = None if position is None or all_ranks[position] == 0 else int(all_ranks[position])
    return rank, int((all_ranks > 0).sum())
