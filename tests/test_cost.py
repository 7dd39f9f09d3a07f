"""The work of one web request is bounded (issue 13, point 4).

* A request asking for too much is refused with 400 before anything is read, in
  each interface's error format, saying how to narrow it.
* Heavy requests compute a few at a time; beyond the waiting room they get 503
  with ``Retry-After`` at once, so cheap requests keep their threads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from quartier import cost
from quartier.indicators import readlayer

pytestmark = pytest.mark.django_db
TEN = [
    "kinderarmut",
    "sgb2_quote",
    "ew_gesamt",
    "arbeitslosenquote",
    "arbeitslose",
    "anteil_u18",
    "anteil_migration",
    "durchschnittsalter",
    "wohnflaeche_je_ew",
    "ew_u18",
]
NARROW = "weniger Indikatoren oder Stichtage, eine gröbere Raumebene oder kleinere Seiten"


@pytest.fixture
def limits(settings):
    """Set the limits of this installation for one test."""

    def set_limits(**changes):
        settings.QUARTIER = replace(settings.QUARTIER, **changes)

    return set_limits


def public_keys(users) -> list[str]:
    return [i.key for i in readlayer.visible_indicators(users["anonymous"]).order_by("key")]


def test_the_issues_request_is_answered_page_by_page(client, users):
    keys = ",".join(public_keys(users))
    url = f"/api/v1/values/?indicator={keys}&level=baublock&period=all&limit=100"
    page = client.get(url).json()
    assert len(page["results"]) == 100 and page["count"] > 1_000_000


def test_too_much_work_is_refused_with_a_way_to_narrow_it(client, users):
    # Every public indicator over every period for one block: few rows, yet each of
    # the ~400 indicator-periods must be computed whole (its protection needs it).
    keys = ",".join(public_keys(users))
    response = client.get(
        "/api/v1/values/",
        {"indicator": keys, "level": "baublock", "period": "all", "area": "01101001"},
    )
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    message = response.json()["error"]
    assert NARROW in message and "/ Request too large" in message and "1.000.000" in message
    coarser = client.get(
        "/api/v1/values/", {"indicator": keys, "level": "stadtteil", "area": "011"}
    )
    assert coarser.status_code == 200


def test_the_limit_is_a_setting_and_holds_for_exports_and_features(client, limits):
    limits(max_request_values=200_000)
    keys = ",".join(TEN)
    periods = "2021,2022,2023,2024"  # 10 indicators × 4 periods × 5,000 blocks
    api = client.get(
        "/api/v1/exports/", {"indicator": keys, "level": "baublock", "period": periods}
    )
    assert api.status_code == 400 and NARROW in api.json()["error"]
    fine = client.get(
        "/api/v1/exports/", {"indicator": keys, "level": "stadtteil", "period": periods}
    )
    assert fine.status_code == 200
    query = "&".join(f"indikator={k}" for k in TEN) + "&ebene=baublock&stichtage=auswahl"
    query += "".join(f"&stichtag={y}-12-31" for y in periods.split(","))
    page = client.get(f"/export/datei/?{query}&format=csv")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert NARROW in page.content.decode()
    limits(max_request_values=50_000)  # a feature page costs its own rows, not the level's
    ogc = client.get(f"/ogc/collections/baublock/items?properties={keys}&limit=5000&f=json")
    assert ogc.status_code == 400 and NARROW in ogc.json()["description"]
    small = client.get(f"/ogc/collections/baublock/items?properties={keys}&limit=100&f=json")
    assert small.status_code == 200 and small.json()["numberReturned"] == 100
    one_block = {"indicator": keys, "level": "baublock", "area": "01101001", "period": "all"}
    values = client.get("/api/v1/values/", one_block)
    assert values.status_code == 400 and NARROW in values.json()["error"]
    assert (
        client.get(f"/ogc/collections/stadtteil/items?properties={keys}&f=json").status_code == 200
    )


@pytest.fixture
def busy(limits, monkeypatch):
    """Every heavy slot taken (one, held by this test); a heavy request finds none free."""
    limits(heavy_requests=1)
    monkeypatch.setattr(cost, "WAIT_SECONDS", 0)  # no waiting for a turn in these tests
    with cost.limited(cost.HEAVY_CELLS):
        yield


TEN_Q = ",".join(TEN)
TEN_DATEI = "&".join(f"indikator={key}" for key in TEN)
HEAVY = {  # path → kind of error answer; each computes more than cost.HEAVY_CELLS
    f"/api/v1/values/?indicator={TEN_Q}&level=stadt&period=all&limit=100": "api",
    f"/api/v1/values/?indicator={TEN_Q}&level=baublock&period=all&limit=100000": "api",
    f"/api/v1/exports/?indicator={TEN_Q}&level=baublock&period=2023,2024&format=csv": "api",
    f"/export/datei/?{TEN_DATEI}&ebene=baublock&stichtage=auswahl"
    "&stichtag=2023-12-31&stichtag=2024-12-31&format=csv": "html",
    "/ogc/collections/baublock/items?limit=5000&f=json": "ogc",
    "/ogc/collections/baublock/items?limit=5000&f=html": "html",
}
PAGES = [  # heavy too, but their size is not the caller's choice: they wait, never refused
    "/api/v1/profiles/stadtteil/011/",
    "/gebiete/stadtteil/011/",
    "/vergleich/?gebiet=baublock:01101001&gebiet=baublock:01101002",
]


@pytest.mark.parametrize("url", list(HEAVY))
def test_a_heavy_request_without_a_free_slot_gets_503_and_retry_after(client, busy, url):
    response = client.get(url)
    assert response.status_code == 503 and response["Retry-After"] == str(cost.RETRY_AFTER)
    kind = HEAVY[url]
    if kind == "api":
        assert "zu viele große Abfragen" in response.json()["error"]
    elif kind == "ogc":
        assert response.json()["code"] == "ServiceUnavailable"
    else:
        assert response["Content-Type"].startswith("text/html")
        assert "zu viele große Abfragen" in response.content.decode()


def test_cheap_requests_are_answered_while_the_slots_are_taken(client, busy):
    for url in (
        "/api/v1/values/?indicator=kinderarmut&level=baublock",
        "/api/v1/values/?indicator=kinderarmut,ew_gesamt&level=stadtteil&period=all",
        "/karte/werte/?indikator=kinderarmut&ebene=baublock",
        "/tabelle/?indikator=kinderarmut&ebene=baublock",
        "/ogc/collections/baublock/items?properties=kinderarmut&f=json",
        "/api/v1/exports/?indicator=kinderarmut&level=baublock",
        "/api/v1/profiles/stadtteil/011/?key_figures=true",
        "/api/v1/indicators/",
    ):
        assert client.get(url).status_code == 200, url


def test_a_heavy_request_runs_once_a_slot_is_free(client, limits, monkeypatch):
    limits(heavy_requests=1)
    monkeypatch.setattr(cost, "WAIT_SECONDS", 0)
    url = next(iter(HEAVY))
    with cost.limited(cost.HEAVY_CELLS):
        assert client.get(url).status_code == 503
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_a_profile_or_comparison_waits_for_a_slot_instead_of_being_refused(
    client, limits, monkeypatch, url
):
    limits(heavy_requests=1)
    monkeypatch.setattr(cost, "WAIT_SECONDS", 0)  # an API request would be refused at once
    limiter = cost._limiter(1)
    taken, seen_waiting = threading.Event(), []

    def hold_the_slot_until_the_page_waits():
        with cost.limited(cost.HEAVY_CELLS):
            taken.set()
            for _ in range(6000):
                if limiter.queued:
                    seen_waiting.append(True)
                    break
                time.sleep(0.01)

    holder = threading.Thread(target=hold_the_slot_until_the_page_waits)
    holder.start()
    taken.wait()
    response = client.get(url)  # waits in the queue until the holder lets go
    holder.join()
    assert seen_waiting == [True]  # it did wait for the taken slot …
    assert response.status_code == 200  # … and was answered, not refused
    assert limiter.queued == 0


def test_heavy_requests_wait_for_a_turn_and_beyond_the_waiting_room_are_refused(
    limits, monkeypatch
):
    limits(heavy_requests=1)  # one computes, one may wait
    monkeypatch.setattr(cost, "WAIT_SECONDS", 60)  # the second waits for its turn, however slow
    limiter = cost._limiter(1)
    ran = []

    def second():
        with cost.limited_or_busy(cost.HEAVY_CELLS):
            ran.append(True)

    def a_page():
        with cost.limited(cost.HEAVY_CELLS):
            ran.append("page")

    with cost.limited_or_busy(cost.HEAVY_CELLS):
        helper = threading.Thread(target=second)
        helper.start()
        for _ in range(6000):  # until the second one is in the waiting room
            if not limiter._admitted._value:
                break
            time.sleep(0.01)
        assert limiter._admitted._value == 0
        with pytest.raises(cost.Busy), cost.limited_or_busy(cost.HEAVY_CELLS):
            pass  # a third one is refused at once, without waiting
        assert not ran  # the second is still waiting: the one slot is taken
        page = threading.Thread(target=a_page)  # a page queues even with the room full
        page.start()
        for _ in range(6000):
            if limiter.queued:
                break
            time.sleep(0.01)
        assert limiter.queued == 1 and not ran
    helper.join()
    page.join()
    assert sorted(ran, key=str) == [True, "page"]
    with cost.limited(cost.HEAVY_CELLS - 1):  # not heavy: never waits, never refused
        pass
