"""/api/v1/values/columns/: one object per indicator-period (issue 15, point 5)."""

from __future__ import annotations

from datetime import date

import pytest

from quartier.indicators import readlayer
from quartier.indicators.status import Status
from quartier.spatial.index import area_index

pytestmark = pytest.mark.django_db
URL = "/api/v1/values/"
QUERY = {"indicator": "arbeitslose,kinderarmut", "level": "baublock", "period": "2023,2024"}


def get(client, layout="rows", **params):
    url = URL + "columns/" if layout == "columns" else URL
    response = client.get(url, params, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_columns_hold_exactly_the_rows_of_the_row_form(client):
    rows = get(client, **QUERY, limit=100_000)
    columns = get(client, **QUERY, limit=100_000, layout="columns")
    assert columns["count"] == rows["count"] and len(columns["results"]) == 4
    letters = columns["status_letters"]
    rebuilt = [
        {
            "indicator": block["indicator"],
            "level": block["level"],
            "area": code,
            "period": block["period"],
            "value": value,
            "status": letters[letter],
        }
        for block in columns["results"]
        for code, value, letter in zip(
            block["areas"], block["values"], block["status"], strict=True
        )
    ]
    assert rebuilt == [{k: v for k, v in r.items() if k != "name"} for r in rows["results"]]
    # A page cut inside an indicator-period gives the same slice.
    page = get(client, **QUERY, limit=7, offset=rows["count"] // 2 - 4, layout="columns")
    assert [len(b["areas"]) for b in page["results"]] == [4, 3]


def test_columns_equal_the_read_layer_and_secret_values_stay_null(client, users):
    ind = readlayer.get_indicator(users["anonymous"], "arbeitslose")
    full = readlayer.area_values(
        users["anonymous"], ind, area_index().level("baublock"), date(2024, 12, 31)
    )
    block = get(client, indicator="arbeitslose", level="baublock", layout="columns")["results"][0]
    assert block["areas"] == list(full.codes)
    suppressed = [i for i, s in enumerate(full.status.tolist()) if s == Status.SUPPRESSED]
    assert suppressed and all(block["values"][i] is None for i in suppressed)
    assert {block["status"][i] for i in suppressed} == {"s"}
    shown = [i for i, s in enumerate(full.status.tolist()) if s == Status.OK]
    assert [block["values"][i] for i in shown] == pytest.approx(
        [float(full.values[i]) for i in shown]
    )
