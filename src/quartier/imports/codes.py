"""Matching the area codes of a table to areas — exact, or with a lost leading zero."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

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
    """Result of matching all codes of a table."""

    matched: dict[tuple[str, date], Match] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)  # "001" → "1" (matched with a warning)
    unknown: dict[str, list[str]] = field(default_factory=dict)  # code → suggestions
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # code → level names


def normal_code(code: str) -> str:
    """A code without surrounding blanks and leading zeros ("001" and "1" are the same)."""
    stripped = code.strip().lstrip("0")
    return stripped or "0"


def restore_known(codes: list[str], known: list[str]) -> dict[str, str]:
    """``{code: known code}`` for codes that match a known code only without leading zeros.

    The rule of :func:`match_codes`: an exact code wins; otherwise a code whose
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


def _candidates(index: AreaIndex, level_key: str, period: date) -> dict[str, Match]:
    levels = index.levels if level_key == "auto" else [index.level(level_key)]
    out: dict[str, list[Match]] = {}
    for level in levels:
        areas = index.areas(level)
        for pos in areas.valid_at(period):
            match = Match(int(areas.ids[pos]), level.key, areas.codes[pos], areas.names[pos])
            out.setdefault(areas.codes[pos], []).append(match)
    return out


def match_codes(codes_by_period: dict[date, set[str]], level_key: str) -> CodeMatches:
    """Match every (code, period) to an area valid on that period.

    Exact codes win; otherwise a code matching after removing leading zeros
    ("001" ↔ "1") is accepted and reported. With ``level_key == "auto"`` the code
    is looked up on every level and must be unique.
    """
    index = area_index()
    if level_key != "auto" and level_key not in {lv.key for lv in index.levels}:
        raise QuartierError(f"Die Raumebene „{level_key}“ gibt es nicht.")
    result = CodeMatches()
    for period, codes in codes_by_period.items():
        exact = _candidates(index, level_key, period)
        by_normal: dict[str, list[Match]] = {}
        for matches in exact.values():
            for m in matches:
                by_normal.setdefault(normal_code(m.code), []).append(m)
        for code in codes:
            found = exact.get(code) or by_normal.get(normal_code(code), [])
            if len(found) == 1:
                result.matched[(code, period)] = found[0]
                if found[0].code != code:
                    result.renamed[code] = found[0].code
            elif len(found) > 1:
                result.ambiguous[code] = sorted({f"{m.level_key}:{m.code}" for m in found})
            else:
                result.unknown[code] = difflib.get_close_matches(
                    code, list(exact), n=3, cutoff=0.75
                )
    for code in list(result.unknown):  # known on some period after all: not unknown
        if any(c == code for c, _p in result.matched):
            result.unknown.pop(code)
    return result
