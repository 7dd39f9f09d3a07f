"""Musterkreis: a Kreis whose Gemeinden hold their data on different levels (issue 18).

Built from the generated Musterstadt (same seed, same blocks and counts): the city becomes
the Kreis, its Stadtbezirke become Gemeinden — the first two together the Kreisstadt,
the last one split into small Gemeinden of one former Stadtteil each — and each Gemeinde
keeps only the levels it would have in reality:

* the Kreisstadt: Ortsteile, Sozialräume and Baublöcke (data per Baublock);
* other Gemeinden, in turn: Ortsteile and Sozialräume (data per Sozialraum); only
  Ortsteile (data per Ortsteil); Sozialräume directly below the Gemeinde, without
  Ortsteile (a level skipped);
* the small Gemeinden: Ortsteile only (the former Sozialräume).

The counts of the blocks are summed to the areas that hold each Gemeinde's data (means
weighted), so every Gemeinde total and the Kreis total are the Musterstadt's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import shapely

from quartier.demo.catalogue import INDICATORS
from quartier.demo.generate import Musterstadt

KREIS_CODE = "05999"  # an AGS-like key of a fictitious Kreis in NRW
LEVELS = [
    ("kreis", "Kreis"),
    ("gemeinde", "Gemeinde"),
    ("ortsteil", "Ortsteil"),
    ("sozialraum", "Sozialraum"),
    ("baublock", "Baublock"),
]
# How the middle Gemeinden keep their small areas, in turn.
MODES = ("sozialraeume", "ohne_ortsteile", "ortsteile")


@dataclass
class Unit:
    """One area of the Kreis: its level, code, name, polygon, parent (index or -1), and the
    blocks of the Musterstadt it holds data for (empty: the data lie further down).
    """

    level: str
    code: str
    name: str
    polygon: shapely.Geometry
    parent: int
    blocks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass
class Musterkreis:
    """The Kreis's areas (coarse to fine within each Gemeinde) and what each Gemeinde keeps."""

    units: list[Unit]
    gemeinden: list[tuple[int, str]]  # (unit index, mode)

    def of_level(self, key: str) -> list[int]:
        """Indices of the units of one level."""
        return [i for i, u in enumerate(self.units) if u.level == key]


def build(city: Musterstadt) -> Musterkreis:
    """The Musterkreis of ``city`` (see the module's description)."""
    areas = city.city
    bezirk, stadtteil = areas.level("stadtbezirk"), areas.level("stadtteil")
    sozialraum, block = areas.level("sozialraum"), areas.level("baublock")
    of_sozialraum = block.parent
    of_stadtteil = sozialraum.parent[of_sozialraum]
    units = [Unit("kreis", KREIS_CODE, "Musterkreis", areas.levels[0].polygons[0], -1)]
    plan = _plan(bezirk.polygons)
    people = np.nan_to_num(city.counts["ew_gesamt"][-1])
    residents = np.bincount(of_stadtteil, people, minlength=len(stadtteil.names))
    parts_of = _stadtteile(plan, stadtteil.parent, stadtteil.polygons, residents)
    gemeinden = []
    number = 0
    for (bezirke, mode), parts in zip(plan, parts_of, strict=True):
        if mode == "klein":  # one small Gemeinde per Stadtteil of the Bezirk
            for s in parts:
                number += 4
                g = _add(units, "gemeinde", f"{KREIS_CODE}{number:03d}", stadtteil.names[s],
                         stadtteil.polygons[s], 0)  # fmt: skip
                gemeinden.append((g, "klein"))
                for r in np.flatnonzero(sozialraum.parent == s).tolist():
                    _add(units, "ortsteil", _child(units, g), sozialraum.names[r],
                         sozialraum.polygons[r], g, np.flatnonzero(of_sozialraum == r))  # fmt: skip
            continue
        number += 4
        name = "Kreisstadt Musterstadt" if mode == "voll" else bezirk.names[bezirke[0]]
        polygon = shapely.coverage_union_all(stadtteil.polygons[parts])
        g = _add(units, "gemeinde", f"{KREIS_CODE}{number:03d}", name, polygon, 0)
        gemeinden.append((g, mode))
        for s in parts:
            inside = np.flatnonzero(sozialraum.parent == s).tolist()
            if mode == "ohne_ortsteile":
                for r in inside:
                    _add(units, "sozialraum", _child(units, g), sozialraum.names[r],
                         sozialraum.polygons[r], g, np.flatnonzero(of_sozialraum == r))  # fmt: skip
                continue
            held = np.flatnonzero(of_stadtteil == s) if mode == "ortsteile" else None
            o = _add(units, "ortsteil", _child(units, g), stadtteil.names[s],
                     stadtteil.polygons[s], g, held)  # fmt: skip
            if mode == "ortsteile":
                continue
            for r in inside:
                held = np.flatnonzero(of_sozialraum == r) if mode == "sozialraeume" else None
                z = _add(units, "sozialraum", _child(units, o), sozialraum.names[r],
                         sozialraum.polygons[r], o, held)  # fmt: skip
                if mode == "voll":
                    for b in np.flatnonzero(of_sozialraum == r).tolist():
                        code = _child(units, z)
                        _add(units, "baublock", code, f"Baublock {code}", block.polygons[b], z,
                             np.array([b]))  # fmt: skip
    held = np.bincount(np.concatenate([u.blocks for u in units]), minlength=len(block))
    assert (held == 1).all(), "every block's data is held by exactly one area"
    return Musterkreis(units, gemeinden)


def _plan(polygons) -> list[tuple[list[int], str]]:
    """Which Stadtbezirke become which Gemeinde, and what each keeps. The Kreisstadt is the
    first Bezirk and, in a city of six or more, the first Bezirk bordering it (one piece).
    """
    districts = len(polygons)
    first = [0]
    if districts >= 6:
        first.append(next(b for b in range(1, districts - 1) if _borders(polygons[0], polygons[b])))
    middle = [b for b in range(districts - 1) if b not in first]
    plan = [(first, "voll")]
    plan += [([b], MODES[i % len(MODES)]) for i, b in enumerate(middle)]
    return [*plan, ([districts - 1], "klein")]


def _borders(a, b) -> bool:
    """True if two areas share a stretch of border (not only a point)."""
    return shapely.intersection(a.boundary, b.boundary).length > 0


MAX_RESIDENTS = 60_000  # the largest Gemeinde of the Musterkreis, about (issue 18)


def _stadtteile(plan, parent_of: np.ndarray, polygons, residents) -> list[list[int]]:
    """The Stadtteile of each planned Gemeinde. The Kreisstadt (two Bezirke) gives Stadtteile
    bordering the next Gemeinde to it until it has no more than about 60,000 residents: each
    time the one with the longest common border that leaves both in one piece.
    """
    parts = [np.flatnonzero(np.isin(parent_of, bezirke)).tolist() for bezirke, _mode in plan]
    if len(plan) < 3 or len(plan[0][0]) < 2:
        return parts
    while residents[parts[0]].sum() > MAX_RESIDENTS:
        neighbour = shapely.coverage_union_all(polygons[parts[1]])
        border = {
            s: shapely.intersection(polygons[s].boundary, neighbour.boundary).length
            for s in parts[0]
            if parent_of[s] == plan[0][0][-1]
        }
        for s in sorted((s for s in border if border[s] > 0), key=lambda s: -border[s]):
            rest, joined = [t for t in parts[0] if t != s], sorted([*parts[1], s])
            if all(
                shapely.coverage_union_all(polygons[group]).geom_type == "Polygon"
                for group in (rest, joined)
            ):
                parts[0], parts[1] = rest, joined
                break
        else:
            break  # nothing more to give in one piece
    return parts


def _add(units: list[Unit], level, code, name, polygon, parent, blocks=None) -> int:
    blocks = np.zeros(0, dtype=np.int64) if blocks is None else np.asarray(blocks, np.int64)
    units.append(Unit(level, code, name, polygon, parent, blocks))
    return len(units) - 1


def _child(units: list[Unit], parent: int) -> str:
    """The next code below ``parent``: its code and a two- or three-digit number."""
    siblings = sum(1 for u in units if u.parent == parent)
    digits = 3 if units[parent].level == "sozialraum" else 2
    return f"{units[parent].code}{siblings + 1:0{digits}d}"


def held_values(kreis: Musterkreis, city: Musterstadt) -> dict[str, np.ndarray]:
    """{indicator key: (years, units)} of the units that hold data (NaN elsewhere).

    Counts are summed over the unit's blocks; means weighted by their weight.
    """
    holders = [i for i, u in enumerate(kreis.units) if u.blocks.size]
    label = np.full(sum(u.blocks.size for u in kreis.units), -1)
    for k, i in enumerate(holders):
        label[kreis.units[i].blocks] = k
    weights = {spec["key"]: spec.get("weight") for spec in INDICATORS}
    out = {}
    for key, values in city.counts.items():
        held = np.full((values.shape[0], len(kreis.units)), np.nan)
        for t in range(values.shape[0]):
            weight = weights.get(key)
            row = values[t]
            if weight:
                w = city.counts[weight][t]
                ok = ~np.isnan(row) & (w > 0)
                num = np.bincount(label[ok], row[ok] * w[ok], len(holders))
                den = np.bincount(label[ok], w[ok], len(holders))
                with np.errstate(invalid="ignore"):
                    sums = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
            else:
                ok = ~np.isnan(row)
                sums = np.bincount(label[ok], row[ok], len(holders))
            held[t, holders] = sums
        out[key] = held
    return out


def periods(city: Musterstadt) -> list[date]:
    """The Stichtage of the generated years."""
    return [date(year, 12, 31) for year in city.years]
