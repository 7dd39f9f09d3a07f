"""Pure helpers to walk area hierarchies expressed as id arrays."""

from __future__ import annotations

import numpy as np


def positions_of(ids: np.ndarray, lookup_ids: np.ndarray) -> np.ndarray:
    """Position of each of ``ids`` within ``lookup_ids``; -1 where absent.

    ``lookup_ids`` need not be sorted; ids are unique integers.
    """
    ids = np.asarray(ids, dtype=np.int64)
    lookup_ids = np.asarray(lookup_ids, dtype=np.int64)
    if lookup_ids.size == 0:
        return np.full(ids.shape, -1, dtype=np.int64)
    order = np.argsort(lookup_ids, kind="stable")
    sorted_ids = lookup_ids[order]
    idx = np.searchsorted(sorted_ids, ids)
    idx = np.clip(idx, 0, sorted_ids.size - 1)
    found = sorted_ids[idx] == ids
    return np.where(found, order[idx], -1)


def compose(steps: list[np.ndarray]) -> np.ndarray:
    """Compose parent-position maps: ``steps[0]`` maps level 0 to 1, ``steps[1]`` 1 to 2 ….

    A -1 anywhere in a chain stays -1 (the area has no ancestor at the target).
    """
    result = np.asarray(steps[0], dtype=np.int64)
    for step in steps[1:]:
        step = np.asarray(step, dtype=np.int64)
        result = np.where(result >= 0, step[np.clip(result, 0, None)], -1)
    return result
