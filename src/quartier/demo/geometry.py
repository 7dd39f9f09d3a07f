"""Geometry of Musterstadt: an irregular city tiled into blocks, grouped upward.

Blocks are Voronoi cells of seeded points, denser towards the centre. Higher
levels are built top-down as *graph regions* on the block adjacency graph:
each unit is split by a multi-source shortest-path search from a few seed
blocks. A shortest-path region is connected by construction, so every unit at
every level is contiguous and exactly the union of its children.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

CRS = "EPSG:25832"
CENTRE = (389_500.0, 5_711_500.0)  # a fictitious place in the Ruhr area


@dataclass(frozen=True)
class Layout:
    """How many units each level has, and the city's radius in metres."""

    blocks: int = 5000
    districts: int = 10
    quarters: int = 45
    social_areas: int = 225
    radius: float = 7200.0


FULL = Layout()
SMALL = Layout(blocks=700, districts=4, quarters=12, social_areas=40, radius=3500.0)


@dataclass
class Blocks:
    """Block polygons (EPSG:25832) with centroids and their adjacency graph."""

    polygons: np.ndarray
    xy: np.ndarray
    area_m2: np.ndarray
    edges: np.ndarray  # (k, 2) pairs of adjacent blocks


def city_outline(rng: np.random.Generator, radius: float) -> shapely.Polygon:
    """A smooth, star-shaped city boundary around :data:`CENTRE`."""
    theta = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 7):
        r += (
            rng.uniform(0.02, 0.09) / (k - 1) ** 0.5 * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
        )
    r *= radius
    x = CENTRE[0] + r * np.cos(theta)
    y = CENTRE[1] + r * np.sin(theta)
    return shapely.Polygon(np.column_stack([x, y]))


def _seed_points(rng: np.random.Generator, outline: shapely.Polygon, n: int, radius: float):
    """``n`` points inside ``outline``, about four times denser at the centre."""
    minx, miny, maxx, maxy = outline.bounds
    points = np.empty((0, 2))
    while len(points) < n:
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n, 2))
        dist = np.hypot(cand[:, 0] - CENTRE[0], cand[:, 1] - CENTRE[1])
        density = 0.25 + np.exp(-dist / (0.4 * radius))
        keep = rng.uniform(0, 1.25, size=len(cand)) < density
        cand = cand[keep]
        cand = cand[shapely.contains_xy(outline, cand[:, 0], cand[:, 1])]
        points = np.vstack([points, cand])
    return points[:n]


def _voronoi(points: np.ndarray, outline: shapely.Polygon) -> np.ndarray:
    cells = shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=outline.buffer(1000), ordered=True
    )
    return shapely.intersection(np.asarray(shapely.get_parts(cells)), outline)


def make_blocks(rng: np.random.Generator, layout: Layout) -> tuple[shapely.Polygon, Blocks]:
    """The city outline and its blocks (one Lloyd step evens out block shapes)."""
    outline = city_outline(rng, layout.radius)
    points = _seed_points(rng, outline, layout.blocks, layout.radius)
    cells = _voronoi(points, outline)
    # Half a Lloyd step: move seeds towards cell centroids, keeping the density gradient.
    centroids = shapely.get_coordinates(shapely.centroid(cells))
    cells = _voronoi(0.5 * (points + centroids), outline)
    cells = np.array([_largest_part(c) for c in cells], dtype=object)
    cells = shapely.set_precision(cells, 0.01)
    xy = shapely.get_coordinates(shapely.point_on_surface(cells))
    blocks = Blocks(cells, xy, shapely.area(cells), _adjacency(cells))
    return outline, blocks


def _largest_part(geom: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geom)
    return parts[np.argmax(shapely.area(parts))] if len(parts) > 1 else parts[0]


def _adjacency(cells: np.ndarray) -> np.ndarray:
    """Pairs of blocks sharing an edge (not only a corner)."""
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(cells[left]), shapely.boundary(cells[right]))
    )
    keep = shared > 1.0
    return np.column_stack([left[keep], right[keep]])


def partition(nodes: np.ndarray, k: int, blocks: Blocks, rng: np.random.Generator) -> np.ndarray:
    """Split the connected block set ``nodes`` into ``k`` connected regions.

    Returns a label 0..k-1 for each node. Seeds come from k-means on block
    positions; regions grow by (almost) hop distance, so dense parts of the city
    get spatially smaller units with similar block counts.
    """
    if k <= 1:
        return np.zeros(len(nodes), dtype=np.int64)
    local = {node: i for i, node in enumerate(nodes)}
    mask = np.isin(blocks.edges[:, 0], nodes) & np.isin(blocks.edges[:, 1], nodes)
    pairs = blocks.edges[mask]
    a = np.array([local[n] for n in pairs[:, 0]], dtype=np.int64)
    b = np.array([local[n] for n in pairs[:, 1]], dtype=np.int64)
    weights = 1.0 + rng.uniform(0, 0.05, size=len(a))  # breaks ties deterministically
    graph = coo_matrix((weights, (a, b)), shape=(len(nodes), len(nodes))).tocsr()
    n_comp, _ = connected_components(graph, directed=False)
    if n_comp != 1:
        raise RuntimeError("block set to partition is not connected")
    xy = blocks.xy[nodes]
    centres, _ = kmeans2(xy, k, seed=rng, minit="++", iter=20)
    seeds = _nearest_unique(xy, centres)
    _dist, _pred, sources = dijkstra(
        graph, directed=False, indices=seeds, min_only=True, return_predecessors=True
    )
    seed_label = {seed: label for label, seed in enumerate(seeds)}
    return np.array([seed_label[s] for s in sources], dtype=np.int64)


def _nearest_unique(xy: np.ndarray, centres: np.ndarray) -> list[int]:
    taken: list[int] = []
    for centre in centres:
        order = np.argsort(np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1]))
        taken.append(int(next(i for i in order if i not in taken)))
    return taken


def allocate(total: int, sizes: np.ndarray, minimum: int, maximum: int) -> np.ndarray:
    """Share ``total`` units among parents proportionally to ``sizes`` (largest remainder).

    Each parent gets between ``minimum`` and ``maximum``; a total those bounds cannot
    reach is an error (it made the loops below run forever).
    """
    if not minimum * len(sizes) <= total <= maximum * len(sizes):
        raise ValueError(
            f"{total} units cannot be shared among {len(sizes)} parents "
            f"with {minimum} to {maximum} each"
        )
    raw = total * sizes / sizes.sum()
    counts = np.clip(np.floor(raw).astype(int), minimum, maximum)
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    i = 0
    while counts.sum() < total:
        if counts[order[i % len(order)]] < maximum:
            counts[order[i % len(order)]] += 1
        i += 1
    while counts.sum() > total:
        j = int(np.argmax(counts - raw))
        counts[j] -= 1
    return counts


def union(polygons: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Union of the polygons of each label 0..n-1 (exact, since blocks share edges)."""
    out = np.empty(n, dtype=object)
    for label in range(n):
        members = polygons[labels == label]
        merged = shapely.coverage_union_all(members)
        if not shapely.is_valid(merged):
            merged = shapely.union_all(members)
        out[label] = merged
    return out
