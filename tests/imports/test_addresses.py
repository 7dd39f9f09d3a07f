"""Addresses to coordinates (quartier.imports.addresses), without a database."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quartier.errors import QuartierError
from quartier.imports.addresses import (
    address_key,
    build_register,
    match_addresses,
    normalise_number,
    normalise_postcode,
    normalise_street,
    read_register,
)


@pytest.mark.parametrize(
    "variants",
    [
        ["Hauptstraße", "Hauptstr.", "HAUPTSTRASSE", "Hauptstr", "Haupt-Straße", " hauptstrasse "],
        [
            "Düsseldorfer Str.",
            "Duesseldorfer Strasse",
            "DÜSSELDORFER STRASSE",
            "Du\u0308sseldorfer Straße",
        ],
        [
            "Konrad-Adenauer-Str.",
            "Konrad Adenauer Straße",
            "konrad-adenauer-strasse",
            "Konrad-Adenauer-Str",
        ],
        ["St.-Georg-Str.", "Sankt-Georg-Straße", "St. Georg Straße"],
        ["Marktpl.", "Marktplatz", "Markt-Platz"],
        ["Straße des 17. Juni", "Str. des 17. Juni"],
    ],
)
def test_street_variants_agree(variants):
    assert len({normalise_street(v) for v in variants}) == 1


def test_street_canonical_forms():
    assert normalise_street("Düsseldorfer Str.") == "duesseldorferstrasse"
    assert normalise_street("Konrad-Adenauer-Str.") == "konradadenauerstrasse"
    assert normalise_street("Strandweg") == "strandweg"  # "Str" at a word's start stays
    assert normalise_street("Am Markt") != normalise_street("Am Marktplatz")
    assert normalise_street("Rue de l'Église") == "ruedeleglise"
    assert normalise_street(None) == ""


@pytest.mark.parametrize(
    ("number", "suffix", "expected"),
    [
        ("12a", "", "12a"),
        ("12 a", "", "12a"),
        ("12A", "", "12a"),
        ("12-a", "", "12a"),
        ("12", "a", "12a"),
        ("12", "A ", "12a"),
        ("012", "", "12"),
        ("0", "", "0"),
        (12.0, "", "12"),
        ("12-14", "", "12"),
        ("12 bis 14", "", "12"),
        ("12 u. 14", "", "12"),
        ("12a-c", "", "12a"),
        ("12/1", "", "12/1"),
        ("12", "1", "12/1"),
        ("12", "/01", "12/1"),
        ("", "", ""),
        ("", "a", ""),
        (None, None, ""),
    ],
)
def test_house_numbers(number, suffix, expected):
    assert normalise_number(number, suffix) == expected


def test_postcodes_and_keys():
    assert normalise_postcode("1067") == "01067"
    assert normalise_postcode("D-50667") == "50667"
    assert normalise_postcode(50667.0) == "50667"
    assert normalise_postcode("unbekannt") == ""
    assert address_key("Hauptstr.", "12", "a") == "hauptstrasse 12a"
    assert address_key("Hauptstr.", "12 A", postcode="50667") == "50667 hauptstrasse 12a"
    assert address_key("Hauptstr.", "") == ""
    assert address_key("", "12") == ""


def register_with_postcodes():
    rows = [
        ("Hauptstraße", "12", "a", "50667", 100.0, 200.0),
        ("Hauptstraße", "12", "", "50667", 101.0, 201.0),
        ("Düsseldorfer Straße", "5", "", "50667", 102.0, 202.0),
        ("Kirchweg", "1", "", "50667", 103.0, 203.0),
        ("Kirchweg", "1", "", "50999", 104.0, 204.0),  # same street+number, other postcode
        ("Ring", "7", "1", "50999", 105.0, 205.0),
    ]
    columns = list(zip(*rows, strict=True))
    return build_register(*columns[:4], np.array(columns[4]), np.array(columns[5]), "EPSG:25832")


def test_register_keys_and_ambiguity():
    register = register_with_postcodes()
    assert register.size == 6 and register.skipped == 0
    assert register.ambiguous == {"kirchweg 1"}
    assert "kirchweg 1" not in register.keys
    assert register.keys["50999 kirchweg 1"] == (104.0, 204.0)
    assert register.keys["hauptstrasse 12a"] == (100.0, 200.0)
    assert register.postcodes == {"50667", "50999"}


def test_matching_variants_postcodes_and_fallback():
    register = register_with_postcodes()
    streets = [
        "Hauptstr.",
        "HAUPTSTRASSE",
        "Hauptstr",
        "Duesseldorfer Str.",
        "Kirchweg",
        "Kirchweg",
        "Ring",
    ]
    numbers = ["12a", "12 A", "012", "5", "1", "1", "7/1"]
    postcodes = ["50667", "", "", "50999", "50999", "", None]
    result = match_addresses(register, streets, numbers, postcodes=postcodes)
    assert result.x[:5].tolist() == [100.0, 100.0, 101.0, 102.0, 104.0]
    assert math.isnan(result.x[5])  # Kirchweg 1 without postcode: exists under two
    assert result.x[6] == 105.0  # "7/1" = number 7, suffix 1
    assert result.matched == 6
    assert result.unmatched == [(5, "Kirchweg 1")]
    assert result.ambiguous == 1


def test_unknown_postcode_gets_no_fallback():
    register = register_with_postcodes()
    result = match_addresses(register, ["Hauptstraße"], ["12"], postcodes=["12345"])
    assert result.unmatched == [(0, "Hauptstraße 12, 12345")]


def test_suffix_column_and_unmatched_rows_with_numbers():
    register = register_with_postcodes()
    result = match_addresses(
        register,
        ["Hauptstraße", "Hauptstraße", "Nirgendwo", ""],
        ["12", "12", "3", "4"],
        ["a", "b", "", ""],
    )
    assert result.x[0] == 100.0
    assert result.unmatched == [(1, "Hauptstraße 12 b"), (2, "Nirgendwo 3"), (3, "4")]
    assert result.matched == 1 and np.isnan(result.y[1:]).all()


def test_duplicate_records_are_separate_cases():
    register = register_with_postcodes()
    result = match_addresses(register, ["Ring"] * 3, ["7"] * 3, ["1"] * 3)
    assert result.matched == 3
    assert result.x.tolist() == [105.0] * 3


def test_ambiguity_does_not_depend_on_row_order():
    streets, numbers = ["Ring"] * 3, ["1"] * 3
    register = build_register(
        streets,
        numbers,
        None,
        ["", "50667", "50999"],
        [1.0, 2.0, 3.0],
        [1.0, 2.0, 3.0],
        "EPSG:25832",
    )
    assert register.ambiguous == {"ring 1"} and register.postcodes == {"50667", "50999"}
    result = match_addresses(register, ["Ring", "Ring"], ["1", "1"], postcodes=["50999", ""])
    assert result.x[0] == 3.0 and np.isnan(result.x[1])


def test_register_without_postcodes_matches_records_with_postcodes():
    register = build_register(["Am Markt"], ["3"], None, None, [1.0], [2.0], "EPSG:25833")
    result = match_addresses(
        register, ["Am Markt", "Am Markt"], ["3", "3"], postcodes=["01067", ""]
    )
    assert result.matched == 2 and register.ambiguous == set()


def test_register_skips_rows_without_coordinates_or_address():
    register = build_register(
        ["A-Weg", "B-Weg", ""],
        ["1", "2", "3"],
        None,
        None,
        [1.0, np.nan, 3.0],
        [1.0, 2.0, 3.0],
        "EPSG:25832",
    )
    assert register.size == 1 and register.skipped == 2
    assert set(register.keys) == {"aweg 1"}


def test_matching_takes_pandas_series_by_position():
    pd = pytest.importorskip("pandas")
    register = register_with_postcodes()
    frame = pd.DataFrame({"s": ["Ring", "Hauptstraße"], "n": [7, 12]}, index=[10, 0])
    result = match_addresses(
        register, frame["s"], frame["n"], pd.Series(["1", None], index=[10, 0])
    )
    assert result.x.tolist() == [105.0, 101.0]


def test_read_register_csv_semicolon_decimal_comma_cp1252(tmp_path):
    path = tmp_path / "hauskoordinaten.csv"
    text = "STN;HNR;ADZ;PLZ;Rechtswert;Hochwert\nDüsseldorfer Straße;5;;50667;356789,12;5645678,5\nGroße Allee;012;b;01067;356790,0;5645679,25\nOhne Koordinate;1;;50667;;\n"
    path.write_bytes(text.encode("cp1252"))
    register = read_register(path, crs="EPSG:25832")
    assert register.crs == "EPSG:25832" and register.size == 2 and register.skipped == 1
    assert register.keys["50667 duesseldorferstrasse 5"] == (356789.12, 5645678.5)
    assert register.keys["grosseallee 12b"] == (356790.0, 5645679.25)
    result = match_addresses(register, ["Düsseldorfer Str."], ["5"])
    assert result.x[0] == 356789.12


def test_read_register_csv_comma_utf8_bom(tmp_path):
    path = tmp_path / "adressen.csv"
    path.write_text("strasse,hausnummer,x,y\nLindenstraße,3a,13.4,52.5\n", encoding="utf-8-sig")
    register = read_register(path)
    assert register.crs == "EPSG:4326"  # lon/lat recognised without a given CRS
    assert register.keys["lindenstrasse 3a"] == (13.4, 52.5)


def test_read_register_hk_de_layout_with_zone_prefix(tmp_path):
    path = tmp_path / "hk.txt"
    row = "N;DENW1234;A;05;3;15;000;0001;01234;12;a;32356789,120;5645678,500;Hauptstraße;50667;Köln;;Altstadt"
    path.write_text(row + "\n", encoding="utf-8")
    register = read_register(path)
    assert register.crs == "EPSG:25832"
    x, y = register.keys["50667 hauptstrasse 12a"]
    assert x == pytest.approx(356789.12) and y == 5645678.5


def test_read_register_hk_de_mixed_zones_end_in_one_crs(tmp_path):
    pyproj = pytest.importorskip("pyproj")
    path = tmp_path / "hk.txt"
    rows = [
        "N;X;A;12;0;00;000;0001;00001;1;;33390000,000;5820000,000;Ring;10115;Berlin;;",
        "N;X;A;12;0;00;000;0001;00001;2;;33390100,000;5820000,000;Ring;10115;Berlin;;",
        "N;X;A;12;0;00;000;0001;00001;3;;32800000,000;5820000,000;Ring;10115;Berlin;;",
    ]
    path.write_text("\n".join(rows), encoding="utf-8")
    register = read_register(path)
    assert register.crs == "EPSG:25833"  # most addresses lie in zone 33
    assert register.keys["ring 2"] == (390100.0, 5820000.0)
    expected = pyproj.Transformer.from_crs(25832, 25833, always_xy=True).transform(
        800000.0, 5820000.0
    )
    assert register.keys["ring 3"] == pytest.approx(expected)
    assert register.keys["ring 3"][0] != pytest.approx(800000.0, abs=1000)


def test_read_register_csv_needs_crs_for_plain_utm(tmp_path):
    path = tmp_path / "adressen.csv"
    path.write_text("strasse;hausnummer;x;y\nRing;1;356789;5645678\n", encoding="utf-8")
    with pytest.raises(QuartierError, match="EPSG:25832"):
        read_register(path)


def test_read_register_csv_missing_column_names_what_it_found(tmp_path):
    path = tmp_path / "adressen.csv"
    path.write_text("Straße;Ort;x;y\nRing;Köln;1;2\n", encoding="utf-8")
    with pytest.raises(QuartierError, match=r"Hausnummer.*Straße, Ort, x, y"):
        read_register(path, crs="EPSG:25832")


def test_read_register_geopackage(tmp_path):
    gpd = pytest.importorskip("geopandas")
    path = tmp_path / "adressen.gpkg"
    frame = gpd.GeoDataFrame(
        {
            "strassenname": ["Hauptstraße", "Ring"],
            "hausnummer": ["12", "7"],
            "zusatz": ["a", None],
            "plz": ["50667", "50999"],
        },
        geometry=gpd.points_from_xy([356789.5, 356800.0], [5645678.5, 5645700.0]),
        crs="EPSG:25832",
    )
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    register = read_register(path, crs="EPSG:4326")  # the file's own CRS wins
    assert register.crs == "EPSG:25832" and register.size == 2
    assert register.keys["50667 hauptstrasse 12a"] == (356789.5, 5645678.5)
    assert register.keys["ring 7"] == (356800.0, 5645700.0)


def test_read_register_refuses_junk(tmp_path):
    path = tmp_path / "adressen.gpkg"
    path.write_bytes(b"not a geopackage")
    with pytest.raises(QuartierError, match="Adressverzeichnis"):
        read_register(path)
    with pytest.raises(QuartierError, match="nicht gefunden"):
        read_register(tmp_path / "fehlt.csv")
