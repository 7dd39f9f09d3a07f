"""Staging and opening uploaded geometry files, with the real Berlin and Köln shapefiles."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pyproj
import pytest

from quartier.errors import QuartierError
from quartier.imports import staging
from quartier.imports.geofiles import open_source, resolve_crs, stage_upload
from quartier.imports.georead import sample_values

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LOR = DATA / "berlin-lor-2021-geometrien"
KOELN = DATA / "koeln-stadtteile-2012"
BZR = "lor_bezirksregionen_2021"
PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def copy_parts(folder: Path, stem: str, target: Path, suffixes=PARTS) -> Path:
    """Copy one shapefile's parts into a writable folder (the data folder is read-only)."""
    target.mkdir(parents=True, exist_ok=True)
    for suffix in suffixes:
        if (folder / f"{stem}{suffix}").exists():
            shutil.copyfile(folder / f"{stem}{suffix}", target / f"{stem}{suffix}")
            os.chmod(target / f"{stem}{suffix}", 0o644)
    return target / f"{stem}.shp"


def upload(tmp_path: Path, name: str, content: bytes) -> tuple[str, Path]:
    """An uploaded file as the web layer hands it over: original name, random temp path."""
    tmp = tmp_path / "uploads" / f"tmp{len(list(tmp_path.glob('uploads/*')))}.upload"
    tmp.parent.mkdir(exist_ok=True)
    tmp.write_bytes(content)
    return name, tmp


def make_zip(path: Path, members: dict[str, bytes | Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            zf.writestr(name, data)
    return path


def bzr_members(prefix: str = "") -> dict[str, Path]:
    return {f"{prefix}{BZR}{s}": LOR / f"{BZR}{s}" for s in PARTS}


# --- the real files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "count", "fields"),
    [
        ("lor_planungsraeume_2021", 542, ["PLR_ID", "PLR_NAME", "BEZ", "STAND", "GROESSE_M2"]),
        ("lor_bezirksregionen_2021", 143, ["BZR_ID", "BZR_NAME", "BEZ", "STAND", "GROESSE_m2"]),
        ("lor_prognoseraeume_2021", 58, ["PGR_ID", "PGR_NAME", "BEZ", "STAND", "GROESSE_M2"]),
    ],
)
def test_berlin_lor_shapefiles_open_with_epsg_25833(stem, count, fields):
    source = open_source(LOR / f"{stem}.shp")
    assert source.driver == "ESRI Shapefile"
    assert source.layers == [stem] and source.layer == stem
    assert source.feature_count == count
    assert source.fields == fields
    assert source.crs_label == "EPSG:25833"
    assert source.encoding == "UTF-8"  # from the .cpg
    assert source.notes == []
    assert resolve_crs(source, None).to_epsg() == 25833


def test_koeln_custom_crs_is_kept_and_labelled():
    source = open_source(KOELN / "Stadtteil.shp")
    assert source.feature_count == 86
    assert source.crs_label.startswith("Benutzerdefiniert: ")
    assert "kein EPSG-Code" in source.crs_label
    assert any("keinen EPSG-Code" in note for note in source.notes)
    crs = resolve_crs(source, "EPSG:25832")  # the file's own CRS wins over a choice
    assert crs.to_epsg(min_confidence=70) is None
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(2357379, 5641201)
    assert 6.77 < lon < 7.16 and 50.83 < lat < 51.08


def test_koeln_dbf_without_cpg_is_detected_as_windows_1252():
    source = open_source(KOELN / "Stadtteil.shp")
    assert source.encoding == "cp1252"
    assert "Zeichenkodierung der DBF-Datei nicht angegeben; erkannt: Windows-1252." in source.notes


# --- encodings ---------------------------------------------------------------------------


def _write_named_shapefile(folder: Path, encoding: str, ldid: int, cpg: str | None) -> Path:
    import geopandas as gpd
    import pyogrio
    import shapely

    folder.mkdir()
    frame = gpd.GeoDataFrame(
        {"NR": ["1", "2"], "NAME": ["Dellbrück", "Köln-Mülheim"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 1, 2, 2)],
        crs="EPSG:25832",
    )
    pyogrio.write_dataframe(frame, folder / "x.shp", encoding=encoding)
    (folder / "x.cpg").unlink(missing_ok=True)
    if cpg is not None:
        (folder / "x.cpg").write_text(cpg)
    dbf = bytearray((folder / "x.dbf").read_bytes())
    dbf[29] = ldid  # the dBase language-driver byte; 0 = "not said"
    (folder / "x.dbf").write_bytes(bytes(dbf))
    return folder / "x.shp"


def test_utf8_dbf_without_cpg_is_detected(tmp_path):
    # GDAL alone would read these bytes as ISO-8859-1 and show "DellbrÃ¼ck".
    source = open_source(_write_named_shapefile(tmp_path / "u", "UTF-8", 0, None))
    assert source.encoding == "UTF-8"
    assert any("erkannt: UTF-8" in note for note in source.notes)
    assert sample_values(source)["NAME"] == ["Dellbrück", "Köln-Mülheim"]


def test_latin_dbf_without_cpg_or_language_byte_is_windows_1252(tmp_path):
    source = open_source(_write_named_shapefile(tmp_path / "c", "cp1252", 0, None))
    assert source.encoding == "cp1252"
    assert sample_values(source)["NAME"] == ["Dellbrück", "Köln-Mülheim"]


def test_cpg_that_contradicts_the_bytes_is_overruled(tmp_path):
    source = open_source(_write_named_shapefile(tmp_path / "w", "cp1252", 0, "UTF-8"))
    assert source.encoding == "cp1252"
    assert any(".cpg" in note and "Windows-1252" in note for note in source.notes)


def test_cpg_codepage_number_is_understood(tmp_path):
    source = open_source(_write_named_shapefile(tmp_path / "n", "cp1252", 0, "1252"))
    assert source.encoding == "cp1252"
    assert source.notes == []


# --- staging -----------------------------------------------------------------------------


def test_zipped_shapefile_is_unpacked(tmp_path):
    archive = make_zip(tmp_path / "x.zip", bzr_members())
    path = stage_upload([upload(tmp_path, "Bezirksregionen.zip", archive.read_bytes())],
                        tmp_path / "work")  # fmt: skip
    assert path == tmp_path / "work" / f"{BZR}.shp"
    assert open_source(path).feature_count == 143


def test_zip_with_folder_and_macos_junk(tmp_path):
    members = bzr_members("Export/LOR/")
    members["__MACOSX/Export/LOR/._x.shp"] = b"\0junk"
    members["Export/.DS_Store"] = b"junk"
    members["Export/LOR/metadata.json"] = b'{"quelle": "Geoportal"}'
    archive = make_zip(tmp_path / "x.zip", members)
    path = stage_upload([upload(tmp_path, "x.zip", archive.read_bytes())], tmp_path / "work")
    assert path == tmp_path / "work" / "Export" / "LOR" / f"{BZR}.shp"
    assert not (tmp_path / "work" / "__MACOSX").exists()
    assert not (tmp_path / "work" / "Export" / ".DS_Store").exists()


def test_zip_with_two_shapefiles_in_one_folder_opens_as_layers(tmp_path):
    members = bzr_members("daten/")
    members.update({f"daten/Stadtbezirk{s}": KOELN / f"Stadtbezirk{s}" for s in PARTS[:4]})
    archive = make_zip(tmp_path / "x.zip", members)
    path = stage_upload([upload(tmp_path, "x.zip", archive.read_bytes())], tmp_path / "work")
    assert path == tmp_path / "work" / "daten"
    source = open_source(path)
    assert sorted(source.layers) == ["Stadtbezirk", BZR]
    koeln = open_source(path, layer="Stadtbezirk")
    assert koeln.feature_count == 9 and koeln.encoding == "cp1252"
    with pytest.raises(QuartierError, match="Ebene „gibtsnicht“"):
        open_source(path, layer="gibtsnicht")


def test_zip_in_zip_is_unpacked_once_but_not_twice(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", bzr_members())
    outer = make_zip(tmp_path / "outer.zip", {"inner.zip": inner})
    path = stage_upload([upload(tmp_path, "outer.zip", outer.read_bytes())], tmp_path / "w1")
    assert path.name == f"{BZR}.shp" and open_source(path).feature_count == 143
    third = make_zip(tmp_path / "third.zip", {"outer.zip": outer})
    with pytest.raises(QuartierError, match="verschachtelte ZIP"):
        stage_upload([upload(tmp_path, "third.zip", third.read_bytes())], tmp_path / "w2")


def test_zip_with_geopackage(tmp_path):
    import pyogrio

    frame = pyogrio.read_dataframe(LOR / f"{BZR}.shp")
    pyogrio.write_dataframe(frame, tmp_path / "bzr.gpkg")
    archive = make_zip(tmp_path / "x.zip", {"bzr.gpkg": tmp_path / "bzr.gpkg"})
    path = stage_upload([upload(tmp_path, "x.zip", archive.read_bytes())], tmp_path / "work")
    assert path.name == "bzr.gpkg"
    assert open_source(path).driver == "GPKG"


def test_loose_shapefile_parts_keep_their_names(tmp_path):
    files = [upload(tmp_path, f"{BZR}{s}", (LOR / f"{BZR}{s}").read_bytes()) for s in PARTS]
    path = stage_upload(files, tmp_path / "work")
    assert path == tmp_path / "work" / f"{BZR}.shp"
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == sorted(
        f"{BZR}{s}" for s in PARTS
    )
    assert open_source(path).feature_count == 143


def test_loose_parts_with_mixed_case_names_from_windows(tmp_path):
    names = {
        ".shp": "Bezirke.SHP",
        ".shx": "bezirke.shx",
        ".dbf": "BEZIRKE.DBF",
        ".prj": "Bezirke.prj",
    }
    files = [
        upload(tmp_path, n, (KOELN / f"Stadtbezirk{s}").read_bytes()) for s, n in names.items()
    ]
    files.append(upload(tmp_path, "Liesmich.txt", b"Quelle: Stadt"))
    path = stage_upload(files, tmp_path / "work")
    assert path == tmp_path / "work" / "Bezirke.shp"
    assert open_source(path).feature_count == 9


def test_loose_parts_of_two_shapefiles_are_refused(tmp_path):
    files = [upload(tmp_path, f"{BZR}{s}", (LOR / f"{BZR}{s}").read_bytes()) for s in PARTS]
    files.append(upload(tmp_path, "Stadtteil.dbf", (KOELN / "Stadtteil.dbf").read_bytes()))
    with pytest.raises(QuartierError, match="mehreren Shapefiles") as err:
        stage_upload(files, tmp_path / "work")
    assert "Stadtteil" in err.value.message and BZR in err.value.message


def test_loose_parts_without_shp_are_refused(tmp_path):
    files = [upload(tmp_path, f"{BZR}{s}", (LOR / f"{BZR}{s}").read_bytes()) for s in PARTS[1:]]
    with pytest.raises(QuartierError, match=r"\.shp-Datei fehlt"):
        stage_upload(files, tmp_path / "work")


def test_several_unrelated_files_are_refused(tmp_path):
    files = [upload(tmp_path, "a.geojson", b"{}"), upload(tmp_path, "b.gpkg", b"x")]
    with pytest.raises(QuartierError, match="Mehrere Dateien"):
        stage_upload(files, tmp_path / "work")


def test_browser_path_in_file_name_is_dropped(tmp_path):
    content = (KOELN / "derived" / "stadtteile_koeln_epsg4326.geojson").read_bytes()
    path = stage_upload([upload(tmp_path, "C:\\fakepath\\..\\koeln.geojson", content)],
                        tmp_path / "work")  # fmt: skip
    assert path == tmp_path / "work" / "koeln.geojson"
    assert open_source(path).feature_count == 86


def test_other_file_types_are_refused(tmp_path):
    with pytest.raises(QuartierError, match="keine Geodaten-Datei"):
        stage_upload([upload(tmp_path, "tabelle.csv", b"a;b\n1;2\n")], tmp_path / "work")


# --- bad zips ----------------------------------------------------------------------------


def test_truncated_zip_is_reported_as_damaged(tmp_path):
    archive = make_zip(tmp_path / "x.zip", bzr_members()).read_bytes()
    with pytest.raises(QuartierError, match="ZIP-Datei ist beschädigt"):
        stage_upload([upload(tmp_path, "x.zip", archive[: len(archive) // 2])], tmp_path / "work")


def test_zip_member_with_wrong_checksum_is_reported_as_damaged(tmp_path):
    data = bytearray(
        make_zip(tmp_path / "x.zip", {"a.geojson": b"{" + b" " * 5000 + b"}"}).read_bytes()
    )
    data[40] ^= 0xFF  # inside the compressed stream of the only member
    with pytest.raises(QuartierError, match="beschädigt"):
        stage_upload([upload(tmp_path, "x.zip", bytes(data))], tmp_path / "work")


def test_zip_bomb_by_ratio_is_refused(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("bomb.shp", "w") as out:
        for _ in range(50):  # 50 MB of zeros compress to about 50 kB
            out.write(bytes(1_000_000))
    assert archive.stat().st_size < 1_000_000
    with pytest.raises(QuartierError, match="zu groß"):
        stage_upload([upload(tmp_path, "bomb.zip", archive.read_bytes())], tmp_path / "work")
    assert not (tmp_path / "work" / "bomb.shp").exists()


def test_kmz_is_read_and_checked_like_a_zip(tmp_path):
    import pyogrio

    frame = pyogrio.read_dataframe(LOR / f"{BZR}.shp").to_crs(4326)
    pyogrio.write_dataframe(frame, tmp_path / "doc.kml", driver="LIBKML")
    kmz = make_zip(tmp_path / "x.kmz", {"doc.kml": tmp_path / "doc.kml"})
    path = stage_upload([upload(tmp_path, "Bezirksregionen.kmz", kmz.read_bytes())], tmp_path / "w")
    assert open_source(path).feature_count == 143
    bomb = tmp_path / "bomb.kmz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("doc.kml", "w") as out:
        for _ in range(20):
            out.write(bytes(1_000_000))
    with pytest.raises(QuartierError, match="zu groß"):
        stage_upload([upload(tmp_path, "bomb.kmz", bomb.read_bytes())], tmp_path / "w2")


def test_zip_bigger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(staging, "MAX_UNPACKED_BYTES", 100_000)
    archive = make_zip(tmp_path / "x.zip", bzr_members())  # about 1.9 MB unpacked
    with pytest.raises(QuartierError, match="zu groß"):
        stage_upload([upload(tmp_path, "x.zip", archive.read_bytes())], tmp_path / "work")


@pytest.mark.parametrize(
    "evil", ["../evil.shp", "/tmp/evil.shp", "a/../../evil.shp", "..\\evil.shp"]
)
def test_zip_slip_is_refused(tmp_path, evil):
    members = bzr_members()
    members[evil] = b"boom"
    archive = make_zip(tmp_path / "x.zip", members)
    with pytest.raises(QuartierError, match="unzulässigen Pfad"):
        stage_upload([upload(tmp_path, "x.zip", archive.read_bytes())], tmp_path / "work")
    assert not (tmp_path / "evil.shp").exists()
    assert not (tmp_path / "work").exists() or not any((tmp_path / "work").iterdir())


def test_zip_without_geodata_names_what_it_found(tmp_path):
    archive = make_zip(tmp_path / "x.zip", {"liesmich.txt": b"hallo", "werte.csv": b"a,b\n"})
    with pytest.raises(QuartierError, match="keine Geodaten") as err:
        stage_upload([upload(tmp_path, "x.zip", archive.read_bytes())], tmp_path / "work")
    assert "liesmich.txt" in err.value.message and "werte.csv" in err.value.message


def test_zip_with_two_datasets_is_refused(tmp_path):
    archive = make_zip(tmp_path / "x.zip", {"a.geojson": b"{}", "b.gpkg": b"x"})
    with pytest.raises(QuartierError, match="mehrere Geodatensätze"):
        stage_upload([upload(tmp_path, "x.zip", archive.read_bytes())], tmp_path / "work")


# --- broken shapefiles and files that are not geodata ------------------------------------


def test_shapefile_without_shx_is_restored(tmp_path):
    shp = copy_parts(KOELN, "Stadtbezirk", tmp_path, (".shp", ".dbf", ".prj"))
    source = open_source(shp)
    assert source.feature_count == 9
    assert (tmp_path / "Stadtbezirk.shx").exists()
    assert any(".shx fehlte" in note for note in source.notes)


def test_shapefile_without_dbf_is_refused(tmp_path):
    shp = copy_parts(KOELN, "Stadtbezirk", tmp_path, (".shp", ".shx", ".prj"))
    with pytest.raises(QuartierError, match=r"\.dbf-Datei"):
        open_source(shp)


def test_shapefile_without_prj_needs_a_chosen_crs(tmp_path):
    shp = copy_parts(LOR, BZR, tmp_path, (".shp", ".shx", ".dbf", ".cpg"))
    source = open_source(shp)
    assert source.crs_wkt is None and source.crs_label == ""
    assert any(".prj" in note and "EPSG:25832" in note for note in source.notes)
    with pytest.raises(QuartierError, match="kein Koordinatensystem"):
        resolve_crs(source, None)
    with pytest.raises(QuartierError, match="kein Koordinatensystem"):
        resolve_crs(source, "  ")
    assert resolve_crs(source, "EPSG:25833").to_epsg() == 25833
    assert resolve_crs(source, "25833").to_epsg() == 25833
    assert resolve_crs(source, pyproj.CRS(25833).to_wkt()).to_epsg() == 25833


@pytest.mark.parametrize("choice", ["EPSG:99999", "Gauß-Krüger", "EPSG:5703"])
def test_invalid_crs_choice_is_refused(tmp_path, choice):
    shp = copy_parts(LOR, BZR, tmp_path, (".shp", ".shx", ".dbf"))
    with pytest.raises(QuartierError, match="Koordinatensystem|kein Lage"):
        resolve_crs(open_source(shp), choice)  # 5703 is a height system


def test_lon_lat_shapefile_without_prj_gets_a_hint(tmp_path):
    import pyogrio

    frame = pyogrio.read_dataframe(KOELN / "derived" / "stadtteile_koeln_epsg4326.geojson")
    pyogrio.write_dataframe(frame, tmp_path / "k.shp")
    (tmp_path / "k.prj").unlink()
    source = open_source(tmp_path / "k.shp")
    assert any("EPSG:4326" in note for note in source.notes)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("leer.shp", b""),
        ("leer.geojson", b""),
        ("bild.shp", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
        ("zufall.geojson", bytes(range(256))[::-1] * 16),
        ("tabelle.shp", b"PLR_ID;Einwohner\n01100101;1234\n"),
        ("kaputt.json", b'{"type": "FeatureCollection", "features": ['),
    ],
)
def test_files_that_are_not_geodata_are_refused(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(QuartierError) as err:
        open_source(tmp_path / name)
    assert name in err.value.message
    assert "leer" in err.value.message or "nicht als Geodaten gelesen" in err.value.message


def test_empty_upload_is_refused(tmp_path):
    with pytest.raises(QuartierError, match="ist leer"):
        stage_upload([upload(tmp_path, "gebiete.gpkg", b"")], tmp_path / "work")
    with pytest.raises(QuartierError, match="keine Datei"):
        stage_upload([], tmp_path / "work")


def test_point_layer_is_refused(tmp_path):
    points = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": "1"},
             "geometry": {"type": "Point", "coordinates": [13.4, 52.5]}},
        ],
    }  # fmt: skip
    (tmp_path / "schulen.geojson").write_text(json.dumps(points))
    with pytest.raises(QuartierError, match="keine Flächen") as err:
        open_source(tmp_path / "schulen.geojson")
    assert "Punkte" in err.value.message


def test_zip_path_is_not_opened_unchecked(tmp_path):
    archive = make_zip(tmp_path / "x.zip", bzr_members())
    with pytest.raises(QuartierError, match="ZIP"):
        open_source(archive)


def test_missing_path_is_reported(tmp_path):
    with pytest.raises(QuartierError, match="nicht gefunden"):
        open_source(tmp_path / "weg.gpkg")
