import re

import pytest

pytestmark = pytest.mark.django_db


def test_landing_page_lists_levels_indicators_and_periods(client):
    html = client.get("/").content.decode()
    for name in ["Stadt", "Stadtbezirk", "Stadtteil", "Sozialraum", "Baublock"]:
        assert f'<th scope="row">{name}</th>' in html
    assert len(re.findall(r'href="/indikatoren/', html)) >= 25
    assert re.findall(r'<time datetime="(\d{4})-12-31">', html) == [
        str(y) for y in range(2014, 2025)
    ]
    assert "Soziales" in html and "Demografie" in html


def test_landing_page_hides_what_the_visitor_may_not_see(client, users):
    anonymous = client.get("/").content.decode()
    assert "Hilfen zur Erziehung" not in anonymous
    assert "Übergewicht" not in anonymous
    client.force_login(users["analyst"])
    analyst = client.get("/").content.decode()
    assert "Übergewicht" in analyst and "Hilfen zur Erziehung" not in analyst
    client.force_login(users["steward"])
    assert "Hilfen zur Erziehung" in client.get("/").content.decode()


def test_indicator_table_shows_read_layer_values(client):
    response = client.get("/indikatoren/ew_gesamt/?ebene=stadtbezirk&stichtag=2024-12-31")
    html = response.content.decode()
    assert response.status_code == 200
    rows = re.findall(
        r'<tr><td>(\d+)</td><th scope="row">([^<]+)</th><td class="num">([\d.]+)</td></tr>', html
    )
    assert len(rows) == 10
    total = re.search(r'Gesamtstadt</th><td class="num">([\d.]+)</td>', html).group(1)
    as_int = [int(v.replace(".", "")) for _c, _n, v in rows]
    assert sum(as_int) == int(total.replace(".", ""))
    assert "Summiert bzw. berechnet aus der Ebene Baublock" in html


def test_restricted_indicator_page_is_not_found_for_others(client, users):
    assert client.get("/indikatoren/hze_quote/").status_code == 404
    client.force_login(users["analyst"])
    response = client.get("/indikatoren/hze_quote/")
    assert response.status_code == 404
    assert "Hilfen" not in response.content.decode()
    client.force_login(users["steward"])
    assert client.get("/indikatoren/hze_quote/").status_code == 200


def test_bad_parameters_fall_back_to_defaults(client):
    response = client.get("/indikatoren/kinderarmut/?ebene=unsinn&stichtag=31.12.2024")
    assert response.status_code == 200
    assert "Stichtag 31.12.2024" in response.content.decode()


def test_english_translation(client):
    html = client.get("/", headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en">' in html
    assert "Levels" in html and "Raumebenen von grob nach fein" not in html


def test_pages_load_nothing_from_other_hosts(client):
    for url in ["/", "/indikatoren/kinderarmut/", "/admin/login/"]:
        html = client.get(url).content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', html), url


def test_indicator_page_names_the_visible_parts_of_a_sum(client, users):
    from quartier.indicators.models import Indicator, Visibility

    page = client.get("/indikatoren/ew_u18/").content.decode()
    assert "Summe aus" in page and 'href="/indikatoren/ew_15_17/"' in page
    # A part the visitor may not see is not named.
    Indicator.objects.filter(key="ew_15_17").update(visibility=Visibility.INTERNAL)
    page = client.get("/indikatoren/ew_u18/").content.decode()
    assert "ew_15_17" not in page and "15 bis unter 18" not in page
    assert 'href="/indikatoren/ew_u15/"' in page
