"""The export page, the download endpoint and the links from the table page."""

from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest

from quartier.access.models import AuditEntry
from tests.exports.conftest import P23, P24, read_csv

pytestmark = pytest.mark.django_db


def test_export_page_offers_visible_indicators_grouped_levels_periods_formats(client, users):
    response = client.get("/export/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1>") == 1
    assert 'name="indikator" value="kinderarmut"' in page
    assert "<legend>Soziales</legend>" in page and "<legend>Demografie</legend>" in page
    assert "Übergewicht" not in page and "Hilfen zur Erziehung" not in page
    for level in ["stadt", "stadtbezirk", "stadtteil", "sozialraum", "baublock"]:
        assert f'name="ebene" value="{level}"' in page
    assert re.findall(r'name="stichtag" value="(\d{4})-12-31"', page) == [
        str(y) for y in range(2024, 2013, -1)
    ]
    for fmt in ["csv", "csv-de", "xlsx", "geojson", "gpkg"]:
        assert f'name="format" value="{fmt}"' in page
    assert (
        '<input type="radio" id="stichtage-neueste" name="stichtage" value="neueste" checked>'
        in page
    )
    assert "<script>" not in page and "style=" not in page
    client.force_login(users["analyst"])
    page = client.get("/export/").content.decode()
    assert "Übergewicht" in page and "Hilfen zur Erziehung" not in page
    client.force_login(users["steward"])
    assert "Hilfen zur Erziehung" in client.get("/export/").content.decode()


def test_export_page_keeps_a_choice_from_the_query(client):
    page = client.get(
        "/export/?indikator=kinderarmut&ebene=stadtteil&stichtag=2024-12-31&format=gpkg"
    ).content.decode()
    assert 'value="kinderarmut" checked' in page and 'value="stadtteil" checked' in page
    assert 'value="2024-12-31" checked' in page and 'value="gpkg" checked' in page
    assert 'value="auswahl" checked' in page


def test_navigation_has_export_for_everyone(client, users):
    for user in (None, users["analyst"]):
        if user:
            client.force_login(user)
        page = client.get("/").content.decode()
        assert '<li><a href="/export/">Export</a></li>' in page


def test_anonymous_download_of_public_data(client):
    response = client.get(
        "/export/datei/?indikator=kinderarmut&indikator=ew_gesamt&ebene=stadtteil"
        "&stichtage=auswahl&stichtag=2023-12-31&stichtag=2024-12-31&format=csv-de"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="2-indikatoren_stadtteil_2023-2024.csv"'
    )
    header, rows, _meta = read_csv(response.content, german=True)
    assert len(rows) == 90 and header[4].startswith("kinderarmut")
    assert {r[3] for r in rows} == {P23.isoformat(), P24.isoformat()}
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.user is None and entry.details["format"] == "csv-de"


def test_latest_wins_over_listed_periods_when_chosen(client):
    response = client.get(
        "/export/datei/?indikator=kinderarmut&ebene=stadtbezirk&stichtage=neueste"
        "&stichtag=2020-12-31&format=csv"
    )
    _header, rows, _meta = read_csv(response.content, german=False)
    assert {r[3] for r in rows} == {P24.isoformat()}


def test_signed_in_download_of_an_internal_indicator(client, users):
    url = "/export/datei/?indikator=quote_uebergewicht&ebene=stadtbezirk&format=xlsx"
    response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert "Übergewicht" not in page and "nicht gefunden" in page
    assert 'role="alert"' in page and page.count("<h1>") == 1
    client.force_login(users["analyst"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="quote_uebergewicht_')
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Metadaten", "Stadtbezirk"]
    assert AuditEntry.objects.get(action=AuditEntry.Action.EXPORT).user == users["analyst"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("indikator=kinderarmut&format=xlsx", 400, "Bitte mindestens eine Raumebene wählen."),
        ("ebene=stadtteil", 400, "Bitte mindestens einen Indikator wählen."),
        ("indikator=kinderarmut&ebene=stadtteil&format=pdf", 400, "Unbekanntes Format"),
        ("indikator=kinderarmut&ebene=stadtteil&stichtag=31.12.2024", 400, "Ungültiger Stichtag"),
        (
            "indikator=kinderarmut&ebene=stadtteil&stichtage=auswahl",
            400,
            "mindestens einen Stichtag",
        ),
        ("indikator=kinderarmut&ebene=stadtteil&ebene=stadtbezirk&format=geojson", 400, "GeoJSON"),
        ("indikator=hze_quote&ebene=stadtteil", 404, "nicht gefunden"),
        ("indikator=kinderarmut&ebene=mond", 404, "Unbekannte Raumebene"),
    ],
)
def test_errors_are_shown_on_the_form_in_german(client, query, status, message):
    response = client.get("/export/datei/?" + query)
    assert response.status_code == status
    page = html.unescape(response.content.decode())
    assert message in page
    assert 'id="export-form"' in page and "Hilfen" not in page
    if "indikator=kinderarmut" in query:
        assert 'value="kinderarmut" checked' in page
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_table_page_links_to_the_exports_of_its_view(client):
    query = "indikator=kinderarmut&ebene=sozialraum&stichtag=2023-12-31"
    page = client.get(f"/tabelle/?{query}").content.decode()
    links = re.findall(r'href="(/export/datei/\?[^"]+)"', page)
    formats = [re.search(r"format=([\w-]+)", link).group(1) for link in links]
    assert formats == ["xlsx", "geojson", "gpkg"]
    assert (
        'href="/export/?indikator=kinderarmut&amp;ebene=sozialraum&amp;stichtag=2023-12-31"' in page
    )
    for link in links:
        response = client.get(html.unescape(link))
        assert response.status_code == 200, link
        assert "kinderarmut_sozialraum_2023-12-31." in response["Content-Disposition"]
    # the table's default view (no parameters) links its own level and period
    page = client.get("/tabelle/").content.decode()
    link = html.unescape(re.search(r'href="(/export/datei/\?[^"]+format=xlsx)"', page).group(1))
    assert client.get(link).status_code == 200
