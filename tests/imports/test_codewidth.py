"""Area codes a GIS stored as integers get their leading zeros back (issue 14, point 3).

The real Berlin Bezirksregionen, written as a GeoPackage (EPSG:4326) and a shapefile
(EPSG:3035) whose BZR_ID is an integer field: 109 of the 143 official 6-digit codes
start with 0, so only 34 keep 6 digits as numbers.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from pyogrio.raw import read as ogr_read

from quartier.imports.codewidth import decide, numeric_codes, pad_code, propose
from quartier.imports.geofiles import open_source, resolve_crs
from quartier.imports.geometry_import import LevelTarget, import_level
from quartier.imports.georead import read_features
from tests.imports.test_geometry_import import LOR, read, shapefile

BZR = LOR / "lor_bezirksregionen_2021.shp"


def official_codes() -> set[str]:
    _meta, _fids, _geoms, (codes,) = ogr_read(BZR, columns=["BZR_ID"], read_geometry=False)
    return {str(c) for c in codes}


def integer_copy(folder: Path, name: str, crs: str) -> Path:
    """The Bezirksregionen with BZR_ID and BEZ as integer fields, reprojected to ``crs``."""
    frame = gpd.read_file(BZR)
    frame["BZR_ID"] = frame["BZR_ID"].astype("int64")
    frame["BEZ"] = frame["BEZ"].astype("int64")
    path = folder / name
    frame.to_crs(crs).to_file(path)
    return path


@pytest.fixture(scope="module")
def integer_gpkg(tmp_path_factory) -> Path:
    return integer_copy(tmp_path_factory.mktemp("int"), "bezirksregionen.gpkg", "EPSG:4326")


def read_integer(path: Path, width: int | None):
    source = open_source(path)
    return read_features(
        source,
        code_field="BZR_ID",
        name_field="BZR_NAME",
        crs=resolve_crs(source, None),
        code_width=width,
    )


def test_the_widest_codes_set_the_width_not_the_commonest(integer_gpkg):
    source = open_source(integer_gpkg)
    numbers = numeric_codes(source)["BZR_ID"]
    proposal = propose("BZR_ID", numbers)
    # Most stored numbers have 5 digits; padding to the commonest width would change nothing.
    assert proposal.digits == {5: 109, 6: 34}
    assert proposal.proposed == 6
    changed = [(a, b) for a, b in proposal.samples if a != b]
    assert changed and all(b == "0" + a and len(b) == 6 for a, b in changed)
    assert any(a == b and len(b) == 6 for a, b in proposal.samples)  # and one that stays
    assert "6 Stellen" in proposal.note and "5 Stellen: 109" in proposal.note


def test_integer_codes_are_restored_when_read(integer_gpkg, tmp_path):
    width, _proposal = decide(open_source(integer_gpkg), "BZR_ID", None, None)
    assert width == 6
    result = read_integer(integer_gpkg, width)
    assert set(result.codes) == official_codes()
    assert any(
        "109 von 143 Codes" in f.message and "76012 → 076012" in f.message for f in result.findings
    )
    # The same in a shapefile in LAEA Europe: integer fields there too lose their zeros.
    shp = integer_copy(tmp_path, "bzr.shp", "EPSG:3035")
    width, _proposal = decide(open_source(shp), "BZR_ID", None, None)
    assert width == 6
    assert set(read_integer(shp, width).codes) == official_codes()


def test_text_fields_and_running_numbers_are_left_alone():
    assert "BZR_ID" not in numeric_codes(open_source(BZR))  # text keeps its zeros anyway
    districts = propose("BEZ", list(range(1, 13)))
    assert districts.proposed is None and "laufende" in districts.reason
    same = propose("SCHL", [110, 120, 130])
    assert same.proposed is None and "alle Codes haben 3 Stellen" in same.reason
    assert pad_code("7", 3) == "007" and pad_code("A7", 3) == "A7" and pad_code("1234", 3) == "1234"


def test_an_existing_level_decides_the_width():
    # Only Bezirke 01–09: every number has 5 digits, but the level's codes have 6.
    proposal = propose("BZR_ID", [11001, 11002, 92001], known=["011001", "011002", "120101"])
    assert proposal.proposed == 6 and "vorhandenen Gebiete" in proposal.reason


@pytest.mark.django_db
def test_reimport_with_integer_codes_keeps_the_areas(integer_gpkg, tmp_path):
    import_level(
        read(shapefile(LOR, "lor_bezirksregionen_2021"), tmp_path), LevelTarget("bzr", "BZR")
    )
    # Kept as numbers on purpose (width 0): the codes still match the areas they name, as in
    # table imports (quartier.imports.codes), so nothing is closed or created.
    report = import_level(read_integer(integer_gpkg, None), LevelTarget("bzr", "BZR"))
    assert (report.created, report.closed, report.new_versions) == (0, 0, 0)
    assert report.unchanged == 143
    assert any("109 Codes passen nur ohne führende Nullen" in f.message for f in report.findings)
