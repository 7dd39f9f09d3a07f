import csv
import gzip
import io
import json
import re

import pytest

from quartier.spatial.display import read
from quartier.spatial.models import Area

pytestmark = pytest.mark.django_db


def test_geometry_is_gzipped_cacheable_and_revalidated(client):
    first = client.get("/karte/geometrie/stadtteil/", headers={"accept-encoding": "gzip"})
    assert first.status_code == 200 and first["Content-Encoding"] == "gzip"
    assert first["Content-Type"] == "application/vnd.quartier.geometry"
    doc = read(gzip.decompress(first.content))
    assert len(doc["codes"]) == 45 == len(doc["shapes"]) == len(doc["names"])
    assert doc["codes"] == sorted(doc["codes"])
    etag = first["ETag"]
    again = client.get("/karte/geometrie/stadtteil/", headers={"if-none-match": etag})
    assert again.status_code == 304
    plain = client.get("/karte/geometrie/stadtteil/")
    assert read(plain.content)["version"] == doc["version"]


def test_values_are_aligned_with_the_geometry_and_classified(client):
    geometry = read(client.get("/karte/geometrie/sozialraum/").content)
    data = client.get(
        "/karte/werte/?ebene=sozialraum&indikator=kinderarmut&stichtag=2024-12-31"
    ).json()
    assert data["geometry"] == geometry["version"]
    assert len(data["values"]) == len(geometry["codes"]) == len(data["classes"]) == 225
    shown = sum(entry["count"] for entry in data["legend"])
    assert shown + data["missing"]["count"] + data["suppressed"]["count"] == 225
    table = client.get("/tabelle/csv/?ebene=sozialraum&indikator=kinderarmut&format=international")
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    by_code = {r[0]: r[2] for r in rows[1:226]}
    for code, value in zip(geometry["codes"], data["values"], strict=True):
        assert by_code[code] == ("." if value is None else f"{value:.1f}")
    # every area's class fits its value
    for value, cls in zip(data["values"], data["classes"], strict=True):
        if value is None:
            assert cls == "-"  # suppressed: no class, no value
            continue
        entry = data["legend"][int(cls)]
        assert entry["lower"] - 0.05 <= value <= entry["upper"] + 0.05


def test_values_bad_parameters(client):
    assert client.get("/karte/werte/?indikator=gibtsnicht").status_code == 404
    assert client.get("/karte/werte/?indikator=hze_quote").status_code == 404  # restricted
    bad = client.get("/karte/werte/?indikator=kinderarmut&methode=zauber")
    assert bad.status_code == 400 and "Klassifikation" in bad.json()["error"]
    assert client.get("/karte/werte/?indikator=kinderarmut&klassen=12").status_code == 400
    assert client.get("/karte/werte/?indikator=kinderarmut&stichtag=1999-12-31").status_code == 404
    assert client.get("/karte/werte/?indikator=kinderarmut&ebene=mond").status_code == 404
    manual = client.get(
        "/karte/werte/?ebene=stadtteil&indikator=kinderarmut&methode=manuell&grenzen=10;20,5;30"
    )
    assert [e["upper"] for e in manual.json()["legend"]][:3] == [10, 20.5, 30]


def test_change_mode_values_are_differences(client):
    now = client.get(
        "/karte/werte/?ebene=stadtbezirk&indikator=ew_gesamt&stichtag=2024-12-31"
    ).json()
    then = client.get(
        "/karte/werte/?ebene=stadtbezirk&indikator=ew_gesamt&stichtag=2019-12-31"
    ).json()
    change = client.get(
        "/karte/werte/?ebene=stadtbezirk&indikator=ew_gesamt&stichtag=2024-12-31&vergleich=2019-12-31"
    ).json()
    assert change["values"] == [a - b for a, b in zip(now["values"], then["values"], strict=True)]
    assert change["city"] == now["city"] - then["city"]


def test_area_panel_and_facilities(client):
    data = client.get("/karte/gebiet/stadtteil/011/?indikator=kinderarmut").json()
    assert data["name"] == "Altstadt" and data["parent"]["level"] == "Stadtbezirk"
    assert data["current"]["key"] == "kinderarmut" and 1 <= data["current"]["rank"] <= 45
    assert {k["key"] for k in data["key_figures"]} >= {"ew_gesamt", "sgb2_quote"}
    assert client.get("/karte/gebiet/stadtteil/999/?indikator=kinderarmut").status_code == 404
    kitas = client.get("/karte/einrichtungen/kitas/").json()
    assert len(kitas["features"]) > 50 and kitas["capacity_label"] == "Plätze"
    assert client.get("/karte/einrichtungen/nix/").status_code == 404


def test_table_sorting_ranks_and_deviation(client):
    html = client.get(
        "/tabelle/?ebene=stadtteil&indikator=kinderarmut&sortierung=-wert"
    ).content.decode()
    values = [
        float(v.replace(",", ".")) for v in re.findall(r'<td class="num value">([\d,]+)</td>', html)
    ]
    assert values == sorted(values, reverse=True) and len(values) == 45
    assert 'aria-sort="descending"' in html
    ranks = [int(r) for r in re.findall(r'<tr data-code="\d+">\s*<td class="num">(\d+)</td>', html)]
    assert ranks[:3] == [1, 2, 3]


def test_csv_formats_for_german_excel_and_international(client):
    german = client.get("/tabelle/csv/?ebene=stadtteil&indikator=kinderarmut&format=de")
    text = german.content.decode("utf-8")
    assert text.startswith("\ufeff") and "attachment" in german["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][0] == "Schlüssel" and re.fullmatch(r"\d+,\d", rows[1][2])
    intl = client.get("/tabelle/csv/?ebene=stadtteil&indikator=kinderarmut&format=international")
    rows = list(csv.reader(io.StringIO(intl.content.decode("utf-8-sig"))))
    assert re.fullmatch(r"\d+\.\d", rows[1][2])


def test_csv_neutralises_formulas_in_names(client):
    Area.objects.filter(level__key="stadtteil", code="011").update(name="=HYPERLINK(1)")
    from quartier.spatial.index import clear_area_index

    clear_area_index()
    text = client.get("/tabelle/csv/?ebene=stadtteil&indikator=kinderarmut").content.decode()
    assert "'=HYPERLINK(1)" in text


def test_profile_page(client):
    html = client.get("/gebiete/stadtteil/011/").content.decode()
    assert "<h1>Altstadt</h1>" in html
    assert html.count('<figure class="chart"') >= 20  # charts with the table of their numbers
    assert '<svg class="location-map"' in html
    assert "Kinderarmut" in html and "Hilfen zur Erziehung" not in html
    assert client.get("/gebiete/stadtteil/999/").status_code == 404


def test_compare_two_to_five_areas(client):
    response = client.get("/vergleich/?gebiet=stadtteil:011&gebiet=sozialraum:01102")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Altstadt" in html and "Altstadt-Nordost" in html
    row = re.search(r'<tr data-indicator="ew_gesamt"[^>]*>(.*?)</tr>', html, re.S).group(1)
    assert len(re.findall(r'<td class="num">', row)) == 3  # two areas and the city
    added = client.get("/vergleich/?gebiet=stadtteil:011&ebene_neu=stadtbezirk&neu=01")
    assert added.status_code == 302 and "stadtbezirk%3A01" in added["Location"]
    many = "&".join(f"gebiet=stadtbezirk:{i:02d}" for i in range(1, 8))
    assert client.get(f"/vergleich/?{many}").content.decode().count("Stadtbezirk 0") == 5


def test_map_page_without_basemap_loads_only_local_files(client):
    html = client.get("/karte/").content.decode()
    config = json.loads(
        re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html).group(1)
    )
    assert config["basemap"] == ""
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script>" not in html  # no inline scripts


def test_map_page_with_configured_basemap(client, settings):
    from dataclasses import replace

    settings.QUARTIER = replace(
        settings.QUARTIER,
        basemap_url="https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/de_basemapde_web_raster_farbe/default/GLOBAL_WEBMERCATOR/{z}/{y}/{x}.png",
        basemap_attribution="© basemap.de / BKG",
    )
    html = client.get("/karte/").content.decode()
    assert "basemapde" in html and "BKG" in html


def test_a_level_without_any_visible_value_answers_an_empty_explained_legend(client):
    # Issue 13: this view answered 500 in a load test; every block is missing or secret.
    url = "/karte/werte/?indikator=gymnasialquote&ebene=baublock&stichtag=2014-12-31"
    response = client.get(url)
    assert response.status_code == 200
    data = response.json()
    assert data["legend"] == [] and set(data["classes"]) == {"-"}
    assert data["missing"]["count"] + data["suppressed"]["count"] == len(data["values"]) == 5000
    assert "kein Gebiet" in data["note"]
    for page in ("/tabelle/", "/tabelle/csv/"):
        assert client.get(page + url.partition("?")[2].join("?")).status_code == 200
    shown = client.get("/karte/werte/?indikator=gymnasialquote&ebene=stadtteil").json()
    assert shown["legend"] and shown["note"] is None


@pytest.mark.parametrize("method", ["quantile", "natuerlich", "gleich", "sd", "manuell"])
def test_every_method_classifies_blocks_with_few_distinct_values(client, method):
    # Transitions per block take nine distinct values in 2014, and a natural-breaks sample
    # of them only seven: with eight classes the map answered 500 (mapclassify's ValueError).
    for k in (3, 8, 9):
        response = client.get(
            "/karte/werte/?indikator=uebergaenge&ebene=baublock&stichtag=2014-12-31"
            f"&methode={method}&klassen={k}&grenzen=1;2;5"
        )
        assert response.status_code == 200, (method, k)
        data = response.json()
        assert data["legend"] and data["note"] is None
        assert len(data["legend"]) <= (4 if method == "manuell" else k)  # manual: 3 breaks
        shown = sum(entry["count"] for entry in data["legend"])
        assert shown + data["missing"]["count"] + data["suppressed"]["count"] == 5000


def test_values_say_when_they_hold_unprotected_values(client, users):
    """The map's "confidential" flag (which puts VERTRAULICH on the PNG export) comes from
    the read layer: set exactly when some shown value carries the confidential status."""
    from quartier.indicators.status import Status

    query = "/karte/werte/?ebene=sozialraum&indikator=hze_faelle&stichtag=2024-12-31"
    client.force_login(users["steward"])
    for extra in ("", "&vergleich=2019-12-31"):
        data = client.get(query + extra).json()
        words = {data["statuses"][c]["word"] for c in data["status"]}
        assert data["confidential"] is True and Status.CONFIDENTIAL.word in words
    public = "/karte/werte/?ebene=sozialraum&indikator=kinderarmut&stichtag=2024-12-31"
    assert client.get(public).json()["confidential"] is False
    client.logout()
    data = client.get(public).json()
    assert data["confidential"] is False
    assert "confidential" not in {data["statuses"][c]["word"] for c in data["status"]}


def test_a_type_with_more_than_ten_categories_keeps_one_class_character_per_area(client):
    """The MSS Status/Dynamik-Index has 12 groups: classes 10 and 11 once took two
    characters each and shifted the colours of every area after them."""
    from datetime import date

    from quartier.indicators.models import ImportBatch, Indicator, Value
    from tests.exports.conftest import refresh_caches

    codes = list(range(1, 13))
    groups = Indicator.objects.create(
        key="gruppen_test",
        name="Gruppen",
        topic="soziales",
        kind="other",
        decimals=0,
        visibility="public",
        categories=[{"code": c, "label": f"Gruppe {c}"} for c in codes],
    )
    areas = list(
        Area.objects.filter(level__key="stadtteil", valid_to__isnull=True).order_by("code")
    )
    batch = ImportBatch.objects.create(source_name="test.csv")
    given = {a.code: codes[-1 - i % 12] for i, a in enumerate(areas)}  # 12, 11, 10, … first
    Value.objects.bulk_create(
        Value(indicator=groups, area=a, period=date(2024, 12, 31), value=given[a.code], batch=batch)
        for a in areas
    )
    refresh_caches()
    geometry = read(client.get("/karte/geometrie/stadtteil/").content)
    data = client.get(
        "/karte/werte/?ebene=stadtteil&indikator=gruppen_test&stichtag=2024-12-31"
    ).json()
    assert len(data["classes"]) == len(geometry["codes"]) == len(areas)
    for code, value, cls in zip(geometry["codes"], data["values"], data["classes"], strict=True):
        if value is None:  # hidden by disclosure control: no class
            assert cls == "-"
            continue
        assert value == given[code]
        # One base-36 digit per area (as map.js reads it): 0–9, then a, b …
        assert data["legend"][int(cls, 36)]["label"] == f"Gruppe {given[code]}"
