"""/api/v1/values/ computes only the indicator-periods a page shows (issue 13, point 4).

A request for every indicator over every period at block level used to compute
all of it (two million cells) to send a page of 100 rows. Now the size of the
answer comes from the area index, and only the indicator-periods the page
touches are read — each one whole, so disclosure control still protects the
full family and period.
"""

from __future__ import annotations

from datetime import date

import pytest

from quartier.access.models import AuditEntry
from quartier.indicators import readlayer
from quartier.indicators.status import Status
from quartier.spatial.index import area_index

pytestmark = pytest.mark.django_db
URL = "/api/v1/values/"


def get(client, **params):
    response = client.get(URL, params, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content[:300]
    return response.json()


def blocks_on(period: date) -> int:
    index = area_index()
    return int(index.valid_positions(index.level("baublock"), period).size)


def periods_of(user, key: str) -> list[date]:
    reader = readlayer.reader(user)
    return reader.periods_by_indicator()[reader.get_indicator(key).id]


def test_a_page_reads_only_the_indicator_periods_it_shows(client, users):
    # Values an administrator sees unprotected are logged per indicator-period computed:
    # the log shows that one page of one period read that period, not all eleven.
    client.force_login(users["admin"])
    periods = periods_of(users["admin"], "arbeitslose")
    offset = sum(blocks_on(p) for p in periods[:3]) + 5
    page = get(
        client, indicator="arbeitslose", level="baublock", period="all", limit=10, offset=offset
    )
    assert page["count"] == sum(blocks_on(p) for p in periods)
    assert {r["period"] for r in page["results"]} == {periods[3].isoformat()}
    logged = AuditEntry.objects.filter(action=AuditEntry.Action.CONFIDENTIAL)
    assert [(e.target, e.details["period"]) for e in logged] == [
        ("arbeitslose", periods[3].isoformat())
    ]


def test_pages_put_together_are_the_whole_answer(client, users):
    query = {"indicator": "arbeitslose,kinderarmut", "level": "baublock", "period": "2023,2024"}
    whole = get(client, **query, limit=100_000)
    assert (
        whole["count"]
        == len(whole["results"])
        == 2 * (blocks_on(date(2023, 12, 31)) + blocks_on(date(2024, 12, 31)))
    )
    # Pages that straddle the border of two periods and of two indicators.
    for offset in (blocks_on(date(2023, 12, 31)) - 3, whole["count"] // 2 - 4):
        page = get(client, **query, limit=7, offset=offset)
        assert page["results"] == whole["results"][offset : offset + 7]
    # Each indicator-period is protected as a whole, never as the page's slice.
    ind = readlayer.get_indicator(users["anonymous"], "arbeitslose")
    full = readlayer.area_values(
        users["anonymous"], ind, area_index().level("baublock"), date(2024, 12, 31)
    )
    hidden = {c for c, _n, _v, status in full.rows() if status == Status.SUPPRESSED}
    rows = [
        r
        for r in whole["results"]
        if r["indicator"] == "arbeitslose" and r["period"].startswith("2024")
    ]
    assert hidden and {r["area"] for r in rows if r["status"] == "suppressed"} == hidden


def test_paging_with_an_area_filter(client):
    query = {
        "indicator": "kinderarmut,ew_gesamt",
        "level": "stadtteil",
        "period": "2022,2023,2024",
        "area": "011,012,999",
    }
    whole = get(client, **query)
    assert whole["count"] == 2 * 3 * 2  # 999 does not exist
    pages = [get(client, **query, limit=5, offset=o)["results"] for o in range(0, 12, 5)]
    assert [row for page in pages for row in page] == whole["results"]
    assert get(client, **query, offset=12)["results"] == []


def test_confidential_describes_the_page(client, users):
    client.force_login(users["admin"])
    key, period = "arbeitslose", date(2024, 12, 31)
    full = readlayer.area_values(
        users["admin"],
        readlayer.get_indicator(users["admin"], key),
        area_index().level("baublock"),
        period,
    )
    marked = full.status == Status.CONFIDENTIAL
    first = int(marked.argmax())
    quiet = next(i for i in range(len(full) - 3) if not marked[i : i + 3].any())
    query = {"indicator": key, "level": "baublock", "period": period.isoformat(), "limit": 3}
    assert get(client, **query, offset=first)["confidential"] is True
    assert get(client, **query, offset=quiet)["confidential"] is False
