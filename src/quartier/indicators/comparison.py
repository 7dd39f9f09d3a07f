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
from quartier.indicators.status import BY_CODE, Status, shown


def change(current: AreaValues, before: AreaValues) -> AreaValues:
    """``current`` − ``before`` per area of ``current``, with the status of each change."""
    where = positions_of(current.area_ids, before.area_ids)
    values, status = _change(current.values, current.status, before, where)
    found = where >= 0
    safe = np.clip(where, 0, None)
    return replace(
        current,
        values=values,
        status=status,
        complete=current.complete & np.where(found, before.complete[safe], False),
        numerator=None,
        denominator=None,
    )


def change_of(current: AreaValues, before: AreaValues, code: str) -> tuple[float | None, Status]:
    """(value, status) of :func:`change` for the area ``code`` alone, by the same rules.

    A profile needs one area's change per indicator; the whole level's took a
    profile page of blocks 20 ms.
    """
    i = current.position(code)
    if i is None:
        return None, Status.MISSING
    at = np.flatnonzero(before.area_ids == current.area_ids[i])
    where = at[:1] if at.size else np.array([-1], dtype=np.int64)
    values, status = _change(current.values[i : i + 1], current.status[i : i + 1], before, where)
    result = BY_CODE[status[0]]
    return (float(values[0]) if result.shown else None), result


def _change(
    new_values: np.ndarray, new_status: np.ndarray, before: AreaValues, where: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Values and status of the change of cells whose positions in ``before`` are ``where``."""
    found = where >= 0
    safe = np.clip(where, 0, None)
    old_values = np.where(found, before.values[safe], np.nan)
    old_status = np.where(found, before.status[safe], Status.MISSING)
    both = shown(new_status) & shown(old_status)
    status = np.full(new_status.size, Status.MISSING, dtype=np.uint8)
    secret = (new_status == Status.CONFIDENTIAL) | (old_status == Status.CONFIDENTIAL)
    status[both] = np.where(secret, Status.CONFIDENTIAL, Status.OK)[both]
    status[(new_status == Status.SUPPRESSED) | (old_status == Status.SUPPRESSED)] = (
        Status.SUPPRESSED
    )
    values = np.where(shown(status), new_values - old_values, np.nan)
    return values, status


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
