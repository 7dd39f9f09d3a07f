"""The map's defaults, its hint on mostly secret levels, ties in the legend, and the side
panel answering for exactly the map's view (issue 16, points 2, 3 and 9)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from quartier.indicators.status import Status
from quartier.spatial.display import read

pytestmark = pytest.mark.django_db

S, OK, MISSING = Status.SUPPRESSED, Status.OK, Status.MISSING


def values(client, query: str) -> dict:
    response = client.get(f"/karte/werte/?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_mostly_secret_means_more_than_half_of_all_areas():
    from quartier.explorer.mapdata import mostly_secret

    assert mostly_secret(np.array([S, S, OK], dtype=np.uint8))
    assert not mostly_secret(np.array([S, OK], dtype=np.uint8))  # exactly half: readable
    assert not mostly_secret(np.array([S, S, MISSING, MISSING, OK], dtype=np.uint8))
    assert not mostly_secret(np.array([], dtype=np.uint8))


def test_a_mostly_secret_level_offers_the_nearest_coarser_readable_level(client):
    # Issue 16: Kinderarmut by Baublock is mostly grey for the public, nothing said so.
    data = values(client, "ebene=baublock&indikator=kinderarmut&stichtag=2024-12-31")
    hint = data["secret_hint"]
    assert hint["secret"] == data["suppressed"]["count"] and hint["total"] == 5000
    assert hint["secret"] * 2 > hint["total"]
    offered = hint["level"]["key"]
    chain = ["sozialraum", "stadtteil", "stadtbezirk"]  # the block level's parents, nearest first
    assert offered in chain
    for key in chain[: chain.index(offered)]:  # every nearer level is mostly secret too
        nearer = values(client, f"ebene={key}&indikator=kinderarmut&stichtag=2024-12-31")
        assert nearer["suppressed"]["count"] * 2 > len(nearer["values"]), key
    there = values(client, f"ebene={offered}&indikator=kinderarmut&stichtag=2024-12-31")
    assert there["suppressed"]["count"] * 2 <= len(there["values"])
    assert there["secret_hint"] is None


def test_the_hint_follows_change_mode(client):
    data = values(
        client, "ebene=baublock&indikator=kinderarmut&stichtag=2024-12-31&vergleich=2019-12-31"
    )
    assert data["secret_hint"]["secret"] == data["suppressed"]["count"]
    assert data["secret_hint"]["level"] is not None


def test_headline_indicator_and_level_come_from_the_configuration(client, settings):
    plain = values(client, "")  # the configured default: child poverty by Stadtteil
    assert plain["indicator"]["key"] == "kinderarmut" and plain["level"]["key"] == "stadtteil"
    settings.QUARTIER = replace(
        settings.QUARTIER, map_indicator="sgb2_quote", map_level="sozialraum"
    )
    configured = values(client, "")
    assert configured["indicator"]["key"] == "sgb2_quote"
    assert configured["level"]["key"] == "sozialraum"
    page = client.get("/karte/").content.decode()
    assert '"defaults": {"indicator": "sgb2_quote", "level": "sozialraum"}' in page
    # A key the reader cannot see (restricted) or that does not exist: the first rate.
    settings.QUARTIER = replace(settings.QUARTIER, map_indicator="hze_quote", map_level="mond")
    fallback = values(client, "")
    assert fallback["indicator"]["key"] != "hze_quote" and fallback["level"]["key"] == "stadtteil"


def test_the_legend_says_why_quantiles_got_a_class_for_a_frequent_value(client):
    # School transitions by block: most shown values are 0, plain quantiles collapse.
    data = values(client, "ebene=baublock&indikator=uebergaenge&stichtag=2024-12-31")
    first = data["legend"][0]
    assert first["lower"] == first["upper"] == 0
    shown = sum(e["count"] for e in data["legend"])
    assert first["count"] * 2 > shown and len(data["legend"]) >= 3
    note = data["classification_note"]
    assert f"{first['count']:,}".replace(",", ".") in note and "eigene Klasse" in note
    assert values(client, "ebene=stadtteil&indikator=kinderarmut")["classification_note"] is None


def test_the_side_panel_shows_the_change_the_map_shows(client):
    query = "indikator=kinderarmut&stichtag=2024-12-31&vergleich=2019-12-31"
    data = values(client, f"ebene=stadtteil&{query}")
    geometry = read(client.get("/karte/geometrie/stadtteil/").content)
    codes = geometry["codes"]
    i = next(j for j, v in enumerate(data["values"]) if v is not None and v < 0)
    panel = client.get(f"/karte/gebiet/stadtteil/{codes[i]}/?{query}").json()
    change = panel["change"]
    assert round(change["value"], 1) == data["values"][i]  # the map's number …
    assert change["unit"] == data["indicator"]["unit"] == "Prozentpunkte"  # … and unit
    changes, shown = [v for v in data["values"] if v is not None], data["values"][i]
    # The rank of the change among the changes (the map's numbers are rounded: ties).
    assert 1 + sum(v > shown for v in changes) <= change["rank"] <= sum(v >= shown for v in changes)
    assert change["rank_of"] == len(changes) and change["status"] == "ok"
    assert change["since"] == "2019-12-31" and round(change["city"], 1) == data["city"]


def test_the_side_panel_uses_the_maps_stichtag_and_says_geheim(client):
    query = "indikator=sgb2_u15&stichtag=2019-12-31"
    data = values(client, f"ebene=sozialraum&{query}")
    codes = read(client.get("/karte/geometrie/sozialraum/?stichtag=2019-12-31").content)["codes"]
    secret = data["status"].index(str(int(Status.SUPPRESSED)))
    panel = client.get(f"/karte/gebiet/sozialraum/{codes[secret]}/?{query}").json()
    current = panel["current"]
    assert current["period"] == "2019-12-31"  # not the latest Stichtag
    assert current["status"] == "suppressed" and current["value"] is None
    assert (current["mark"], current["label"]) == ("•", "geheim")
    assert panel["change"] is None
