"""Chart images of the profile, comparison and table pages: read layer, rights, alternatives."""

from __future__ import annotations

import re

import pytest

from quartier.charts.data import segments
from quartier.explorer import chartdata
from quartier.explorer.profile import find_area, indicator_row
from quartier.indicators import readlayer
from quartier.indicators.status import Status

pytestmark = pytest.mark.django_db
SVG = "image/svg+xml; charset=utf-8"


def texts_of(response) -> list[str]:
    """The texts of a chart (matplotlib keeps them as comments beside their glyphs)."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == SVG
    return re.findall(r"<!-- (.*?) -->", response.content.decode())


def test_profile_time_series_shows_area_parent_and_city_with_years_and_unit(client):
    words = texts_of(client.get("/gebiete/stadtteil/011/zeitreihe/kinderarmut.svg"))
    assert [w for w in words if re.fullmatch(r"20\d\d", w)] == [str(y) for y in range(2014, 2025)]
    assert {"Altstadt", "Mitte", "Gesamtstadt", "%"} <= set(words)
    assert all("." not in w for w in words if re.fullmatch(r"[\d.,]+", w))  # 23,5 not 23.5


def test_english_pages_get_english_charts(client):
    client.cookies["django_language"] = "en"
    words = texts_of(client.get("/gebiete/stadtteil/011/zeitreihe/kinderarmut.svg"))
    assert "Whole city" in words and "Gesamtstadt" not in words
    assert any(re.fullmatch(r"\d+\.\d", w) for w in words)


def secret_between_shown(user, key: str, level: str):
    """(code, period index) of an area whose value is secret between two shown ones."""
    reader = readlayer.reader(user)
    indicator = reader.get_indicator(key)
    results = reader.series(
        indicator, reader.level(level), reader.periods_by_indicator()[indicator.id]
    )
    for code in results[-1].codes:
        statuses = [r.status_of(code) for r in results]
        for i in range(1, len(statuses) - 1):
            if statuses[i - 1 : i + 2] == [Status.OK, Status.SUPPRESSED, Status.OK]:
                return code, i
    raise AssertionError("Musterstadt has no secret value between shown ones")


def test_a_secret_year_is_a_marked_gap_not_a_bridge(client, users):
    code, i = secret_between_shown(users["anonymous"], "arbeitslosenquote", "sozialraum")
    url = f"/gebiete/sozialraum/{code}/zeitreihe/arbeitslosenquote.svg"
    assert "geheim" in texts_of(client.get(url))
    area = find_area("sozialraum", code)
    indicator = readlayer.get_indicator(users["anonymous"], "arbeitslosenquote")
    periods = readlayer.periods_by_indicator(users["anonymous"])[indicator.id]
    chart = chartdata.time_series(indicator_row(users["anonymous"], indicator, area, periods), area)
    own = chart.series[0]
    assert own.role == "area" and own.points[i].value is None
    assert own.points[i].status == "suppressed"
    assert [len(run) for run in segments(own.points)] == [i, len(periods) - i - 1]
    # The Sozialamt's value, which its owner's administrator sees, is not in the public chart.
    readlayer.forget(users["admin"])
    client.force_login(users["admin"])
    admin_words = texts_of(client.get(url))
    assert "geheim" not in admin_words and "VERTRAULICH" in admin_words


def test_charts_refuse_what_the_page_refuses(client, users):
    hidden = [
        "/gebiete/stadtteil/011/zeitreihe/hze_quote.svg",
        "/indikatoren/hze_quote/verteilung.svg?ebene=stadtteil",
        "/vergleich/diagramm/hze_quote.svg?gebiet=stadtteil:011",
        "/gebiete/stadtteil/999/zeitreihe/kinderarmut.svg",
        "/indikatoren/kinderarmut/verteilung.svg?ebene=stadtteil&gebiet=999",
        "/vergleich/diagramm/kinderarmut.svg",
        "/gebiete/stadtteil/011/zeitreihe/gibtsnicht.svg",
    ]
    for url in hidden:
        assert client.get(url).status_code == 404, url
    client.force_login(users["steward"])  # the Jugendamt sees its own indicator
    for url in hidden[:3]:
        assert client.get(url)["Content-Type"] == SVG, url


def test_comparison_bars_and_distribution(client):
    bars = texts_of(
        client.get("/vergleich/diagramm/kinderarmut.svg?gebiet=stadtteil:011&gebiet=stadtteil:012")
    )
    assert {"Altstadt", "Gesamtstadt", "%"} <= set(bars)
    spread = texts_of(
        client.get("/indikatoren/kinderarmut/verteilung.svg?ebene=stadtteil&gebiet=011")
    )
    assert any(w.startswith("Altstadt: ") for w in spread) and "Anzahl Gebiete" in spread


def test_secret_values_stay_out_of_distribution_and_bars(client):
    from quartier.indicators.models import Indicator

    Indicator.objects.filter(key="arbeitslose").update(min_count=10_000_000)  # all secret
    spread = texts_of(
        client.get("/indikatoren/arbeitslose/verteilung.svg?ebene=stadtteil&gebiet=011")
    )
    assert not any(w.startswith("Altstadt") for w in spread)
    assert "45 Gebiete ohne Wert oder geheim" in spread
    bars = texts_of(client.get("/vergleich/diagramm/arbeitslose.svg?gebiet=stadtteil:011"))
    assert "geheim" in bars and not [w for w in bars if re.search(r"\d", w)]


def test_a_chart_is_revalidated_by_its_etag(client):
    url = "/gebiete/stadtteil/011/zeitreihe/kinderarmut.svg"
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and first["Cache-Control"] == "private, no-cache"


def test_pages_name_each_chart_with_alt_text_and_the_table_of_its_numbers(client):
    html = client.get("/gebiete/stadtteil/011/").content.decode()
    img = re.search(r'<img src="/gebiete/stadtteil/011/zeitreihe/kinderarmut.svg"[^>]*>', html)
    assert img and 'alt="Zeitreihe Kinderarmut' in img.group(0)
    assert 'aria-describedby="numbers-kinderarmut"' in img.group(0)
    table = html[html.index('<table class="data" id="numbers-kinderarmut">') :]
    table = table[: table.index("</table>")]
    assert table.count('<th scope="row">') == 11 and "Mitte" in table
    assert "/indikatoren/kinderarmut/verteilung.svg?ebene=stadtteil" in html
    assert 'class="spark"' not in html  # no hand-drawn sparklines any more

    compare = client.get("/vergleich/?gebiet=stadtteil:011&gebiet=stadtteil:012").content.decode()
    bar = re.search(r'<img src="/vergleich/diagramm/kinderarmut.svg\?[^"]*"[^>]*>', compare)
    assert bar and 'aria-describedby="cmp-kinderarmut"' in bar.group(0) and 'alt="' in bar.group(0)
    assert 'id="cmp-kinderarmut"' in compare

    table_page = client.get("/tabelle/?indikator=kinderarmut&ebene=stadtteil").content.decode()
    spread = re.search(r'<img src="/indikatoren/kinderarmut/verteilung.svg[^>]*>', table_page)
    assert spread and 'aria-describedby="werte"' in spread.group(0) and 'alt="' in spread.group(0)
