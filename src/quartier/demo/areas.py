"""The five levels of Musterstadt with codes, names and nested polygons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from quartier.demo import geometry
from quartier.demo.names import direction_name, place_names

CITY_CODE = "05999000"  # AGS-like key of a fictitious NRW municipality


@dataclass
class LevelData:
    """One generated level: codes, names, polygons (EPSG:25832) and parent positions."""

    key: str
    name: str
    codes: list[str]
    names: list[str]
    polygons: np.ndarray
    parent: np.ndarray  # position in the parent level, -1 for the root

    def __len__(self) -> int:
        return len(self.codes)


@dataclass
class CityAreas:
    """All levels, coarse to fine, plus block geometry and each block's ancestors."""

    levels: list[LevelData]
    blocks: geometry.Blocks

    def level(self, key: str) -> LevelData:
        """The generated level with ``key``."""
        return next(level for level in self.levels if level.key == key)


def _split(
    parent_of_block: np.ndarray, n_parents: int, total: int, blocks, rng, minimum: int, maximum: int
) -> np.ndarray:
    """Split every parent unit into child regions; returns a global child label per block."""
    sizes = np.bincount(parent_of_block, minlength=n_parents).astype(float)
    counts = geometry.allocate(total, sizes, minimum, maximum)
    labels = np.empty(len(parent_of_block), dtype=np.int64)
    offset = 0
    for parent in range(n_parents):
        nodes = np.flatnonzero(parent_of_block == parent)
        labels[nodes] = offset + geometry.partition(nodes, int(counts[parent]), blocks, rng)
        offset += int(counts[parent])
    return labels


def _order_within(parents: np.ndarray, polygons: np.ndarray, centre_xy) -> np.ndarray:
    """A sort order: by parent, then the unit holding the city centre, then clockwise
    (seen from the city centre) starting in the north.
    """
    points = shapely.get_coordinates(shapely.point_on_surface(polygons))
    centre = shapely.Point(centre_xy)
    holds_centre = shapely.contains(polygons, centre)
    keys = []
    for i, (x, y) in enumerate(points):
        angle = (np.degrees(np.arctan2(x - centre_xy[0], y - centre_xy[1])) + 360) % 360
        keys.append((parents[i], 0 if holds_centre[i] else 1, angle))
    return np.array(sorted(range(len(points)), key=lambda i: keys[i]), dtype=np.int64)


def build_areas(rng: np.random.Generator, layout: geometry.Layout) -> CityAreas:
    """Generate the outline, blocks and the nested levels of Musterstadt."""
    outline, blocks = geometry.make_blocks(rng, layout)
    n = len(blocks.polygons)
    district = geometry.partition(np.arange(n), layout.districts, blocks, rng)
    # At most 9 Stadtteile per district in Musterstadt; a scaled-up city (bench/big_city.py)
    # has more Stadtteile per district and needs room for them.
    most = max(9, -(-2 * layout.quarters // layout.districts))
    quarter = _split(district, layout.districts, layout.quarters, blocks, rng, 2, most)
    social = _split(quarter, layout.quarters, layout.social_areas, blocks, rng, 2, 99)

    # Renumber every level so codes run clockwise within each parent.
    labels = [district, quarter, social, np.arange(n)]
    parents_of = [np.zeros(layout.districts, dtype=np.int64)]
    for upper, lower in zip(labels[:-1], labels[1:], strict=True):
        n_lower = lower.max() + 1
        parent = np.zeros(n_lower, dtype=np.int64)
        parent[lower] = upper
        parents_of.append(parent)
    polygons = [geometry.union(blocks.polygons, lab, lab.max() + 1) for lab in labels[:-1]]
    polygons.append(blocks.polygons)

    rank_of_previous = np.zeros(1, dtype=np.int64)
    levels = [
        LevelData(
            "stadt",
            "Stadt",
            [CITY_CODE],
            ["Musterstadt"],
            np.array([outline_union(polygons[0])], dtype=object),
            np.array([-1], dtype=np.int64),
        )
    ]
    for depth, (polys, parent) in enumerate(zip(polygons, parents_of, strict=True)):
        new_parent = rank_of_previous[parent]
        order = _order_within(new_parent, polys, geometry.CENTRE)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        levels.append(_name_level(depth, polys[order], new_parent[order], levels[-1], rng))
        rank_of_previous = rank
    block_order = np.argsort(rank_of_previous)
    reordered = geometry.Blocks(
        blocks.polygons[block_order],
        blocks.xy[block_order],
        blocks.area_m2[block_order],
        rank_of_previous[blocks.edges],
    )
    city = CityAreas(levels, reordered)
    _name_districts(city)
    return city


def outline_union(districts: np.ndarray) -> shapely.Geometry:
    """The city polygon as the exact union of its districts."""
    return shapely.coverage_union_all(districts)


_LEVELS = [
    ("stadtbezirk", "Stadtbezirk", 2),
    ("stadtteil", "Stadtteil", 1),
    ("sozialraum", "Sozialraum", 2),
    ("baublock", "Baublock", 3),
]


def _name_level(
    depth: int, polys: np.ndarray, parent: np.ndarray, upper: LevelData, rng: np.random.Generator
) -> LevelData:
    key, label, digits = _LEVELS[depth]
    codes, seq = [], {}
    for p in parent:
        seq[p] = seq.get(p, 0) + 1
        prefix = "" if depth == 0 else upper.codes[p]
        codes.append(f"{prefix}{seq[p]:0{digits}d}")
    if key == "stadtteil":
        names = place_names(rng, len(polys))
        centre = shapely.Point(geometry.CENTRE)
        names = [
            "Altstadt" if shapely.contains(poly, centre) else name
            for poly, name in zip(polys, names, strict=True)
        ]
    elif key == "sozialraum":
        names = _social_area_names(polys, parent, upper)
    elif key == "baublock":
        names = [f"Baublock {code}" for code in codes]
    else:
        names = [""] * len(polys)  # districts are named after their first Stadtteil later
    return LevelData(key, label, codes, names, polys, parent.astype(np.int64))


def _social_area_names(polys, parent, upper: LevelData) -> list[str]:
    points = shapely.get_coordinates(shapely.point_on_surface(polys))
    upper_points = shapely.get_coordinates(shapely.point_on_surface(upper.polygons))
    names, used = [], set()
    for i, (x, y) in enumerate(points):
        px, py = upper_points[parent[i]]
        near = np.hypot(x - px, y - py) < 0.35 * np.sqrt(
            shapely.area(upper.polygons[parent[i]]) / np.pi
        )
        base = f"{upper.names[parent[i]]}-{direction_name(x - px, y - py, near)}"
        name, k = base, 2
        while name in used:
            name, k = f"{base} {k}", k + 1
        used.add(name)
        names.append(name)
    return names


def _name_districts(city: CityAreas) -> None:
    """Name each district after its first Stadtteil; the central one is "Mitte"."""
    districts, quarters = city.level("stadtbezirk"), city.level("stadtteil")
    for d in range(len(districts)):
        first = int(np.flatnonzero(quarters.parent == d)[0])
        name = quarters.names[first]
        districts.names[d] = "Mitte" if name == "Altstadt" else name
