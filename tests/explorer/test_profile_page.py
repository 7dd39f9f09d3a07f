"""The profile page (Steckbrief) made fast without changing what it shows (issue 15).

Its cells are formatted in Python (explorer.profiledisplay) instead of by a template tag
per cell, and the indicator catalogue is read once per request: these tests check that
the text is the template tags' and that what changes in the catalogue shows at once.
"""

from __future__ import annotations

import math
import re
from datetime import date

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import conditional_escape

from quartier.explorer.profiledisplay import Formatter
from quartier.indicators import catalogue
from quartier.indicators.models import Indicator, Visibility
from quartier.indicators.status import Status

pytestmark = pytest.mark.django_db

NUMBERS = [None, 0, 0.0, -0.0, 0.004, -0.004, 0.5, 14.15, -14.15, 999.995, 1234567.891, 1e20]


def _tag(source: str, **context) -> str:
    return Template("{% load quartier %}" + source).render(Context(context))


@pytest.mark.parametrize("language", ["de", "en"])
def test_formatter_gives_the_template_tags_text(language):
    indicator = Indicator.objects.get(key="kinderarmut")
    typed = Indicator(key="typ", name="Typ", decimals=0, categories=[{"code": 2, "label": "B<"}])
    with translation.override(language):
        fmt = Formatter()
        for value in [*NUMBERS, math.nan]:
            for decimals in (0, 1, 2):
                assert fmt.number(value, decimals) == _tag("{{ v|number:d }}", v=value, d=decimals)
                expected = _tag("{{ v|signed:d }}", v=value, d=decimals)
                assert fmt.signed(value, decimals) == expected
            for ind in (indicator, typed, Indicator(key="x", decimals=1)):
                expected = _tag("{% shown v i %}", v=value, i=ind)
                assert conditional_escape(fmt.shown(value, ind)) == expected
                for status in Status:
                    expected = _tag("{% cell v s i %}", v=value, s=status, i=ind)
                    assert conditional_escape(fmt.cell(value, status, ind)) == expected
        for day in (date(2024, 12, 31), date(987, 1, 2), None):
            assert fmt.period(day) == _tag("{{ d|period }}", d=day)
            if day is not None:
                assert fmt.year(day) == _tag('{{ d|date:"Y" }}', d=day)


def _catalogue_reads(queries) -> list[str]:
    """Queries that load whole indicator rows (the catalogue), not only ids or counts."""
    return [q["sql"] for q in queries if '"indicators_indicator"."description"' in q["sql"]]


def test_a_profile_reads_no_indicator_catalogue_while_it_is_unchanged(client, users):
    """The reader's visible indicators serve the page; the order is asked as ids only.

    The process keeps the catalogue (indicators/catalogue.py) until its token changes:
    the first page reads it, a second page none of it.
    """
    client.force_login(users["admin"])
    client.get("/gebiete/sozialraum/01102/")  # warm: what a second page needs
    catalogue.forget()  # as in a new process
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/gebiete/sozialraum/01103/").status_code == 200
    assert len(_catalogue_reads(queries)) == 1
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/gebiete/sozialraum/01104/").status_code == 200
    assert len(_catalogue_reads(queries)) == 0


def _row(html: str, key: str) -> str:
    start = html.index(f'<tr data-indicator="{key}">')
    return html[start : html.index("</tr>", start)]


def test_a_renamed_or_hidden_indicator_shows_on_the_next_profile(client, users):
    """Nothing of the catalogue outlives a change, also one made without signals
    (another process, ``QuerySet.update``)."""
    url = "/gebiete/stadtteil/011/"
    assert "Kinderarmut" in _row(client.get(url).content.decode(), "kinderarmut")
    Indicator.objects.filter(key="kinderarmut").update(name="Armut der Kinder", decimals=3)
    row = _row(client.get(url).content.decode(), "kinderarmut")
    assert "Armut der Kinder" in row and "Kinderarmut" not in row
    assert re.search(r'<td class="num value">[\d.]*\d,\d{3}\b', row)  # three decimals now
    Indicator.objects.filter(key="kinderarmut").update(visibility=Visibility.RESTRICTED)
    html = client.get(url).content.decode()
    assert 'data-indicator="kinderarmut"' not in html and "Armut der Kinder" not in html
    client.force_login(users["admin"])
    assert "Armut der Kinder" in _row(client.get(url).content.decode(), "kinderarmut")


def test_the_time_series_column_links_each_chartable_row_to_its_chart(client):
    """The "Diagramme" link asked for a row attribute that never existed: every row
    showed "–" although its charts were on the page."""
    html = client.get("/gebiete/stadtteil/011/").content.decode()
    assert '<a href="#chart-kinderarmut" aria-label="Diagramme: Kinderarmut' in _row(
        html, "kinderarmut"
    )
    assert 'id="chart-kinderarmut"' in html
    links = re.findall(r'<a href="#chart-([\w-]+)"', html)
    assert links and all(f'id="chart-{key}"' in html for key in links)
