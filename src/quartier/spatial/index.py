"""An in-memory index of all areas, per level — loaded once, reused by every request.

Geometry is static between imports, so codes, names and parent links of all
areas are kept in numpy arrays. The cache is keyed by a cheap signature of the
Area and Level tables, so an import in another process is noticed on the next
request.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db.models import Count, Max

from quartier.core.hierarchy import compose, positions_of
from quartier.errors import QuartierError
from quartier.spatial.models import Area, Level

_NO_DATE = np.datetime64("NaT", "D")
# Every index gets a number never used before in this process: caches of results
# computed with an index are keyed by it (an object's id() is reused after it is freed).
_versions = itertools.count(1)


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
    """Levels and their areas, with parent maps between any two levels.

    ``version`` identifies this index in the process; results computed with it
    carry it, so that values and their protection masks can be checked to
    describe the same areas.
    """

    def __init__(
        self,
        levels: list[Level],
        by_level: dict[int, LevelAreas],
        territory_areas: tuple[int, ...] = (),
    ):
        self.version = next(_versions)
        # Areas of the Gemeinden (and cities) sharing the installation: each is
        # aggregated from its own data (see :meth:`territory_level`).
        self.territory_areas = np.array(sorted(territory_areas), dtype=np.int64)
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
        self._memo: dict = {}

    def _memoized(self, key, build):
        """Derived arrays are computed once per index (the index is immutable)."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = build()
            return value

    def remember(self, key: tuple, build):
        """``build()``, computed once for this index: for values other modules derive from
        its areas (they are dropped with the index when the areas change).
        """
        return self._memoized(("remembered", *key), build)

    def digest(self) -> str:
        """A digest of what the index holds (levels, areas, parents, validity).

        Unlike :attr:`version` it is the same in every process for the same areas,
        so that results stored in the database can name the areas they describe.
        """

        def build():
            h = hashlib.sha256()
            for level in self.levels:
                areas = self._areas[level.id]
                h.update(repr((level.id, level.parent_id, len(areas.codes))).encode())
                for array in (areas.ids, areas.parent_ids, areas.valid_from, areas.valid_to):
                    h.update(np.ascontiguousarray(array).tobytes())
            if self.territory_areas.size:  # the same digest as before for a single city
                h.update(b"territories" + self.territory_areas.tobytes())
            return h.hexdigest()

        return self._memoized("digest", build)

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

    def within(self, roots) -> np.ndarray:
        """Sorted ids of the areas ``roots`` and of every area below them (any validity).

        Follows the parent links, which may also skip a level (memoized per set of roots).
        """
        key = tuple(sorted(int(r) for r in roots))

        def build():
            parents = np.concatenate(
                [areas.parent_ids for areas in self._areas.values()]
                or [np.zeros(0, dtype=np.int64)]
            )
            inside = np.isin(self._all_ids, key)
            for _ in range(len(self.levels)):
                more = inside | np.isin(parents, self._all_ids[inside])
                if (more == inside).all():
                    break
                inside = more
            return np.sort(self._all_ids[inside])

        return self._memoized(("within", key), build)

    def chain_to_root(self, level: Level) -> list[Level]:
        """``level`` and all levels above it, finest first."""
        chain = [level]
        while chain[-1].parent_id is not None:
            chain.append(self._by_id[chain[-1].parent_id])
        return chain

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

        def build():
            below = [lv for lv in self.levels if lv.id != level.id and self.chain(lv, level)]
            return sorted(below, key=lambda lv: len(self.chain(lv, level)))

        return self._memoized(("finer", level.id), build)

    def valid_positions(self, level: Level, period: date | None) -> np.ndarray:
        """Positions of the area versions of ``level`` valid on ``period`` (memoized)."""
        return self._memoized(
            ("valid", level.id, period), lambda: self.areas(level).valid_at(period)
        )

    def valid_labels(self, level: Level, period: date | None) -> tuple[list[str], list[str]]:
        """Codes and names of the areas valid on ``period`` (shared lists: do not modify)."""

        def build():
            areas, positions = self.areas(level), self.valid_positions(level, period)
            return [areas.codes[i] for i in positions], [areas.names[i] for i in positions]

        return self._memoized(("labels", level.id, period), build)

    def within_valid(self, level: Level, period: date | None, area_ids: np.ndarray) -> np.ndarray:
        """For each area id, its index among the areas valid on ``period`` (-1 if not valid)."""

        def inverse():
            inv = np.full(self.areas(level).ids.size, -1, dtype=np.int64)
            valid = self.valid_positions(level, period)
            inv[valid] = np.arange(valid.size)
            return inv

        inv = self._memoized(("inverse", level.id, period), inverse)
        ids = self.areas(level).ids
        order = self._memoized(("order", level.id), lambda: np.argsort(ids, kind="stable"))
        if ids.size == 0:
            return np.full(len(area_ids), -1, dtype=np.int64)
        idx = np.clip(np.searchsorted(ids[order], area_ids), 0, ids.size - 1)
        found = ids[order][idx] == area_ids
        return np.where(found, inv[order[idx]], -1)

    def ancestor_groups(
        self, finer: Level, coarser: Level, period: date | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Map areas of ``finer`` valid at ``period`` to areas of ``coarser`` (memoized).

        See :meth:`_ancestor_groups`.
        """
        return self._memoized(
            ("groups", finer.id, coarser.id, period),
            lambda: self._ancestor_groups(finer, coarser, period),
        )

    def _ancestor_groups(
        self, finer: Level, coarser: Level, period: date | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Map areas of ``finer`` valid at ``period`` to areas of ``coarser``.

        Returns (finer positions, coarser positions, groups): ``groups[i]`` is the
        index into ``coarser positions`` of finer area ``i``'s ancestor, -1 if none.
        A parent may skip levels (a Gemeinde without Ortsteile: its Sozialräume
        belong to the Gemeinde itself); such an area is carried up to the level of
        its parent.
        """
        chain = self.chain(finer, coarser)
        if chain is None:
            raise ValueError(f"{finer.key} is not nested in {coarser.key}")
        target = self.valid_positions(coarser, period)
        source = self.valid_positions(finer, period)
        if len(chain) == 1:
            return source, target, np.arange(source.size)
        steps = []
        current = self.areas(finer)
        current_pos = source
        for step_level in chain[1:]:
            upper = self.areas(step_level)
            upper_valid = self.valid_positions(step_level, period)
            parent_ids = current.parent_ids[current_pos]
            steps.append(positions_of(parent_ids, upper.ids[upper_valid]))
            current, current_pos = upper, upper_valid
        groups = compose(steps)
        lost = np.flatnonzero(groups < 0)
        if lost.size:  # parents on a coarser level than the next one (skipped levels)
            groups[lost] = self._skipping(chain, source[lost], target, period)
        return source, target, groups

    def _skipping(self, chain: list[Level], positions, target, period) -> np.ndarray:
        """Groups of the areas at ``positions`` of ``chain[0]`` found by following their
        parent links level by level, whatever level each parent is on (-1: none).
        """
        ids = self.areas(chain[0]).ids[positions]
        chain_ids = np.array([level.id for level in chain], dtype=np.int64)
        valid = {
            level.id: self.areas(level).ids[self.valid_positions(level, period)] for level in chain
        }
        rank = np.zeros(ids.size, dtype=np.int64)
        for _ in chain[1:]:
            moving = (rank < len(chain) - 1) & (ids >= 0)
            if not moving.any():
                break
            parents = np.full(ids.size, -1, dtype=np.int64)
            for r in np.unique(rank[moving]):
                areas = self.areas(chain[r])
                here = moving & (rank == r)
                pos = positions_of(ids[here], areas.ids)
                parents[here] = np.where(pos >= 0, areas.parent_ids[np.clip(pos, 0, None)], -1)
            parent_rank = positions_of(self.level_of(parents), chain_ids)  # -1: not in chain
            ok = moving & (parent_rank > rank)
            for r in np.unique(parent_rank[ok]):
                here = ok & (parent_rank == r)
                ok[here] = np.isin(parents[here], valid[chain[r].id])
            ids = np.where(moving, np.where(ok, parents, -1), ids)
            rank = np.where(ok, parent_rank, rank)
        top = self.areas(chain[-1]).ids[target]
        return np.where(rank == len(chain) - 1, positions_of(ids, top), -1)

    def territory_level(self) -> Level | None:
        """The level of the territories' areas (the Gemeinden), or None: one city.

        Below and at this level, each territory is aggregated from the nearest level
        with its own data; above it, a value sums the territories' values.
        """

        def build():
            levels = set(self.level_of(self.territory_areas).tolist()) - {-1}
            return self._by_id[levels.pop()] if len(levels) == 1 else None

        return self._memoized("territory level", build)

    def territory_groups(self, level: Level, period: date | None) -> np.ndarray:
        """For each area of ``level`` valid on ``period`` (at or below the territory level):
        the number of its territory (-1: in none), memoized.
        """

        def build():
            top = self.territory_level()
            positions, targets, groups = self.ancestor_groups(level, top, period)
            territory_ids = self.areas(top).ids[targets]
            number = positions_of(territory_ids, self.territory_areas)
            return np.where(groups >= 0, number[np.clip(groups, 0, None)], -1)

        return self._memoized(("territory groups", level.id, period), build)


def _signature() -> tuple:
    area_stats = Area.objects.aggregate(n=Count("id"), last=Max("id"), closed=Count("valid_to"))
    level_stats = Level.objects.aggregate(n=Count("id"), last=Max("id"))
    return tuple(area_stats.values()) + tuple(level_stats.values()) + (_territory_areas(),)


def _territory_areas() -> tuple[int, ...]:
    """Areas of the Gemeinden and cities sharing the installation (not the Kreise)."""
    from quartier.access.models import Territory

    found = Territory.objects.exclude(kind=Territory.Kind.KREIS).exclude(area=None)
    return tuple(sorted(found.values_list("area_id", flat=True)))


def _load() -> AreaIndex:
    levels = list(Level.objects.order_by("order", "key"))
    rows: dict[int, list] = {level.id: [] for level in levels}
    for row in Area.objects.values_list(
        "level_id", "id", "code", "name", "parent_id", "valid_from", "valid_to"
    ):
        rows[row[0]].append(row[1:])
    by_level = {}
    for level in levels:
        # Sorted in Python, not by the database's collation, so bisect on codes works.
        data = sorted(rows[level.id], key=lambda r: (r[1], r[4] or date.min))
        by_level[level.id] = LevelAreas(
            level=level,
            ids=np.array([r[0] for r in data], dtype=np.int64),
            codes=[r[1] for r in data],
            names=[r[2] for r in data],
            parent_ids=np.array([r[3] if r[3] is not None else -1 for r in data], dtype=np.int64),
            valid_from=np.array([r[4] or _NO_DATE for r in data], dtype="datetime64[D]"),
            valid_to=np.array([r[5] or _NO_DATE for r in data], dtype="datetime64[D]"),
        )
    return AreaIndex(levels, by_level, _territory_areas())


_lock = threading.Lock()
_cache: dict[str, tuple[tuple, AreaIndex, float]] = {}


_TTL = 1.0  # seconds between checks of the tables' signature


def area_index() -> AreaIndex:
    """The current :class:`AreaIndex`, reloaded only when areas or levels changed.

    The signature of the tables is checked at most once a second; writes in
    this process clear the cache at once (see :mod:`quartier.spatial.signals`).
    """
    now = time.monotonic()
    with _lock:
        cached = _cache.get("index")
        if cached and now - cached[2] < _TTL:
            return cached[1]
    signature = _signature()
    with _lock:
        cached = _cache.get("index")
        if cached and cached[0] == signature:
            _cache["index"] = (signature, cached[1], now)
            return cached[1]
    index = _load()
    with _lock:
        _cache["index"] = (signature, index, now)
    return index


def clear_area_index() -> None:
    """Forget the cached index (after writing areas in this process)."""
    with _lock:
        _cache.clear()
