"""Where a data steward may import values: the areas of the own territories.

Several territories (a Kreis and its Gemeinden) share an installation; each may name
its area (:attr:`~quartier.access.models.Territory.area`). A data steward whose units
all belong to territories with an area imports values only for those areas and the
areas below them; a value for an area elsewhere stops the import with a German
message. Administrators, the operator at the command line (``user`` None) and units
of the whole installation (no territory, as in a single city) are not limited.
"""

from __future__ import annotations

import numpy as np

from quartier.access.rights import is_admin, unit_ids


def writable_area_ids(user) -> np.ndarray | None:
    """Sorted ids of the areas ``user`` may import values for; None: any area."""
    from quartier.access.models import Unit
    from quartier.spatial.index import area_index

    if user is None or is_admin(user):
        return None
    units = list(Unit.objects.filter(id__in=unit_ids(user)).select_related("territory"))
    if not units or any(u.territory is None or u.territory.area_id is None for u in units):
        return None
    return area_index().within({u.territory.area_id for u in units})


def outside_codes(user, area_ids: np.ndarray) -> list[str]:
    """Codes of the areas among ``area_ids`` that ``user`` may not import values for."""
    from quartier.spatial.index import area_index

    allowed = writable_area_ids(user)
    if allowed is None:
        return []
    outside = np.setdiff1d(np.unique(np.asarray(area_ids, dtype=np.int64)), allowed)
    outside = outside[outside >= 0]  # -1: a code that matched no area (reported elsewhere)
    if not outside.size:
        return []
    index = area_index()
    codes = []
    for level in index.levels:
        areas = index.areas(level)
        codes += [areas.codes[i] for i in np.flatnonzero(np.isin(areas.ids, outside))]
    return sorted(set(codes))
