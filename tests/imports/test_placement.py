"""The location check of geometry imports (issue 14, point 4), with real Berlin data.

A shapefile without .prj read in EPSG:25832 instead of Berlin's EPSG:25833 lands 6° west
— still in Germany. It must be flagged against the levels that exist, and EPSG:25833
named as the coordinate system that fits.
"""

from __future__ import annotations

import json
import shutil

import pytest

from quartier.imports.geofiles import open_source, resolve_crs
from quartier.imports.geometry_import import LevelTarget, import_level
from quartier.imports.geopreview import preview
from quartier.imports.georead import guess_fields, read_features, sample_values
from quartier.imports.placement import (
    GERMANY,
    Extent,
    check_placement,
    lines,
    propose_crs,
    suggest,
)
from tests.imports.test_geometry_import import LOR, read, shapefile

pytestmark = pytest.mark.django_db


@pytest.fixture
def prognoseraeume(tmp_path):
    """Berlin's Prognoseräume as a level (from the shapefile with its .prj)."""
    pgr = read(shapefile(LOR, "lor_prognoseraeume_2021"), tmp_path)
    import_level(pgr, LevelTarget("prognoseraum", "Prognoseraum"))


@pytest.fixture
def without_prj(tmp_path):
    """The Bezirksregionen shapefile without its .prj."""
    for suffix in (".shp", ".shx", ".dbf", ".cpg"):
        shutil.copyfile(LOR / f"lor_bezirksregionen_2021{suffix}", tmp_path / f"bzr{suffix}")
    return open_source(tmp_path / "bzr.shp")


def read_in(source, crs: str):
    code, name = guess_fields(source.fields, sample_values(source))
    return read_features(source, code_field=code, name_field=name, crs=resolve_crs(source, crs))


def test_wrong_crs_is_flagged_beside_the_existing_level_and_the_right_one_named(
    prognoseraeume, without_prj
):
    chosen = resolve_crs(without_prj, "EPSG:25832")
    placement = check_placement(
        read_in(without_prj, "EPSG:25832"),
        chosen,
        crs_from_file=False,
        target_key="bezirksregion",
        parent_key="prognoseraum",
    )
    assert not placement.plausible and placement.share == 0
    assert "Prognoseraum" in placement.reference
    assert "km westlich davon" in placement.relation
    assert [s.crs for s in placement.suggestions] == ["EPSG:25833"]
    assert placement.warning.startswith(placement.relation)
    assert "Mit EPSG:25833 (ETRS89 / UTM zone 33N) lägen sie im Bereich" in placement.warning
    text = "\n".join(lines(placement))
    assert "None" not in text and "143 Gebiete" in text and "Achtung: Die Gebiete" in text

    right = check_placement(
        read_in(without_prj, "EPSG:25833"),
        resolve_crs(without_prj, "EPSG:25833"),
        crs_from_file=False,
        target_key="bezirksregion",
        parent_key="prognoseraum",
    )
    assert right.plausible and right.share == pytest.approx(1.0, abs=0.01)
    assert right.warning == "" and right.suggestions == []


def test_a_file_without_crs_gets_the_fitting_one_preselected(prognoseraeume, without_prj):
    crs, note = propose_crs(without_prj.bounds, "EPSG:25832")
    assert crs == "EPSG:25833" and "vorausgewählt" in note


def test_in_germany_two_utm_zones_fit_and_both_are_named(without_prj):
    germany = [Extent("Deutschlands", GERMANY)]
    fits = suggest(without_prj.bounds, "", germany)
    assert {s.crs for s in fits} == {"EPSG:25832", "EPSG:25833"}
    lon = {s.crs: s.lon for s in fits}
    assert 7.2 < lon["EPSG:25832"] < 7.6 and 13.2 < lon["EPSG:25833"] < 13.6


def test_preview_holds_the_new_areas_and_the_existing_outline(prognoseraeume, tmp_path):
    bzr = read(shapefile(LOR, "lor_bezirksregionen_2021"), tmp_path)
    placement = check_placement(
        bzr,
        resolve_crs(open_source(LOR / "lor_bezirksregionen_2021.shp"), None),
        crs_from_file=True,
        target_key="bezirksregion",
        parent_key="prognoseraum",
    )
    assert placement.plausible and placement.warning == ""
    data = preview(bzr, placement)
    assert len(data["areas"]["features"]) == 143
    assert {f["properties"]["code"] for f in data["areas"]["features"]} == set(bzr.codes)
    assert len(data["context"]["features"]) == 1  # Berlin's outline from the Prognoseräume
    assert data["germany"] is None and data["plausible"] is True
    assert len(json.dumps(data)) < 400_000  # simplified for a small map
