"""Matching the area codes of a table to areas — exact, or with a lost leading zero."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from quartier.errors import QuartierError
from quartier.spatial.index import AreaIndex, area_index


@dataclass(frozen=True)
class Match:
    """The area a code stands for on one period."""

    area_id: int
    level_key: str
    code: str  # the area's own code
    name: str


@dataclass
class CodeMatches:
    """Result of matching all (code, period) pairs of a table.

    ``area[i]`` is the area id of pair ``i`` (-1: none), ``areas`` the matched areas by id.
    """

    area: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    areas: dict[int, Match] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)  # "001" → "1" (matched with a warning)
    unknown: dict[str, list[str]] = field(default_factory=dict)  # code → suggestions
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # code → level names
    any_matched: bool = False  # some code matched on some period


def normal_code(code: str) -> str:
    """A code without surrounding blanks and leading zeros ("001" and "1" are the same)."""
    stripped = code.strip().lstrip("0")
    return stripped or "0"


def restore_known(codes: list[str], known: list[str]) -> dict[str, str]:
    """``{code: known code}`` for codes that match a known code only without leading zeros.

    The rule of :func:`match_pairs`: an exact code wins; otherwise a code whose
    :func:`normal_code` equals that of exactly one known code stands for it.
    """
    exact = set(known)
    by_normal: dict[str, list[str]] = {}
    for code in exact:
        by_normal.setdefault(normal_code(code), []).append(code)
    restored, taken = {}, set(codes)
    for code in codes:
        found = by_normal.get(normal_code(code), [])
        # Never two codes onto one area, nor onto a code the list itself holds.
        if code not in exact and len(found) == 1 and found[0] not in taken:
            restored[code] = found[0]
            taken.add(found[0])
    return restored


def match_pairs(
    codes: list[str],
    periods: list[date],
    order: list[int],
    pairs: tuple[np.ndarray, np.ndarray],
    level_key: str,
) -> CodeMatches:
    """Match every distinct (code, period) pair to an area valid on that period.

    The rules of the row-by-row matching: an exact code wins; otherwise a code that
    matches after removing leading zeros ("001" ↔ "1") is accepted and reported; with
    ``level_key == "auto"`` the code is looked up on every level and must be unique. Pairs
    are given as two arrays of indexes into ``codes`` and ``periods``; the periods are
    handled in ``order`` (as the table first names them: a code unknown on several periods
    gets the suggestions of the last). Periods on which the same areas are valid share one
    lookup.
    """
    index = area_index()
    if level_key != "auto" and level_key not in {lv.key for lv in index.levels}:
        raise QuartierError(f"Die Raumebene „{level_key}“ gibt es nicht.")
    pair_code, pair_period = pairs
    result = CodeMatches(area=np.full(len(pair_code), -1, np.int64))
    by_period = np.argsort(pair_period, kind="stable")
    bounds = np.searchsorted(pair_period[by_period], np.arange(len(periods) + 1))
    lookups: dict[tuple, _Lookup] = {}
    for p in order:
        pairs = by_period[bounds[p] : bounds[p + 1]]
        if not len(pairs):
            continue
        valid = _valid_sets(index, level_key, periods[p])
        lookup = lookups.get(valid[0])
        if lookup is None:
            lookup = lookups[valid[0]] = _Lookup(index, valid[1], len(codes))
        for c in np.unique(pair_code[pairs]):
            lookup.resolve(int(c), codes[c], result)
        result.area[pairs] = lookup.area[pair_code[pairs]]
        for c in np.unique(pair_code[pairs][lookup.area[pair_code[pairs]] < 0]):
            code = codes[c]
            if lookup.ambiguous.get(c):
                result.ambiguous[code] = lookup.ambiguous[c]
            else:
                result.unknown[code] = lookup.suggestions(code)
        for c in np.unique(pair_code[pairs]):
            if int(c) in lookup.renamed:
                result.renamed[codes[c]] = lookup.renamed[int(c)]
    matched_codes = {codes[c] for c in np.unique(pair_code[result.area >= 0])}
    for code in list(result.unknown):  # known on some period after all: not unknown
        if code in matched_codes:
            result.unknown.pop(code)
    result.any_matched = bool((result.area >= 0).any())
    return result


def _valid_sets(index: AreaIndex, level_key: str, period: date) -> tuple[tuple, list]:
    """A hashable key of the area versions valid on ``period``, and (level, positions)."""
    levels = index.levels if level_key == "auto" else [index.level(level_key)]
    parts = [(level, index.areas(level).valid_at(period)) for level in levels]
    return tuple((level.key, pos.tobytes()) for level, pos in parts), parts


class _Lookup:
    """Codes resolved against one set of valid area versions (shared by equal periods)."""

    def __init__(self, index: AreaIndex, parts: list, n_codes: int) -> None:
        self.exact: dict[str, list[Match]] = {}
        for level, positions in parts:
            areas = index.areas(level)
            for pos in positions:
                match = Match(int(areas.ids[pos]), level.key, areas.codes[pos], areas.names[pos])
                self.exact.setdefault(areas.codes[pos], []).append(match)
        self.by_normal: dict[str, list[Match]] = {}
        for matches in self.exact.values():
            for m in matches:
                self.by_normal.setdefault(normal_code(m.code), []).append(m)
        self.area = np.full(n_codes, -1, np.int64)
        self.done = np.zeros(n_codes, bool)
        self.renamed: dict[int, str] = {}
        self.ambiguous: dict[int, list[str]] = {}
        self._suggested: dict[str, list[str]] = {}

    def resolve(self, c: int, code: str, result: CodeMatches) -> None:
        """Look code number ``c`` up once."""
        if self.done[c]:
            return
        self.done[c] = True
        found = self.exact.get(code) or self.by_normal.get(normal_code(code), [])
        if len(found) == 1:
            self.area[c] = found[0].area_id
            result.areas.setdefault(found[0].area_id, found[0])
            if found[0].code != code:
                self.renamed[c] = found[0].code
        elif len(found) > 1:
            self.ambiguous[c] = sorted({f"{m.level_key}:{m.code}" for m in found})

    def suggestions(self, code: str) -> list[str]:
        """Up to three similar codes of these areas (for an unknown code)."""
        if code not in self._suggested:
            self._suggested[code] = difflib.get_close_matches(
                code, list(self.exact), n=3, cutoff=0.75
            )
        return self._suggested[code]
