import numpy as np
import pytest
import shapely

from quartier.core import display, geodoc


def decode_ring(flat, origin, scale):
    xy = np.cumsum(np.array(flat, dtype=np.int64).reshape(-1, 2), axis=0) / scale + origin
    return xy


def encoded(geoms):
    """Encoded, packed into the binary document and read back."""
    doc = display.encode(np.array(geoms, dtype=object))
    arrays = {k: doc.pop(k) for k in ("parts", "rings", "vertices", "steps", "labels")}
    return geodoc.unpack(geodoc.pack(doc, arrays))


def test_encoding_round_trips_to_a_metre():
    square = shapely.Polygon(
        [(7.1, 51.2), (7.2, 51.2), (7.2, 51.3), (7.1, 51.3)],
        holes=[[(7.14, 51.24), (7.16, 51.24), (7.16, 51.26), (7.14, 51.26)]],
    )
    other = shapely.MultiPolygon(
        [shapely.box(7.3, 51.2, 7.31, 51.21), shapely.box(7.4, 51.2, 7.41, 51.21)]
    )
    doc = encoded([square, other])
    shapes = display.shapes(doc)
    assert len(shapes) == 2 and len(shapes[1]) == 2
    exterior, hole = shapes[0][0]
    ring = decode_ring(exterior, doc["origin"], doc["scale"])
    assert np.allclose(ring, np.asarray(square.exterior.coords)[:-1], atol=1e-5)
    assert len(decode_ring(hole, doc["origin"], doc["scale"])) == 4
    second = decode_ring(shapes[1][1][0], doc["origin"], doc["scale"])
    assert np.allclose(second, np.asarray(other.geoms[1].exterior.coords)[:-1], atol=1e-5)
    lon, lat = display.absolute(doc)[1][0] / doc["scale"] + doc["origin"]
    assert square.contains(shapely.Point(lon, lat))


def test_areas_without_geometry_keep_every_later_area_in_place():
    # A missing or empty geometry is an area without rings; the old encoding of label
    # points dropped it and shifted every later label onto the wrong area.
    far = shapely.box(7.5, 51.5, 7.51, 51.51)
    doc = encoded([shapely.box(7.1, 51.2, 7.2, 51.3), None, shapely.Polygon(), far])
    assert [len(a) for a in display.shapes(doc)] == [1, 0, 0, 1]
    assert doc["labels"].shape == (4, 2)
    lon, lat = display.absolute(doc)[1][3] / doc["scale"] + doc["origin"]
    assert far.contains(shapely.Point(lon, lat))


def test_repeated_and_closing_vertices_are_left_out():
    # 1e-6 degrees apart: the same vertex after rounding to 1e-5.
    ring = [(7.1, 51.2), (7.1000001, 51.2000001), (7.2, 51.2), (7.2, 51.3), (7.1, 51.3)]
    doc = encoded([shapely.Polygon(ring)])
    assert len(display.shapes(doc)[0][0][0]) == 2 * 4


def test_the_binary_document_refuses_what_the_browser_cannot_map():
    with pytest.raises(ValueError, match="2- or 4-byte"):
        geodoc.pack({}, {"big": np.zeros(3, dtype=np.int64)})
    arrays = {"a": np.arange(-1, 2, dtype=np.int16), "b": np.arange(3, dtype=np.uint32)}
    body = geodoc.pack({"codes": ["ä"]}, arrays)
    assert len(body) % 4 == 0  # the int16 array padded: b starts 4-byte aligned
    doc = geodoc.unpack(body)
    assert (
        doc["codes"] == ["ä"] and doc["a"].tolist() == [-1, 0, 1] and doc["b"].tolist() == [0, 1, 2]
    )
    with pytest.raises(ValueError):
        geodoc.unpack(b"{}" + body[2:])
    with pytest.raises(ValueError):
        geodoc.unpack(body + b"    ")


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


def test_steps_are_int16_where_they_fit_and_int32_across_a_kreis():
    near = [shapely.box(7.1, 51.2, 7.11, 51.21), shapely.box(7.2, 51.2, 7.21, 51.21)]
    far = [near[0], shapely.box(7.5, 51.2, 7.51, 51.21)]  # 0.4 degrees: 40,000 steps
    for geoms, dtype in ((near, np.int16), (far, np.int32)):
        doc = encoded(geoms)
        assert doc["steps"].dtype == dtype
        for shape, geom in zip(display.shapes(doc), geoms, strict=True):
            ring = decode_ring(shape[0][0], doc["origin"], doc["scale"])
            assert np.allclose(ring, np.asarray(geom.exterior.coords)[:-1], atol=1e-5)
