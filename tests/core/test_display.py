import numpy as np
import shapely

from quartier.core import display


def decode_ring(flat, origin, scale):
    xy = np.cumsum(np.array(flat, dtype=np.int64).reshape(-1, 2), axis=0) / scale + origin
    return xy


def test_encoding_round_trips_to_a_metre():
    square = shapely.Polygon(
        [(7.1, 51.2), (7.2, 51.2), (7.2, 51.3), (7.1, 51.3)],
        holes=[[(7.14, 51.24), (7.16, 51.24), (7.16, 51.26), (7.14, 51.26)]],
    )
    other = shapely.MultiPolygon(
        [shapely.box(7.3, 51.2, 7.31, 51.21), shapely.box(7.4, 51.2, 7.41, 51.21)]
    )
    doc = display.encode(np.array([square, other], dtype=object))
    assert len(doc["shapes"]) == 2 and len(doc["shapes"][1]) == 2
    exterior, hole = doc["shapes"][0][0]
    ring = decode_ring(exterior, doc["origin"], doc["scale"])
    assert np.allclose(ring, np.asarray(square.exterior.coords)[:-1], atol=1e-5)
    assert len(decode_ring(hole, doc["origin"], doc["scale"])) == 4
    lon, lat = np.array(doc["labels"][0]) / doc["scale"] + doc["origin"]
    assert square.contains(shapely.Point(lon, lat))


def test_coverage_simplification_keeps_shared_edges():
    rng = np.random.default_rng(1)
    points = shapely.multipoints(rng.uniform(0, 0.01, size=(200, 2)) + [7.0, 51.0])
    cells = shapely.get_parts(
        shapely.voronoi_polygons(points, extend_to=shapely.box(7, 51, 7.01, 51.01))
    )
    cells = shapely.intersection(cells, shapely.box(7, 51, 7.01, 51.01))
    simplified = display.simplify(np.asarray(cells), display.tolerance_for(np.full(200, 50.0**2)))
    union_before = shapely.union_all(cells).area
    overlaps = sum(
        shapely.intersection(a, b).area
        for i, a in enumerate(simplified)
        for b in simplified[i + 1 :]
    )
    assert overlaps < 1e-12
    assert abs(shapely.union_all(simplified).area - union_before) < 1e-3 * union_before
