"""Reading features: field guessing, codes, repair, reprojection, areas — with real data."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pyproj
import pytest
import shapely
from pyogrio.raw import read as ogr_read

from quartier.errors import QuartierError
from quartier.imports.geofiles import GeoSource, open_source, resolve_crs, stage_upload
from quartier.imports.georead import (
    Finding,
    GeoRead,
    guess_fields,
    read_features,
    sample_values,
)
from quartier.imports.placement import GERMANY, Extent, overlap, relation

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LOR = DATA / "berlin-lor-2021-geometrien"
KOELN = DATA / "koeln-stadtteile-2012"
BZR = LOR / "lor_bezirksregionen_2021.shp"


def read_all(path: Path, chosen: str | None = None) -> tuple[GeoSource, GeoRead, tuple]:
    """The whole pipeline as the import wizard runs it, with guessed fields."""
    source = open_source(path)
    fields = guess_fields(source.fields, sample_values(source))
    code, name = fields
    result = read_features(
        source, code_field=code, name_field=name, crs=resolve_crs(source, chosen)
    )
    return source, result, fields


def feature_collection(tmp_path: Path, features: list[tuple[dict, dict | None]]) -> Path:
    path = tmp_path / "gebiete.geojson"
    path.write_text(json.dumps({
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }))  # fmt: skip
    return path


def square(x: float, y: float, size: float = 0.01) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def bounds(result: GeoRead) -> np.ndarray:
    return shapely.total_bounds(np.asarray(result.geometries, dtype=object))


# --- Berlin LOR 2021 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "count", "code", "name", "area_field", "width"),
    [
        ("lor_planungsraeume_2021", 542, "PLR_ID", "PLR_NAME", "GROESSE_M2", 8),
        ("lor_bezirksregionen_2021", 143, "BZR_ID", "BZR_NAME", "GROESSE_m2", 6),
        ("lor_prognoseraeume_2021", 58, "PGR_ID", "PGR_NAME", "GROESSE_M2", 4),
    ],
)
def test_berlin_lor_levels(stem, count, code, name, area_field, width):
    _, result, fields = read_all(LOR / f"{stem}.shp")
    assert fields == (code, name)
    assert len(result.codes) == len(result.names) == len(result.geometries) == count
    assert len(set(result.codes)) == count
    assert all(len(c) == width and c.isdigit() for c in result.codes)
    assert sum(c.startswith("0") for c in result.codes) > count // 10  # leading zeros kept
    assert result.findings == [] and result.skipped == 0
    assert result.source_crs == "EPSG:25833"
    assert all(shapely.is_valid(g) and g.geom_type in ("Polygon", "MultiPolygon")
               for g in result.geometries)  # fmt: skip
    xmin, ymin, xmax, ymax = bounds(result)
    assert 13.08 < xmin < xmax < 13.77 and 52.33 < ymin < ymax < 52.68  # lon, lat order
    _, _, _, (ids, sizes) = ogr_read(LOR / f"{stem}.shp", columns=[code, area_field],
                                     read_geometry=False)  # fmt: skip
    expected = dict(zip(ids, sizes, strict=True))
    for c, area in zip(result.codes, result.area_m2, strict=True):
        assert area == pytest.approx(expected[c], rel=0.005), c


def test_berlin_planungsraum_keeps_its_leading_zero():
    _, result, _ = read_all(LOR / "lor_planungsraeume_2021.shp")
    assert "01100101" in result.codes
    assert "Schloßstraße" in result.names  # UTF-8 names via the .cpg


# --- Köln --------------------------------------------------------------------------------


def test_koeln_stadtteile_with_custom_crs_invalid_polygon_and_latin_names():
    source, result, fields = read_all(KOELN / "Stadtteil.shp")
    assert fields == ("STT_NR", "STT_NAME")
    assert len(result.codes) == 86 and result.skipped == 0
    xmin, ymin, xmax, ymax = bounds(result)
    assert 6.765 < xmin < xmax < 7.165 and 50.825 < ymin < ymax < 51.085  # SOURCE.md, rounded
    # The data's own EPSG:4326 copy (6 decimals) agrees to about a metre.
    reference = pyogrio.read_info(KOELN / "derived" / "stadtteile_koeln_epsg4326.geojson")
    assert bounds(result) == pytest.approx(reference["total_bounds"], abs=2e-5)
    assert "Dellbrück" in result.names and "Mülheim" in result.names
    assert not any("Ã" in n or "\ufffd" in n for n in result.names)
    assert any("erkannt: Windows-1252" in note for note in source.notes)
    # No EPSG code: the full WKT is kept, with its false easting of 2,500,000 m.
    assert result.source_crs.startswith("PROJCRS") and "2500000" in result.source_crs
    repaired = [f for f in result.findings if f.code == "202"]
    assert len(repaired) == 1 and repaired[0].severity == "warning"
    message = repaired[0].message
    assert "202 (Marienburg)" in message and "Selbstüberschneidung" in message
    assert "repariert" in message
    assert [f.code for f in result.findings] == ["202"]
    assert all(shapely.is_valid(g) for g in result.geometries)
    _, _, _, (ids, sizes) = ogr_read(KOELN / "Stadtteil.shp", columns=["STT_NR", "SHAPE_AREA"],
                                     read_geometry=False)  # fmt: skip
    expected = dict(zip(ids, sizes, strict=True))
    for c, area in zip(result.codes, result.area_m2, strict=True):
        assert area == pytest.approx(expected[c], rel=0.005), c


def test_koeln_stadtbezirke_codes_are_not_padded():
    _, result, fields = read_all(KOELN / "Stadtbezirk.shp")
    assert fields == ("STB_NR", "STB_NAME")
    assert sorted(result.codes) == [str(i) for i in range(1, 10)]
    assert "Innenstadt" in result.names


def test_koeln_read_in_the_wrong_crs_is_flagged(tmp_path):
    for suffix in (".shp", ".shx", ".dbf"):
        shutil.copyfile(KOELN / f"Stadtbezirk{suffix}", tmp_path / f"Stadtbezirk{suffix}")
    # Without the .prj a user might pick EPSG:25832: 2,000,000 m too far east.
    _, result, _ = read_all(tmp_path / "Stadtbezirk.shp", "EPSG:25832")
    # The location check (quartier.imports.placement) flags it before anything is stored.
    germany = Extent("Deutschlands", GERMANY)
    bbox = shapely.total_bounds(result.geometries)
    assert overlap(bbox, germany.box) == 0
    assert "liegen nicht im Bereich Deutschlands" in relation(bbox, germany, 0.0)


def test_degrees_read_as_metres_are_refused(tmp_path):
    for suffix in (".shp", ".shx", ".dbf", ".cpg"):
        shutil.copyfile(BZR.with_suffix(suffix), tmp_path / f"b{suffix}")
    with pytest.raises(QuartierError, match="passen nicht zum Koordinatensystem"):
        read_all(tmp_path / "b.shp", "EPSG:4326")


# --- formats -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bzr_codes() -> dict[str, str]:
    result = read_all(BZR)[1]
    return dict(zip(result.codes, result.names, strict=True))


@pytest.mark.parametrize(
    ("suffix", "driver", "wgs84"),
    [
        (".gpkg", "GPKG", False),
        (".fgb", "FlatGeobuf", False),
        (".geojson", "GeoJSON", True),
        (".kml", "KML", True),
        (".gml", "GML", False),
    ],
)
def test_formats_round_trip(tmp_path, bzr_codes, suffix, driver, wgs84):
    frame = pyogrio.read_dataframe(BZR)
    if wgs84:
        frame = frame.to_crs(4326)
    pyogrio.write_dataframe(frame, tmp_path / f"bzr{suffix}", driver=driver)
    path = stage_upload([(f"Bezirksregionen{suffix}", tmp_path / f"bzr{suffix}")], tmp_path / "w")
    source, result, fields = read_all(path)
    assert source.feature_count == 143
    assert fields == ("BZR_ID", "BZR_NAME")
    # Same codes and names; FlatGeobuf's spatial index may change the order.
    assert dict(zip(result.codes, result.names, strict=True)) == bzr_codes
    assert result.skipped == 0
    xmin, ymin, xmax, ymax = bounds(result)
    assert 13.08 < xmin < xmax < 13.77 and 52.33 < ymin < ymax < 52.68


def test_zipped_shapefile_round_trip(tmp_path, bzr_codes):
    with zipfile.ZipFile(tmp_path / "x.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            zf.write(BZR.with_suffix(suffix), f"LOR/{BZR.stem}{suffix}")
    path = stage_upload([("LOR.zip", tmp_path / "x.zip")], tmp_path / "w")
    result = read_all(path)[1]
    assert dict(zip(result.codes, result.names, strict=True)) == bzr_codes


# --- field guessing ----------------------------------------------------------------------


def test_guess_prefers_a_code_field_over_technical_ids():
    fields = ["OBJECTID", "gml_id", "GEB_NR", "Shape_Area", "GEBIETSNAME"]
    sample = {
        "OBJECTID": [1, 2, 3],
        "gml_id": ["g.1", "g.2", "g.3"],
        "GEB_NR": ["0101", "0102", "0201"],
        "Shape_Area": [1234.5, 2345.25, 99.75],
        "GEBIETSNAME": ["Altstadt", "Neustadt", "Hafen"],
    }
    assert guess_fields(fields, sample) == ("GEB_NR", "GEBIETSNAME")


def test_guess_skips_fields_that_are_not_unique_or_not_complete():
    fields = ["BEZ", "SCHLUESSEL", "ID", "NAME"]
    sample = {
        "BEZ": ["01", "01", "02"],
        "SCHLUESSEL": ["A1", None, "A3"],
        "ID": [7, 8, 9],
        "NAME": ["Nord", "Süd", "West"],
    }
    assert guess_fields(fields, sample) == ("ID", "NAME")


def test_guess_finds_nothing_in_unrelated_fields():
    fields = ["Flaeche", "Kommentar", "Jahr"]
    sample = {"Flaeche": [1.5, 2.5], "Kommentar": ["x", "y"], "Jahr": [2020, 2020]}
    assert guess_fields(fields, sample) == (None, None)


def test_sample_values_are_plain_and_limited():
    source = open_source(LOR / "lor_planungsraeume_2021.shp")
    sample = sample_values(source, n=5)
    assert set(sample) == set(source.fields)
    assert all(len(v) == 5 for v in sample.values())
    assert all(type(v) is str for v in sample["PLR_ID"])
    assert all(type(v) is float for v in sample["GROESSE_M2"])


# --- bad features ------------------------------------------------------------------------


def read_geojson(tmp_path, features, code="NR", name="NAME"):
    source = open_source(feature_collection(tmp_path, features))
    return read_features(source, code_field=code, name_field=name, crs=resolve_crs(source, None))


def test_numeric_codes_become_text_without_decimal_point(tmp_path):
    result = read_geojson(tmp_path, [
        ({"NR": 1, "NAME": "Eins"}, square(7.0, 51.0)),
        ({"NR": 2, "NAME": "Zwei"}, square(7.1, 51.0)),
        ({"NR": 3, "NAME": None}, square(7.2, 51.0)),
    ])  # fmt: skip
    assert result.codes == ["1", "2", "3"]
    assert result.names == ["Eins", "Zwei", "3"]  # no name: the code stands in


def test_missing_code_is_skipped_and_reported(tmp_path):
    result = read_geojson(tmp_path, [
        ({"NR": 1, "NAME": "Eins"}, square(7.0, 51.0)),
        ({"NR": None, "NAME": "Ohne"}, square(7.1, 51.0)),
        ({"NR": 3, "NAME": "Drei"}, square(7.2, 51.0)),
    ])  # fmt: skip
    assert result.codes == ["1", "3"]  # integers with a gap arrive as floats: still no ".0"
    assert result.skipped == 1
    assert result.findings == [
        Finding("warning", None, "Objekt Nr. 2 hat keinen Wert im Feld „NR“ und wird nicht "
                "übernommen.", "no_code")
    ]  # fmt: skip


def test_codes_keep_leading_zeros_and_lose_blanks(tmp_path):
    result = read_geojson(tmp_path, [({"NR": " 007 ", "NAME": " Mitte "}, square(7.0, 51.0))])
    assert result.codes == ["007"] and result.names == ["Mitte"]


def test_duplicate_codes_keep_the_first_and_are_errors(tmp_path):
    result = read_geojson(tmp_path, [
        ({"NR": "01", "NAME": "Erstes"}, square(7.0, 51.0)),
        ({"NR": "02", "NAME": "Zweites"}, square(7.1, 51.0)),
        ({"NR": "01", "NAME": "Doppelt"}, square(7.2, 51.0)),
        ({"NR": "01", "NAME": "Dreifach"}, square(7.3, 51.0)),
    ])  # fmt: skip
    assert result.codes == ["01", "02"] and result.names == ["Erstes", "Zweites"]
    assert result.skipped == 2
    errors = [f for f in result.findings if f.severity == "error"]
    assert [f.code for f in errors] == ["01", "01"]
    assert "Objekte Nr. 1 und 3" in errors[0].message and "Nr. 1 und 4" in errors[1].message


def test_empty_and_missing_geometries_are_skipped(tmp_path):
    result = read_geojson(tmp_path, [
        ({"NR": "1", "NAME": "Gut"}, square(7.0, 51.0)),
        ({"NR": "2", "NAME": "Ohne"}, None),
        ({"NR": "3", "NAME": "Leer"}, {"type": "Polygon", "coordinates": []}),
    ])  # fmt: skip
    assert result.codes == ["1"] and result.skipped == 2
    assert [(f.severity, f.code) for f in result.findings] == [("warning", "2"), ("warning", "3")]
    assert all("keine Geometrie" in f.message for f in result.findings)


def test_points_and_lines_in_a_polygon_layer_are_skipped(tmp_path):
    line = {"type": "LineString", "coordinates": [[7.0, 51.0], [7.1, 51.1]]}
    mixed = {"type": "GeometryCollection", "geometries": [square(7.3, 51.0), line]}
    result = read_geojson(tmp_path, [
        ({"NR": "1", "NAME": "Fläche"}, square(7.0, 51.0)),
        ({"NR": "2", "NAME": "Schule"}, {"type": "Point", "coordinates": [7.1, 51.0]}),
        ({"NR": "3", "NAME": "Straße"}, line),
        ({"NR": "4", "NAME": "Gemischt"}, mixed),
    ])  # fmt: skip
    assert result.codes == ["1", "4"] and result.skipped == 2
    assert result.geometries[1].geom_type == "Polygon"
    messages = {f.code: f.message for f in result.findings}
    assert "keine Fläche, sondern ein Punkt" in messages["2"]
    assert "keine Fläche, sondern eine Linie" in messages["3"]
    assert "entfallen" in messages["4"]


def test_bow_tie_is_repaired_to_a_multipolygon(tmp_path):
    bow = {
        "type": "Polygon",
        "coordinates": [[[7, 51], [7.1, 51.1], [7.1, 51], [7, 51.1], [7, 51]]],
    }
    result = read_geojson(tmp_path, [({"NR": "9", "NAME": "Schleife"}, bow)])
    geom = result.geometries[0]
    assert shapely.is_valid(geom) and geom.geom_type == "MultiPolygon"
    assert result.area_m2[0] > 0
    assert result.findings[0].message.startswith("Geometrie von 9 (Schleife) war ungültig (")


def test_layer_with_only_points_is_refused_by_read_features(tmp_path):
    path = feature_collection(tmp_path, [({"NR": "1"}, {"type": "Point", "coordinates": [7, 51]})])
    source = GeoSource(path=path, layers=["gebiete"], layer="gebiete", driver="GeoJSON",
                       fields=["NR"], feature_count=1, crs_wkt=None, crs_label="",
                       encoding=None, notes=[])  # fmt: skip
    with pytest.raises(QuartierError, match="keine Flächen"):
        read_features(source, code_field="NR", name_field=None, crs=pyproj.CRS(4326))


def test_nothing_usable_is_an_error(tmp_path):
    with pytest.raises(QuartierError, match="Keines der Objekte"):
        read_geojson(tmp_path, [({"NR": None, "NAME": "x"}, square(7.0, 51.0))])


def test_unknown_field_is_refused(tmp_path):
    with pytest.raises(QuartierError, match="Das Feld „CODE“ gibt es"):
        read_geojson(tmp_path, [({"NR": "1", "NAME": "x"}, square(7.0, 51.0))], code="CODE")
