"""Comparison, sources and marks, deviations and changes, search (issue 16, points 6, 7, 10)."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser

from quartier.explorer.units import difference_unit, name_with_unit
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator
from quartier.spatial.models import Area, Level

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def selected(html: str, select_id: str) -> str:
    block = re.search(rf'<select id="{select_id}".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="([^"]*)" selected>', block).group(1)


def row_of(html: str, key: str) -> str:
    return re.search(rf'<tr data-indicator="{key}"[^>]*>(.*?)</tr>', html, re.S).group(1)


def german(value: float, decimals: int) -> str:
    text = f"{abs(value):,.{decimals}f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return ("+" if value > 0 else "−") + text if round(value, decimals) else text


def city_value(key: str, period=P2024) -> float:
    return readlayer.reader(AnonymousUser()).total(Indicator.objects.get(key=key), period)


def area_value(key: str, level: str, code: str, period=P2024) -> float:
    reader = readlayer.reader(AnonymousUser())
    result = reader.values(Indicator.objects.get(key=key), Level.objects.get(key=level), period)
    return result.value_of(code)


# --- point 6: the comparison page ---------------------------------------------------------


def test_comparison_level_defaults_to_a_level_below_the_city(client):
    assert selected(page(client, "/vergleich/"), "c-level") == "stadtbezirk"
    html = page(client, "/vergleich/?gebiet=sozialraum:01101")
    assert selected(html, "c-level") == "sozialraum"  # the level of the chosen area


def test_an_ambiguous_name_lists_the_candidates_to_choose_from(client):
    quarter = Area.objects.get(level__key="stadtteil", code="011", valid_to__isnull=True)
    social = Area.objects.filter(
        level__key="sozialraum", name__icontains=quarter.name, valid_to__isnull=True
    )
    assert social.count() >= 2
    response = client.get(
        "/vergleich/", {"gebiet": "stadtteil:012", "ebene_neu": "sozialraum", "neu": quarter.name}
    )
    assert response.status_code == 200  # no error, no redirect: a choice
    html = response.content.decode()
    assert "passt auf mehrere Gebiete" in html
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', html.split('id="candidates"')[1])
    assert {name for _u, name in links} >= {a.name for a in social[:2]}
    first = htmllib.unescape(links[0][0])
    chosen = parse_qs(urlsplit(first).query)["gebiet"]
    assert chosen[0] == "stadtteil:012" and chosen[1].startswith("sozialraum:")
    # A unique name adds the area at once.
    unique = social.first()
    response = client.get(
        "/vergleich/", {"gebiet": "stadtteil:012", "ebene_neu": "sozialraum", "neu": unique.code}
    )
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["gebiet"] == [
        "stadtteil:012",
        f"sozialraum:{unique.code}",
    ]


def test_a_name_from_another_level_is_offered_there(client):
    quarter = Area.objects.get(level__key="stadtteil", code="011", valid_to__isnull=True)
    html = page(client, f"/vergleich/?ebene_neu=baublock&neu={quarter.name}")
    assert "gibt es nicht auf der Ebene Baublock" in html
    assert f'{quarter.name}</a> <span class="help-inline">(Stadtteil 011' in html


def test_areas_can_be_removed_from_the_comparison(client):
    html = page(client, "/vergleich/?gebiet=stadtteil:011&gebiet=sozialraum:01101")
    removes = [htmllib.unescape(u) for u in re.findall(r'<a class="remove" href="([^"]+)"', html)]
    assert len(removes) == 2
    assert parse_qs(urlsplit(removes[0]).query)["gebiet"] == ["sozialraum:01101"]
    assert parse_qs(urlsplit(removes[1]).query)["gebiet"] == ["stadtteil:011"]
    assert "aus dem Vergleich entfernen" in html


def test_comparison_shows_date_source_and_deviation_from_the_city(client):
    html = page(client, "/vergleich/?gebiet=stadtteil:011&gebiet=stadtteil:012")
    row = row_of(html, "kinderarmut")
    assert 'Stichtag <time datetime="2024-12-31">31.12.2024</time>' in row
    assert "Quelle" in row and Indicator.objects.get(key="kinderarmut").source in row
    deviations = re.findall(r'<span class="help deviation">([^<]+)</span>', row)
    expected = area_value("kinderarmut", "stadtteil", "011") - city_value("kinderarmut")
    assert deviations[0] == f"{german(expected, 1)} Prozentpunkte"
    share = area_value("ew_gesamt", "stadtteil", "011") / city_value("ew_gesamt") * 100
    counts = re.findall(r'<span class="help deviation">([^<]+)</span>', row_of(html, "ew_gesamt"))
    assert counts[0] == f"{german(share, 1).lstrip('+')} % der Stadt"
    assert "Jahre" in row_of(html, "durchschnittsalter").split("deviation")[1]


# --- point 7: sources, marks, deviations, change span, units ---------------------------------


def test_table_names_the_source_explains_marks_and_labels_the_deviation(client):
    html = page(client, "/tabelle/?indikator=kinderarmut&ebene=sozialraum&stichtag=2024-12-31")
    assert "Quelle" in html and Indicator.objects.get(key="kinderarmut").source in html
    legend = re.search(r'<p class="marks-legend".*?</p>', html, re.S).group(0)
    assert "•" in legend and "geheim" in legend and "keine Daten" in legend
    assert "Abweichung vom Stadtwert (Prozentpunkte)" in html
    counts = page(client, "/tabelle/?indikator=ew_gesamt&ebene=stadtteil&stichtag=2024-12-31")
    assert "Anteil an der Stadt (%)" in counts and "Abweichung vom Stadtwert" not in counts
    share = area_value("ew_gesamt", "stadtteil", "011") / city_value("ew_gesamt") * 100
    row = re.search(r'<tr data-code="011">(.*?)</tr>', counts, re.S).group(1)
    assert f'<td class="num deviation">{german(share, 1).lstrip("+")} %</td>' in row
    csv = client.get("/tabelle/csv/?indikator=ew_gesamt&ebene=stadtteil").content.decode()
    assert "Anteil an der Stadt (%)" in csv.splitlines()[0]


def test_profile_names_sources_and_explains_marks(client):
    html = page(client, "/gebiete/sozialraum/01101/")
    source = Indicator.objects.get(key="kinderarmut").source
    assert f'Quelle: <span class="source">{source}</span>' in row_of(html, "kinderarmut")
    assert '<p class="marks-legend"' in html
    deviation = re.search(r'<td class="num deviation">([^<]+)</td>', row_of(html, "kinderarmut"))
    assert deviation.group(1).endswith(" Prozentpunkte")
    # Counts: the share of the city under the value, no difference in the deviation column.
    counts = row_of(html, "ew_gesamt")
    assert "% der Stadt" in counts
    assert re.search(r'<td class="num deviation">–</td>', counts)


def test_profile_change_span_is_selectable_and_starts_early_by_default(client):
    periods = readlayer.periods_by_indicator(AnonymousUser())[
        Indicator.objects.get(key="ew_gesamt").id
    ]
    html = page(client, "/gebiete/stadtteil/011/")
    assert selected(html, "p-since") == "earliest"
    change = re.search(r'<td class="num change">(.*?)</td>', row_of(html, "ew_gesamt"), re.S)
    assert f"seit {periods[0].year}" in change.group(1)

    previous = page(client, "/gebiete/stadtteil/011/?seit=vorher")
    assert f"seit {periods[-2].year}" in row_of(previous, "ew_gesamt")

    since = date(2019, 12, 31)
    chosen = page(client, f"/gebiete/stadtteil/011/?seit={since}")
    assert selected(chosen, "p-since") == since.isoformat()
    row = row_of(chosen, "kinderarmut")
    expected = area_value("kinderarmut", "stadtteil", "011") - area_value(
        "kinderarmut", "stadtteil", "011", since
    )
    change = re.search(r'<td class="num change">(.*?)<br>', row, re.S).group(1)
    assert change == f"{german(expected, 1)} Prozentpunkte"
    assert "seit 2019" in row


def test_no_unit_is_shown_twice(client, users):
    assert name_with_unit("Hilfen zur Erziehung (Fälle)", "Fälle") == "Hilfen zur Erziehung (Fälle)"
    assert name_with_unit("Einwohner", "Personen") == "Einwohner (Personen)"
    assert difference_unit("%") == "Prozentpunkte" and difference_unit("Jahre") == "Jahre"
    client.force_login(users["steward"])
    for url in [
        "/",
        "/gebiete/stadtteil/011/",
        "/vergleich/?gebiet=stadtteil:011",
        "/indikatoren/hze_faelle/",
        "/tabelle/?indikator=hze_faelle&ebene=stadtteil",
    ]:
        html = page(client, url)
        assert "Hilfen zur Erziehung (Fälle)" in html, url
        assert "(Fälle) (Fälle)" not in html and "(Fälle) <span" not in html, url


# --- point 10: entry points -------------------------------------------------------------------


def test_landing_page_has_a_search_that_works_without_javascript(client):
    html = page(client, "/")
    form = re.search(r'<form method="get" action="/suche/" role="search".*?</form>', html, re.S)
    assert form and 'name="q"' in form.group(0) and '<label for="site-q">' in form.group(0)
    found = page(client, "/suche/?q=kinderarmut")
    assert 'href="/indikatoren/kinderarmut/"' in found
    assert 'href="/karte/?indikator=kinderarmut"' in found


def test_search_finds_areas_of_every_level_and_names_the_level(client):
    quarter = Area.objects.get(level__key="stadtteil", code="011", valid_to__isnull=True)
    html = page(client, f"/suche/?q={quarter.name}")
    areas = html.split('id="area-results"')[1]
    assert f"({quarter.level.name} 011" in areas
    assert "(Sozialraum 011" in areas  # its Sozialräume carry its name
    levels = re.findall(r'<span class="help-inline">\((\w+) ', areas)
    assert levels.index("Stadtteil") < levels.index("Sozialraum")  # coarse first
    data = client.get("/suche/", {"q": "01101", "format": "json"}).json()
    assert data["areas"][0]["level"] == "sozialraum" and data["areas"][0]["code"] == "01101"
    assert page(client, "/suche/?q=x").count('id="area-results"') == 0  # too short


def test_indicator_page_links_to_the_map_with_that_indicator(client):
    html = page(client, "/indikatoren/kinderarmut/?ebene=stadtteil&stichtag=2019-12-31")
    link = re.search(r'<a id="map-link" href="([^"]+)"', html).group(1)
    query = parse_qs(urlsplit(htmllib.unescape(link)).query)
    assert urlsplit(link).path == "/karte/"
    assert query == {
        "indikator": ["kinderarmut"],
        "ebene": ["stadtteil"],
        "stichtag": ["2019-12-31"],
    }
