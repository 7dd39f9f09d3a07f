"""OWSLib's OGC API – Features client against the running app."""

from __future__ import annotations

from datetime import date

import pytest
from owslib.ogcapi.features import Features

from tests.ogc.helpers import default_keys, expected_values, same

pytestmark = pytest.mark.django_db

LEVELS = ["stadt", "stadtbezirk", "stadtteil", "sozialraum", "baublock"]


def test_owslib_finds_landing_page_definition_conformance_and_collections(server):
    api = Features(f"{server}/ogc/")
    assert api.feature_collections() == LEVELS
    assert api.api()["openapi"].startswith("3.0")
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in (api.conformance()["conformsTo"])
    )
    meta = api.collection("sozialraum")
    assert meta["title"] == "Sozialraum" and meta["itemType"] == "feature"


def test_owslib_pages_through_every_sozialraum_with_the_right_values(server):
    api = Features(f"{server}/ogc")
    features, offset = [], 0
    while True:
        page = api.collection_items("sozialraum", limit=100, offset=offset)
        assert page["numberMatched"] == 225
        features += page["features"]
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 100
    assert offset == 200 and len(features) == 225
    assert len({f["id"] for f in features}) == 225
    for key in default_keys():
        want = expected_values(key, "sozialraum")
        for feature in features:
            assert same(feature["properties"][key], want[feature["id"]]), (key, feature["id"])


def test_owslib_single_item_bbox_and_datetime(server):
    api = Features(f"{server}/ogc/")
    item = api.collection_item("stadtteil", "011")
    assert item["id"] == "011" and item["properties"]["level"] == "stadtteil"
    everything = api.collection_items("stadtteil", limit=100)
    assert everything["numberReturned"] == 45
    (minx, miny, maxx, maxy) = api.collection("stadtteil")["extent"]["spatial"]["bbox"][0]
    west = api.collection_items("stadtteil", bbox=[minx, miny, (minx + maxx) / 2, maxy], limit=100)
    assert 0 < west["numberMatched"] < 45
    older = api.collection_items("stadtteil", datetime_="2018-12-31", properties="ew_gesamt")
    assert older["period"] == "2018-12-31"
    want = expected_values("ew_gesamt", "stadtteil", date(2018, 12, 31))
    assert all(same(f["properties"]["ew_gesamt"], want[f["id"]]) for f in older["features"])
