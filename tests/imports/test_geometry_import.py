"""Geometry imports into the database: Berlin LOR as three nested levels, Köln, new versions."""

from datetime import date
from pathlib import Path

import pytest
import shapely

from quartier.errors import QuartierError
from quartier.imports.geofiles import open_source, resolve_crs, stage_upload
from quartier.imports.geometry_import import LevelTarget, import_level
from quartier.imports.georead import GeoRead, guess_fields, read_features, sample_values
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import Indicator, Value
from quartier.spatial.models import Area, Level

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LOR = DATA / "berlin-lor-2021-geometrien"
KOELN = DATA / "koeln-stadtteile-2012"


def read(paths, tmp_path, crs=None) -> GeoRead:
    staged = stage_upload([(p.name, p) for p in paths], tmp_path / paths[0].stem)
    source = open_source(staged)
    code, name = guess_fields(source.fields, sample_values(source))
    return read_features(source, code_field=code, name_field=name, crs=resolve_crs(source, crs))


def shapefile(folder: Path, stem: str) -> list[Path]:
    return sorted(folder.glob(f"{stem}.*"))


@pytest.fixture
def berlin(tmp_path):
    reports = []
    for stem, key, name, parent in [
        ("lor_prognoseraeume_2021", "prognoseraum", "Prognoseraum", None),
        ("lor_bezirksregionen_2021", "bezirksregion", "Bezirksregion", "prognoseraum"),
        ("lor_planungsraeume_2021", "planungsraum", "Planungsraum", "bezirksregion"),
    ]:
        reports.append(
            import_level(read(shapefile(LOR, stem), tmp_path), LevelTarget(key, name, parent))
        )
    return reports


def test_berlin_lor_as_three_nested_levels(berlin):
    pgr, bzr, plr = berlin
    assert (pgr.created, bzr.created, plr.created) == (58, 143, 542)
    assert bzr.with_parent == 143 and plr.with_parent == 542
    assert plr.not_nested == [] and bzr.not_nested == []
    for area in Area.objects.filter(level__key="planungsraum").select_related("parent"):
        assert area.code.startswith(area.parent.code), area.code
    levels = list(Level.objects.filter(key__in=["prognoseraum", "bezirksregion", "planungsraum"]))
    by_key = {lv.key: lv for lv in levels}
    assert by_key["planungsraum"].parent == by_key["bezirksregion"]
    assert (
        by_key["prognoseraum"].order < by_key["bezirksregion"].order < by_key["planungsraum"].order
    )
    area = Area.objects.get(level__key="planungsraum", code="01100101")
    assert area.source_crs == "EPSG:25833"
    assert 13.08 < area.shape.centroid.x < 13.77 and 52.33 < area.shape.centroid.y < 52.68


def test_koeln_custom_projection_and_repair(tmp_path):
    bezirke = read(shapefile(KOELN, "Stadtbezirk"), tmp_path)
    import_level(bezirke, LevelTarget("bezirk_k", "Stadtbezirk Köln"))
    teile = read(shapefile(KOELN, "Stadtteil"), tmp_path)
    report = import_level(teile, LevelTarget("teil_k", "Stadtteil Köln", "bezirk_k"))
    assert report.created == 86 and report.with_parent == 86
    assert any("202" in f.message and "repariert" in f.message for f in report.findings)
    bounds = shapely.total_bounds([a.shape for a in Area.objects.filter(level__key="teil_k")])
    assert bounds[0] > 6.76 and bounds[2] < 7.17 and bounds[1] > 50.82 and bounds[3] < 51.09
    assert Area.objects.filter(level__key="teil_k", name="Dellbrück").exists()
    assert sorted(Area.objects.filter(level__key="bezirk_k").values_list("code", flat=True)) == [
        str(i) for i in range(1, 10)
    ]


def test_reimport_with_changed_boundaries_creates_a_version(tmp_path, berlin):
    first = read(shapefile(LOR, "lor_bezirksregionen_2021"), tmp_path)
    old = Area.objects.get(level__key="bezirksregion", code=first.codes[0])
    ind = Indicator.objects.get(key="ew_gesamt")
    batch = create_batch("alt.csv")
    write_values(batch, [(ind.id, old.id, date(2020, 12, 31), 1234.0, "")])
    changed = GeoRead(
        codes=first.codes,
        names=first.names,
        geometries=[shapely.affinity.scale(first.geometries[0], 0.9, 0.9), *first.geometries[1:]],
        area_m2=first.area_m2,
        source_crs=first.source_crs,
        findings=[],
        skipped=0,
    )
    with pytest.raises(QuartierError, match="gültig ab"):
        import_level(changed, LevelTarget("bezirksregion", "Bezirksregion", "prognoseraum"))
    report = import_level(
        changed, LevelTarget("bezirksregion", "Bezirksregion", "prognoseraum", date(2023, 1, 1))
    )
    assert (report.new_versions, report.unchanged, report.created) == (1, 142, 0)
    versions = Area.objects.filter(level__key="bezirksregion", code=first.codes[0]).order_by("id")
    assert [(a.valid_from, a.valid_to) for a in versions] == [
        (None, date(2023, 1, 1)),
        (date(2023, 1, 1), None),
    ]
    # the value stays attached to the boundaries it was measured on
    assert Value.objects.get(batch=batch).area_id == old.id
    # the Planungsräume now point to the new version
    new = versions.last()
    assert Area.objects.filter(
        level__key="planungsraum", valid_to__isnull=True, parent=new
    ).exists()


def test_area_outside_its_parent_is_listed(tmp_path, berlin):
    plr = read(shapefile(LOR, "lor_planungsraeume_2021"), tmp_path)
    moved = [shapely.affinity.translate(plr.geometries[0], xoff=0.02)] + plr.geometries[1:3]
    subset = GeoRead(
        codes=plr.codes[:3],
        names=plr.names[:3],
        geometries=moved,
        area_m2=plr.area_m2[:3],
        source_crs=plr.source_crs,
        findings=[],
        skipped=0,
    )
    report = import_level(subset, LevelTarget("test_plr", "Test", "bezirksregion"))
    assert [n.code for n in report.not_nested] == [plr.codes[0]]
    assert report.not_nested[0].share < 0.95


def test_errors_in_the_file_block_the_import(tmp_path):
    from quartier.imports.georead import Finding

    bad = GeoRead(
        codes=["1"],
        names=["x"],
        geometries=[shapely.box(7, 51, 7.1, 51.1)],
        area_m2=[1.0],
        source_crs="EPSG:4326",
        findings=[Finding("error", "1", "Schlüssel 1 kommt doppelt vor.")],
        skipped=1,
    )
    with pytest.raises(QuartierError, match="doppelt"):
        import_level(bad, LevelTarget("x", "X"))
    assert not Level.objects.filter(key="x").exists()


def test_import_prepares_the_display_and_a_real_reimport_drops_it(tmp_path):
    from django.db import transaction

    from quartier.imports.geometry_import import prepare_display
    from quartier.spatial.models import StoredDisplay

    files = shapefile(LOR, "lor_prognoseraeume_2021")
    import_level(read(files, tmp_path / "a"), LevelTarget("prognoseraum", "Prognoseraum"))
    assert not StoredDisplay.objects.filter(level__key="prognoseraum").exists()
    prepare_display("prognoseraum")
    assert StoredDisplay.objects.filter(level__key="prognoseraum").count() == 1
    try:  # a dry run (as the wizard's check) is rolled back and keeps the document
        with transaction.atomic():
            import_level(read(files, tmp_path / "b"), LevelTarget("prognoseraum", "Prognoseraum"))
            raise RuntimeError
    except RuntimeError:
        pass
    assert StoredDisplay.objects.filter(level__key="prognoseraum").count() == 1
    import_level(read(files, tmp_path / "c"), LevelTarget("prognoseraum", "Prognoseraum"))
    assert not StoredDisplay.objects.filter(level__key="prognoseraum").exists()
