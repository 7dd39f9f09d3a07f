"""Every format opens with a real reader and holds the read layer's values."""

from __future__ import annotations

import io
import json
from datetime import datetime

import openpyxl
import pyogrio
import pytest
import shapely.geometry

from quartier.errors import QuartierError
from quartier.exports.formats import FORMAT_CHOICES
from quartier.exports.service import build_export
from quartier.indicators.models import Value
from quartier.indicators.status import Status
from tests.exports.conftest import P23, P24, csv_number, expected, read_csv, refresh_caches

pytestmark = pytest.mark.django_db

KEYS = ["kinderarmut", "ew_gesamt", "arbeitslose", "quote_uebergewicht"]
LEVELS = ["stadtteil", "sozialraum"]


def _expectations(user):
    return {
        (key, level, period): expected(user, key, level, period)
        for key in KEYS
        for level in LEVELS
        for period in (P23, P24)
    }


def test_format_list_offers_the_five_formats():
    assert [key for key, _label in FORMAT_CHOICES] == ["csv-de", "csv", "xlsx", "geojson", "gpkg"]
    assert all(str(label) for _key, label in FORMAT_CHOICES)


@pytest.mark.parametrize("fmt", ["csv", "csv-de"])
def test_csv_has_one_row_per_area_and_period_with_read_layer_values(users, fmt):
    user, german = users["analyst"], fmt == "csv-de"
    export = build_export(user, KEYS, LEVELS, [P24, P23], fmt)
    assert export.content_type == "text/csv; charset=utf-8"
    assert export.filename == "4-indikatoren_2-ebenen_2023-2024.csv"
    header, rows, meta = read_csv(export.content, german)
    assert header[:4] == ["Ebene", "Schlüssel", "Gebiet", "Stichtag"]
    assert header[4] == "kinderarmut – Kinderarmut (SGB-II-Quote unter 15 Jahren) (%)"
    assert header[5] == "ew_gesamt – Einwohnerinnen und Einwohner (Personen)"
    assert len(rows) == 2 * (45 + 225)
    want = _expectations(user)
    seen = {"ok": 0, "suppressed": 0}
    for level, code, _name, period, *cells in rows:
        for key, text in zip(KEYS, cells, strict=True):
            status, value = want[(key, level, datetime.fromisoformat(period).date())][code]
            if status == Status.SUPPRESSED:
                assert text == "."
                seen["suppressed"] += 1
            elif status == Status.MISSING:
                assert text == ""
            else:
                assert csv_number(text, german) == pytest.approx(value)
                seen["ok"] += 1
    assert seen["ok"] > 1000 and seen["suppressed"] > 0
    # codes are text with leading zeros; the Stadtteil 011 is there for both periods
    assert [r[3] for r in rows if r[:2] == ["stadtteil", "011"]] == ["2023-12-31", "2024-12-31"]
    labels = [r[0] for r in meta if r]
    assert {"Exportiert am", "Exportiert von", "Raumebenen", "Stichtage", "Geheimhaltung"} <= set(
        labels
    )
    assert ["Exportiert von", "analyst"] in meta
    assert "Vertraulich" not in labels


def test_csv_de_writes_decimal_commas_and_international_points(users):
    de = build_export(users["anonymous"], ["kinderarmut"], ["stadtbezirk"], [P24], "csv-de")
    en = build_export(users["anonymous"], ["kinderarmut"], ["stadtbezirk"], [P24], "csv")
    row_de = read_csv(de.content, True)[1][0]
    row_en = read_csv(en.content, False)[1][0]
    assert row_de[:4] == row_en[:4] == ["stadtbezirk", "01", row_en[2], "2024-12-31"]
    assert "," in row_de[4] and "." in row_en[4]
    assert row_de[4].replace(",", ".") == row_en[4]


def test_xlsx_has_metadata_sheet_and_a_sheet_per_level(users):
    user = users["analyst"]
    export = build_export(user, KEYS, LEVELS, [P23, P24], "xlsx")
    assert export.content_type.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(export.content))
    assert wb.sheetnames == ["Metadaten", "Stadtteil", "Sozialraum"]
    want = _expectations(user)
    for level, sheet in zip(LEVELS, wb.sheetnames[1:], strict=True):
        ws = wb[sheet]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:H{ws.max_row}"
        rows = list(ws.iter_rows())
        assert [c.value for c in rows[0][:4]] == ["Ebene", "Schlüssel", "Gebiet", "Stichtag"]
        assert len(rows) - 1 == 2 * {"stadtteil": 45, "sozialraum": 225}[level]
        assert {"011", "01101"} & {row[1].value for row in rows}  # leading zeros kept
        for row in rows[1:]:
            assert row[1].data_type == "s" and isinstance(row[1].value, str)
            assert isinstance(row[3].value, datetime) and row[3].number_format == "DD.MM.YYYY"
            period = row[3].value.date()
            for key, cell in zip(KEYS, row[4:], strict=True):
                status, value = want[(key, level, period)][row[1].value]
                if status == Status.SUPPRESSED:
                    assert cell.value == "." and cell.data_type == "s"
                elif status == Status.MISSING:
                    assert cell.value is None
                else:
                    assert cell.data_type == "n" and cell.value == pytest.approx(value)
                    assert cell.number_format == (
                        "#,##0" if key in ("ew_gesamt", "arbeitslose") else "#,##0.0"
                    )
    meta = {row[0]: row[1] for row in wb["Metadaten"].iter_rows(values_only=True) if row and row[0]}
    assert meta["Exportiert von"] == "analyst"
    assert meta["Raumebenen"] == "stadtteil (Stadtteil), sozialraum (Sozialraum)"
    assert meta["Stichtage"] == "31.12.2023, 31.12.2024"
    assert "„.“ = geheim" in meta["Geheimhaltung"]
    assert datetime.strptime(meta["Exportiert am"], "%d.%m.%Y %H:%M")
    assert "Vertraulich" not in meta
    rows = list(wb["Metadaten"].iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "Kürzel")
    header = rows[header_at]
    indicators = {r[0]: dict(zip(header, r, strict=True)) for r in rows[header_at + 1 :]}
    assert list(indicators) == KEYS
    kinderarmut = indicators["kinderarmut"]
    assert kinderarmut["Name"] == "Kinderarmut (SGB-II-Quote unter 15 Jahren)"
    assert kinderarmut["Einheit"] == "%"
    assert kinderarmut["Quelle"].startswith("Statistik der Bundesagentur")
    assert kinderarmut["verantwortlich"] == "Amt für Soziales und Wohnen"
    assert kinderarmut["Hinweis zum Stichtag"] == "Stichtag 31.12."
    assert kinderarmut["Beschreibung"].startswith("Leistungsberechtigte unter 15")
    assert kinderarmut["Berechnung"].startswith("Zähler sgb2_u15")
    assert kinderarmut["Sichtbarkeit"] == "öffentlich"
    assert indicators["quote_uebergewicht"]["Sichtbarkeit"] == "intern"


def test_xlsx_metadata_has_definitions_and_category_labels(users, planted):
    export = build_export(users["anonymous"], ["klasse_test"], ["stadtteil"], None, "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(export.content))
    labels = [row[4].value for row in list(wb["Stadtteil"].iter_rows())[1:]]
    assert set(labels) == {"stabil", "'-belastet"}  # category labels are text, neutralised
    rows = list(wb["Metadaten"].iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "Kürzel")
    record = dict(zip(rows[header_at], rows[header_at + 1], strict=True))
    assert json.loads(record["Berechnung"]) == {
        "eingaben": ["kinderarmut"],
        "verfahren": "typologie",
    }
    assert record["Kategorien"] == "1 = stabil; 2 = -belastet"
    assert meta_value(wb, "Stichtage") == "jeweils der neueste mit Werten: 31.12.2024"


def test_metadata_names_the_visible_parts_of_a_sum(users):
    from django.contrib.auth.models import AnonymousUser

    from quartier.indicators.models import Indicator, Visibility

    def berechnung(user) -> str:
        export = build_export(user, ["ew_u18"], ["stadtteil"], None, "xlsx")
        rows = list(openpyxl.load_workbook(io.BytesIO(export.content))["Metadaten"].values)
        header_at = next(i for i, r in enumerate(rows) if r[0] == "Kürzel")
        return dict(zip(rows[header_at], rows[header_at + 1], strict=True))["Berechnung"]

    assert berechnung(users["anonymous"]).startswith("Summe aus ew_15_17 (Einwohner 15 bis")
    Indicator.objects.filter(key="ew_15_17").update(visibility=Visibility.INTERNAL)
    visitor = AnonymousUser()  # a new request's visitor (the rights are cached per user object)
    assert berechnung(visitor) == "Summe aus ew_u15 (Einwohner unter 15 Jahren)"
    assert "ew_15_17" in berechnung(users["analyst"])


def meta_value(wb, label):
    return next(row[1] for row in wb["Metadaten"].iter_rows(values_only=True) if row[0] == label)


def test_geojson_is_one_feature_collection_in_lon_lat(users):
    user = users["analyst"]
    export = build_export(
        user, ["kinderarmut", "arbeitslose"], ["sozialraum"], [P23, P24], "geojson"
    )
    assert export.content_type == "application/geo+json"
    doc = json.loads(export.content)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert len(doc["features"]) == 225
    assert doc["metadata"]["vertraulich"] is False
    assert doc["metadata"]["spalten"]["kinderarmut_2024"] == {
        "indikator": "kinderarmut",
        "stichtag": "2024-12-31",
    }
    want = {
        (key, p): expected(user, key, "sozialraum", p)
        for key in ("kinderarmut", "arbeitslose")
        for p in (P23, P24)
    }
    suppressed = 0
    for feature in doc["features"]:
        props = feature["properties"]
        assert props["ebene"] == "sozialraum" and isinstance(props["schluessel"], str)
        centre = shapely.geometry.shape(feature["geometry"]).centroid
        lon, lat = centre.x, centre.y
        assert 5 < lon < 16 and 47 < lat < 56  # RFC 7946: longitude first
        for (key, period), values in want.items():
            column = f"{key}_{period.year}"
            status, value = values[props["schluessel"]]
            if status == Status.OK:
                assert props[column] == pytest.approx(value) and props[f"{column}_status"] is None
            else:
                assert props[column] is None
                word = "geheim" if status == Status.SUPPRESSED else "keine Daten"
                assert props[f"{column}_status"] == word
                suppressed += status == Status.SUPPRESSED
    assert suppressed > 0


def test_geojson_takes_one_level_only(users):
    with pytest.raises(QuartierError) as info:
        build_export(users["anonymous"], ["kinderarmut"], LEVELS, None, "geojson")
    assert info.value.status == 400 and "GeoPackage" in info.value.message


def test_geopackage_has_a_layer_per_level_and_metadata_tables(users, tmp_path):
    user = users["analyst"]
    export = build_export(user, KEYS, ["stadtbezirk", *LEVELS], [P23, P24], "gpkg")
    assert export.content_type == "application/geopackage+sqlite3"
    path = tmp_path / export.filename
    path.write_bytes(export.content)
    layers = {name: kind for name, kind in pyogrio.list_layers(path)}
    assert layers["stadtbezirk"] == layers["stadtteil"] == layers["sozialraum"] == "MultiPolygon"
    assert {"quartier_metadaten", "quartier_indikatoren", "quartier_spalten"} <= set(layers)
    for level, count in [("stadtbezirk", 10), ("stadtteil", 45), ("sozialraum", 225)]:
        frame = pyogrio.read_dataframe(path, layer=level)
        assert len(frame) == count
        assert frame.crs.to_epsg() == 4326
        assert 5 < frame.total_bounds[0] < 16 and 47 < frame.total_bounds[1] < 56
        for key in KEYS:
            for period in (P23, P24):
                values = expected(user, key, level, period)
                column = f"{key}_{period.year}"
                for code, shown, status in zip(
                    frame["schluessel"], frame[column], frame[f"{column}_status"], strict=True
                ):
                    want_status, want_value = values[code]
                    if want_status == Status.OK:
                        assert shown == pytest.approx(want_value)
                    else:
                        assert shown != shown or shown is None  # null (NaN in pandas)
                        assert status == (
                            "geheim" if want_status == Status.SUPPRESSED else "keine Daten"
                        )
    info = pyogrio.read_info(path, layer="stadtteil")
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["ew_gesamt_2024"] == "int64"
    meta = pyogrio.read_dataframe(path, layer="quartier_metadaten")
    assert "Exportiert am" in set(meta["feld"])
    columns = pyogrio.read_dataframe(path, layer="quartier_spalten")
    assert len(columns) == len(KEYS) * 2
    indicators = pyogrio.read_dataframe(path, layer="quartier_indikatoren")
    assert list(indicators["kuerzel"]) == KEYS


def test_single_period_columns_have_no_suffix(users, tmp_path):
    export = build_export(users["anonymous"], ["kinderarmut"], ["stadtbezirk"], None, "gpkg")
    path = tmp_path / "x.gpkg"
    path.write_bytes(export.content)
    frame = pyogrio.read_dataframe(path, layer="stadtbezirk")
    assert {"kinderarmut", "kinderarmut_status", "schluessel", "name"} <= set(frame.columns)


def test_each_indicator_is_exported_on_its_own_periods(users, planted):
    # saldo_test has values for 2024 only: its 2023 cells are empty, the rows are still there
    export = build_export(
        users["anonymous"], ["kinderarmut", "saldo_test"], ["stadtteil"], [P23, P24], "csv"
    )
    _header, rows, meta = read_csv(export.content, german=False)
    assert {r[3] for r in rows if r[5] == ""} == {"2023-12-31"}
    assert all(r[4] != "" for r in rows)
    doc = json.loads(
        build_export(
            users["anonymous"], ["kinderarmut", "saldo_test"], ["stadtteil"], [P23, P24], "geojson"
        ).content
    )
    assert list(doc["metadata"]["spalten"]) == [
        "kinderarmut_2023",
        "kinderarmut_2024",
        "saldo_test_2024",
    ]
    # "the latest" is the latest of each indicator
    Value.objects.filter(indicator=planted["klasse"]).update(period=P24.replace(year=2022))
    refresh_caches()
    export = build_export(
        users["anonymous"], ["kinderarmut", "klasse_test"], ["stadtteil"], None, "csv"
    )
    assert export.filename == "2-indikatoren_stadtteil_2022-2024.csv"
    _header, rows, meta = read_csv(export.content, german=False)
    assert {(r[3], r[4] != "", r[5] != "") for r in rows} == {
        ("2022-12-31", False, True),
        ("2024-12-31", True, False),
    }
    assert ["Stichtage", "jeweils der neueste mit Werten: 31.12.2022, 31.12.2024"] in meta
    record = {r[0]: r for r in meta if r and r[0] in ("kinderarmut", "klasse_test")}
    assert record["kinderarmut"][11] == "31.12.2024" and record["klasse_test"][11] == "31.12.2022"
