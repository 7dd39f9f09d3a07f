"""The public portal's profile pages are kept rendered until what they show changes (issue 15).

Half of the mixed load's CPU went into profile pages computed anew for every
anonymous visitor. These tests count the real computations (``area_profile``)
and check that every change a page depends on shows on the next request, also
changes made by another process (``QuerySet.update``, no signals), and that no
signed-in user is ever served from, or feeds, the public copy.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import override_settings

from quartier.explorer import pages, profilecache
from quartier.indicators import disclosure
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import Indicator, Value
from quartier.spatial.models import Area

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)
URL = "/gebiete/stadtteil/011/"


@pytest.fixture(autouse=True)
def _empty():
    profilecache.clear()
    yield
    profilecache.clear()


@pytest.fixture
def computed(monkeypatch):
    """The codes of the areas whose profile was really computed, in order."""
    calls = []
    real = pages.area_profile

    def counting(user, area, **kwargs):
        calls.append(area.code)
        return real(user, area, **kwargs)

    monkeypatch.setattr(pages, "area_profile", counting)
    return calls


def _content(response) -> str:
    """The page without the per-response CSRF token (a fresh mask in every response)."""
    html = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _row(html: str, key: str) -> str:
    start = html.index(f'<tr data-indicator="{key}">')
    return html[start : html.index("</tr>", start)]


def test_a_public_profile_is_computed_once_and_served_again_unchanged(client, computed):
    first = client.get(URL)
    second = client.get(URL)
    assert first.status_code == second.status_code == 200
    assert computed == ["011"]
    assert _content(first) == _content(second)
    client.get(URL + "?seit=vorher")  # another start of the change: another page
    client.get("/gebiete/stadtteil/012/")
    assert computed == ["011", "011", "012"]


def test_signed_in_users_neither_get_nor_feed_the_public_copy(client, users, computed):
    public = _content(client.get(URL))
    assert 'data-indicator="esu_untersucht"' not in public
    client.force_login(users["admin"])
    staff = _content(client.get(URL))
    assert 'data-indicator="esu_untersucht"' in staff  # internal: the admin sees it
    client.get(URL)
    client.logout()
    assert 'data-indicator="esu_untersucht"' not in _content(client.get(URL))
    assert computed == ["011", "011", "011"]  # the admin twice, the public copy reused once


def test_an_import_shows_on_the_next_public_profile(client, computed):
    area = Area.objects.get(level__key="stadtteil", code="011", valid_to__isnull=True)
    before = _row(client.get(URL).content.decode(), "ew_gesamt")
    block = (
        Value.objects.filter(
            indicator__key="ew_gesamt",
            period=P2024,
            value__gte=50,
            area__level__key="baublock",
            area__valid_to__isnull=True,
            area__parent__parent=area,
        )
        .select_related("area")
        .first()
    )
    assert block is not None
    write_values(
        create_batch("korrektur.csv"),
        [(block.indicator_id, block.area_id, P2024, block.value + 1000, "")],
    )
    after = _row(client.get(URL).content.decode(), "ew_gesamt")
    assert after != before
    assert computed == ["011", "011"]


def test_edits_made_by_another_process_show_at_once(client, computed):
    """Catalogue and area rows changed without signals (as another process does)."""
    client.get(URL)
    Indicator.objects.filter(key="kinderarmut").update(name="Armut der Kinder")
    assert "Armut der Kinder" in _row(client.get(URL).content.decode(), "kinderarmut")
    Area.objects.filter(level__key="stadtteil", code="011").update(name="Neuer Name")
    assert "<h1>Neuer Name</h1>" in client.get(URL).content.decode()
    parent = Area.objects.get(level__key="stadtteil", code="011", valid_to__isnull=True).parent
    Area.objects.filter(pk=parent.pk).update(name="Anderer Bezirk")
    assert "Anderer Bezirk" in client.get(URL).content.decode()
    assert len(computed) == 4


def test_forgotten_protection_masks_are_a_new_page(client, computed):
    client.get(URL)
    disclosure.clear()  # e.g. thresholds changed in the admin
    client.get(URL)
    assert computed == ["011", "011"]


def test_each_language_has_its_own_copy(client, computed):
    german = client.get(URL, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Abweichung vom Stadtwert" in german
    assert "Abweichung vom Stadtwert" not in english
    assert computed == ["011", "011"]


@override_settings(QUARTIER_PROFILE_CACHE_MB=0.03)
def test_the_kept_pages_stay_within_their_bound(client, computed):
    codes = ["011", "012", "013", "021"]
    for code in codes:
        client.get(f"/gebiete/stadtteil/{code}/")
    assert profilecache.size() <= 0.03 * 1024 * 1024
    client.get("/gebiete/stadtteil/011/")  # the oldest was dropped: computed again
    assert computed == [*codes, "011"]


@override_settings(QUARTIER_PROFILE_CACHE_MB=0)
def test_a_bound_of_zero_keeps_nothing(client, computed):
    client.get(URL)
    client.get(URL)
    assert computed == ["011", "011"]
    assert profilecache.size() == 0
