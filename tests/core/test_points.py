"""Points to areas and counts up a hierarchy (quartier.core.points), without a database."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from quartier.core.points import assign_points, count_by, sum_up
from quartier.errors import QuartierError


def grid_2x2() -> np.ndarray:
    """Unit squares: 0 = lower left, 1 = lower right, 2 = upper left, 3 = upper right."""
    return np.array([box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2)])


def counts_of(result, n_areas: int) -> np.ndarray:
    return np.bincount(result.area_index[result.area_index >= 0], minlength=n_areas)


def test_points_inside_each_square_go_to_that_square():
    x = np.array([0.5, 1.5, 0.5, 1.5, 0.25])
    y = np.array([0.5, 0.5, 1.5, 1.5, 0.75])
    result = assign_points(x, y, grid_2x2())
    assert result.area_index.tolist() == [0, 1, 2, 3, 0]
    assert result.outside == 0


def test_boundary_points_count_once_for_the_lowest_index():
    # shared edge of 0|1, shared edge of 1|3, the corner of all four, outer edge, outer corner
    x = np.array([1.0, 1.5, 1.0, 0.0, 2.0])
    y = np.array([0.5, 1.0, 1.0, 0.3, 2.0])
    result = assign_points(x, y, grid_2x2())
    assert result.area_index.tolist() == [0, 1, 0, 0, 3]
    assert result.outside == 0
    assert counts_of(result, 4).sum() == x.size


def test_lowest_index_rule_follows_the_order_of_the_polygons():
    polygons = grid_2x2()[::-1]  # now the upper right square has index 0
    result = assign_points(np.array([1.0, 1.0]), np.array([1.0, 0.5]), polygons)
    assert result.area_index.tolist() == [0, 2]  # corner: former 3; edge 0|1: former 1


def test_outside_and_invalid_coordinates():
    x = np.array([-0.1, 2.5, 0.5, np.nan, np.inf, 0.5, -np.inf])
    y = np.array([0.5, 0.5, 5.0, 0.5, 0.5, np.nan, 1.0])
    result = assign_points(x, y, grid_2x2())
    assert result.area_index.tolist() == [-1] * 7
    assert result.outside == 7


def test_multipolygon_area_takes_points_in_all_its_parts():
    parts = MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)])
    polygons = np.array([box(2, 2, 4, 4), parts])
    result = assign_points(np.array([0.5, 5.5, 3.0, 4.5]), np.array([0.5, 5.5, 3.0, 4.5]), polygons)
    assert result.area_index.tolist() == [1, 1, 0, -1]
    assert result.outside == 1


def test_hole_is_outside_unless_another_polygon_fills_it():
    ring = Polygon(box(0, 0, 4, 4).exterior.coords, [box(1, 1, 3, 3).exterior.coords])
    x, y = np.array([2.0, 0.5, 1.0]), np.array([2.0, 0.5, 2.0])  # hole, ring, hole edge
    alone = assign_points(x, y, np.array([ring]))
    assert alone.area_index.tolist() == [-1, 0, 0]
    filled = assign_points(x, y, np.array([ring, box(1, 1, 3, 3)]))
    assert filled.area_index.tolist() == [1, 0, 0]  # the hole's edge belongs to both: lowest


def test_empty_and_missing_polygons_take_no_points():
    polygons = np.array([None, Polygon(), box(0, 0, 1, 1)], dtype=object)
    result = assign_points(np.array([0.5, 3.0]), np.array([0.5, 3.0]), polygons)
    assert result.area_index.tolist() == [2, -1]
    nothing = assign_points(np.array([0.5]), np.array([0.5]), np.array([None], dtype=object))
    assert nothing.outside == 1


def test_no_points():
    result = assign_points(np.array([]), np.array([]), grid_2x2())
    assert result.area_index.shape == (0,) and result.outside == 0


def test_bad_input_gets_a_german_message():
    with pytest.raises(QuartierError, match="gleich viele"):
        assign_points(np.array([1.0, 2.0]), np.array([1.0]), grid_2x2())
    with pytest.raises(QuartierError, match="Flächen"):
        assign_points(np.array([1.0]), np.array([1.0]), np.array([shapely.Point(0, 0)]))
    with pytest.raises(QuartierError, match="Zahlen"):
        assign_points(np.array(["a"]), np.array(["b"]), grid_2x2())


coordinate = st.one_of(
    st.floats(-0.5, 3.5, allow_nan=False),
    st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0]),  # exactly on edges and corners
    st.just(float("nan")),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(coordinate, coordinate), max_size=60),
    st.integers(1, 3),
    st.integers(1, 3),
)
def test_property_every_point_counted_once_in_a_covering_polygon(points, nx, ny):
    polygons = np.array([box(i, j, i + 1, j + 1) for j in range(ny) for i in range(nx)])
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    result = assign_points(x, y, polygons)
    counts = counts_of(result, polygons.size)
    assert counts.sum() + result.outside == x.size
    inside = result.area_index >= 0
    assert shapely.intersects_xy(polygons[result.area_index[inside]], x[inside], y[inside]).all()
    # Lowest-index rule, checked the slow way: the first polygon that covers the point.
    covers = shapely.intersects_xy(polygons[:, None], x[None, :], y[None, :])
    expected = np.where(covers.any(axis=0), covers.argmax(axis=0), -1)
    assert result.area_index.tolist() == expected.tolist()


def test_voronoi_coverage_agrees_with_geopandas_sjoin_within():
    gpd = pytest.importorskip("geopandas")
    rng = np.random.default_rng(7)
    frame = box(350_000, 5_650_000, 365_000, 5_662_000)
    seeds = shapely.points(
        rng.uniform(350_000, 365_000, 5_000), rng.uniform(5_650_000, 5_662_000, 5_000)
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    n = 200_000
    x = rng.uniform(349_000, 366_000, n)  # some outside the frame
    y = rng.uniform(5_649_000, 5_663_000, n)
    result = assign_points(x, y, cells)

    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:25832")
    areas = gpd.GeoDataFrame(geometry=cells, crs="EPSG:25832")
    joined = gpd.sjoin(points, areas, predicate="within", how="left")
    joined = joined[~joined.index.duplicated(keep=False)]  # boundary points: several or none
    expected = np.full(n, -1)
    has = joined["index_right"].notna().to_numpy()
    expected[joined.index[has]] = joined["index_right"][has].astype(int)
    on_boundary = shapely.STRtree(cells).query(points.geometry.values, predicate="touches")
    assert on_boundary.size == 0  # random floats lie on no edge, so `within` decides alone
    assert (result.area_index == expected).all()
    assert result.outside == int((expected < 0).sum()) > 0
    assert np.array_equal(
        counts_of(result, cells.size), np.bincount(expected[expected >= 0], minlength=cells.size)
    )


def three_levels():
    rng = np.random.default_rng(3)
    area_index = rng.integers(-1, 100, 5_000)
    parents = [np.arange(100) // 10, np.array([0, 0, 1, 1, 1, 2, 2, -1, 3, 3])]
    parents[0][17] = -1  # a block without a district
    return area_index, parents, [100, 10, 4]


def test_sum_up_equals_direct_counts_per_level():
    area_index, parents, sizes = three_levels()
    levels = sum_up(area_index, parents, sizes)
    direct0 = np.bincount(area_index[area_index >= 0], minlength=100)
    level1 = np.where(area_index >= 0, parents[0][np.clip(area_index, 0, None)], -1)
    direct1 = np.bincount(level1[level1 >= 0], minlength=10)
    level2 = np.where(level1 >= 0, parents[1][np.clip(level1, 0, None)], -1)
    direct2 = np.bincount(level2[level2 >= 0], minlength=4)
    assert [lv.tolist() for lv in levels] == [direct0.tolist(), direct1.tolist(), direct2.tolist()]
    assert levels[1].dtype.kind == "i"
    assert levels[0].sum() > levels[1].sum() > levels[2].sum()  # orphans are not counted up


def test_sum_up_with_weights():
    area_index, parents, sizes = three_levels()
    weights = np.random.default_rng(4).uniform(0, 3, area_index.size)
    levels = sum_up(area_index, parents, sizes, weights=weights)
    ok = area_index >= 0
    assert np.allclose(levels[0], np.bincount(area_index[ok], weights=weights[ok], minlength=100))
    assert np.isclose(levels[1][3], weights[ok & (area_index // 10 == 3)].sum())
    assert np.isclose(levels[2][0], weights[ok & (area_index < 20) & (area_index != 17)].sum())


def test_sum_up_refuses_inconsistent_hierarchies():
    area_index, parents, sizes = three_levels()
    with pytest.raises(QuartierError):
        sum_up(area_index, parents[:1], sizes)
    with pytest.raises(QuartierError):
        sum_up(area_index, [parents[0], np.array([0, 1, 4, 0, 0, 0, 0, 0, 0, 0])], sizes)
    with pytest.raises(QuartierError):
        sum_up(np.array([100]), parents, sizes)
    with pytest.raises(QuartierError):
        sum_up(np.array([1, 2]), parents, sizes, weights=np.array([1.0, np.nan]))


def test_count_by_splits_the_totals():
    area_index = np.array([0, 0, 1, 2, 2, 2, -1])
    groups = np.array(["0-5", "6-9", "0-5", "6-9", "6-9", "0-5", "0-5"])
    split = count_by(area_index, groups, 4)
    assert list(split) == ["0-5", "6-9"]
    assert split["0-5"].tolist() == [1, 1, 1, 0]
    assert split["6-9"].tolist() == [1, 0, 2, 0]
    assert (split["0-5"] + split["6-9"]).tolist() == np.bincount(
        area_index[area_index >= 0], minlength=4
    ).tolist()


def test_count_by_numbers_and_missing_values():
    area_index = np.array([0, 1, 1, 0])
    split = count_by(area_index, np.array([3, 5, 3, 3]), 2)
    assert {k: v.tolist() for k, v in split.items()} == {"3": [2, 1], "5": [0, 1]}
    mixed = count_by(area_index, np.array([None, 1, "1", float("nan")], dtype=object), 2)
    assert {k: v.tolist() for k, v in mixed.items()} == {"": [2, 0], "1": [0, 2]}
    assert count_by(np.array([-1]), np.array(["a"]), 2) == {}
