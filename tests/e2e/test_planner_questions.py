"""The two planner questions of issue 16, from the landing page, in at most three interactions.

1. "Where is child poverty highest and how did it change since 2019?"
2. "How does Sozialraum X compare with the city?"

An interaction is one thing a user does: a search typed and sent, a click, a choice in a list.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.helpers import legend, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def test_where_child_poverty_is_highest_and_how_it_changed_since_2019(page):
    page.goto(f"{page.server}/")
    page.fill("#site-q", "Kinderarmut")
    page.press("#site-q", "Enter")  # 1: search
    hit = page.locator("#indicator-results li").filter(has_text="Kinderarmut").first
    hit.get_by_role("link", name=re.compile("auf der Karte")).click()  # 2: to the map
    wait_ready(page)
    assert page.input_value("#indicator") == "kinderarmut"
    assert legend(page)  # where it is highest: the classes, and the table behind the link
    assert "indikator=kinderarmut" in page.get_attribute("#table-link", "href")
    page.select_option("#compare", "2019-12-31")  # 3: the change since 2019
    wait_ready(page)
    assert "vergleich=2019-12-31" in page.url
    assert page.is_checked("#change-mode")
    title = page.text_content("#map-title")
    assert "Veränderung" in title and "2019" in title, title
    # Back to the level: the same list offers it, and the change mode goes off.
    page.select_option("#compare", "")
    wait_ready(page)
    assert not page.is_checked("#change-mode") and "vergleich=" not in page.url


def test_how_a_sozialraum_compares_with_the_city(page):
    from quartier.spatial.models import Area

    area = Area.objects.filter(level__key="sozialraum").order_by("code").first()
    page.goto(f"{page.server}/")
    page.fill("#site-q", area.name)
    page.press("#site-q", "Enter")  # 1: search
    hit = page.locator("#area-results li").filter(has_text=f"{area.level.name} {area.code}")
    hit.get_by_role("link", name=area.name, exact=True).click()  # 2: the profile
    assert page.text_content("h1") == area.name
    headers = page.locator("table thead th").all_text_contents()
    assert "Gesamtstadt" in headers and "Abweichung vom Stadtwert" in headers
    city = headers.index("Gesamtstadt")
    first_row = page.locator("table tbody tr").first.locator("th, td").all_text_contents()
    assert re.search(r"\d", first_row[city]), first_row
