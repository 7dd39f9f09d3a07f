"""An in-memory index of all areas, per level — loaded once, reused by every request.

Geometry is static between imports, so codes, names and parent links of all
areas are kept in numpy arrays. The cache is keyed by a cheap signature of the
Area and Level tables, so an import in another process is noticed on the next
request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db.models import Count, Max

from quartier.core.hierarchy import compose, positions_of
from quartier.errors import QuartierError
from quartier.spatial.models import Area, Level

_NO_DATE = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class LevelAreas:
    """All areas (all versions) of one level, sorted by code."""

    level: Level
    ids: np.ndarray
    codes: list[str]
    names: list[str]
    parent_ids: np.ndarray
    valid_from: np.ndarray
    valid_to: np.ndarray

    def valid_at(self, period: date | None) -> np.ndarray:
        """Positions of the area versions valid on ``period`` (all current ones if None)."""
        if period is None:
            return np.flatnonzero(np.isnat(self.valid_to))
        day = np.datetime64(period, "D")
        starts_ok = np.isnat(self.valid_from) | (self.valid_from <= day)
        ends_ok = np.isnat(self.valid_to) | (self.valid_to > day)
        return np.flatnonzero(starts_ok & ends_ok)


class AreaIndex:
    """Levels and their areas, with parent maps between any two levels."""

    def __init__(self, levels: list[Level], by_level: dict[int, LevelAreas]):
        self.levels = levels
        self._by_id = {level.id: level for level in levels}
        self._by_key = {level.key: level for level in levels}
        self._areas = by_level
        all_ids = [areas.ids for areas in by_level.values()]
        self._all_ids = np.concatenate(all_ids) if all_ids else np.zeros(0, dtype=np.int64)
        self._all_levels = (
            np.concatenate(
                [np.full(areas.ids.size, level_id) for level_id, areas in by_level.items()]
            )
            if all_ids
            else np.zeros(0, dtype=np.int64)
        )

    def level(self, key: str) -> Level:
        """The level with ``key``; raises NotFound-style error if unknown."""
        try:
            return self._by_key[key]
        except KeyError:
            raise QuartierError(
                f"Unbekannte Raumebene „{key}“. / Unknown level.", status=404
            ) from None

    def areas(self, level: Level) -> LevelAreas:
        """All area versions of ``level``."""
        return self._areas[level.id]

    def level_of(self, area_ids: np.ndarray) -> np.ndarray:
        """Level id of each area id (-1 for unknown ids)."""
        pos = positions_of(area_ids, self._all_ids)
        return np.where(pos >= 0, self._all_levels[np.clip(pos, 0, None)], -1)

    def chain(self, finer: Level, coarser: Level) -> list[Level] | None:
        """Levels from ``finer`` up to ``coarser`` (both included), or None if not nested."""
        chain = [finer]
        level = finer
        while level.id != coarser.id:
            if level.parent_id is None:
                return None
            level = self._by_id[level.parent_id]
            chain.append(level)
        return chain

    def finer_levels(self, level: Level) -> list[Level]:
        """Levels nested below ``level``, nearest (coarsest) first."""
        below = [lv for lv in self.levels if lv.id != level.id and self.chain(lv, level)]
        return sorted(below, key=lambda lv: len(self.chain(lv, level)))

    def ancestor_groups(
        self, finer: Level, coarser: Level, period: date | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Map areas of ``finer`` valid at ``period`` to areas of ``coarser``.

        Returns (finer positions, coarser positions, groups): ``groups[i]`` is the
        index into ``coarser positions`` of finer area ``i``'s ancestor, -1 if none.
        """
        chain = self.chain(finer, coarser)
        if chain is None:
            raise ValueError(f"{finer.key} is not nested in {coarser.key}")
        target = self.areas(coarser).valid_at(period)
        source = self.areas(finer).valid_at(period)
        if len(chain) == 1:
            return source, target, np.arange(source.size)
        steps = []
        current = self.areas(finer)
        current_pos = source
        for step_level in chain[1:]:
            upper = self.areas(step_level)
            upper_valid = upper.valid_at(period) if step_level.id != coarser.id else target
            parent_ids = current.parent_ids[current_pos]
            steps.append(positions_of(parent_ids, upper.ids[upper_valid]))
            current, current_pos = upper, upper_valid
        return source, target, compose(steps)


def _signature() -> tuple:
    area_stats = Area.objects.aggregate(n=Count("id"), last=Max("id"), closed=Count("valid_to"))
    level_stats = Level.objects.aggregate(n=Count("id"), last=Max("id"))
    return tuple(area_stats.values()) + tuple(level_stats.values())


def _load() -> AreaIndex:
    levels = list(Level.objects.order_by("order", "key"))
    rows: dict[int, list] = {level.id: [] for level in levels}
    for row in Area.objects.order_by("code", "valid_from").values_list(
        "level_id", "id", "code", "name", "parent_id", "valid_from", "valid_to"
    ):
        rows[row[0]].append(row[1:])
    by_level = {}
    for level in levels:
        data = rows[level.id]
        by_level[level.id] = LevelAreas(
            level=level,
            ids=np.array([r[0] for r in data], dtype=np.int64),
            codes=[r[1] for r in data],
            names=[r[2] for r in data],
            parent_ids=np.array([r[3] if r[3] is not None else -1 for r in data], dtype=np.int64),
            valid_from=np.array([r[4] or _NO_DATE for r in data], dtype="datetime64[D]"),
            valid_to=np.array([r[5] or _NO_DATE for r in data], dtype="datetime64[D]"),
        )
    return AreaIndex(levels, by_level)


_lock = threading.Lock()
_cache: dict[str, tuple[tuple, AreaIndex]] = {}


def area_index(using: str = "default") -> AreaIndex:
    """The current :class:`AreaIndex`, reloaded only when areas or levels changed."""
    signature = _signature()
    with _lock:
        cached = _cache.get(using)
        if cached and cached[0] == signature:
            return cached[1]
    index = _load()
    with _lock:
        _cache[using] = (signature, index)
    return index


def clear_area_index() -> None:
    """Forget the cached index (after writing areas in this process)."""
    with _lock:
        _cache.clear()
