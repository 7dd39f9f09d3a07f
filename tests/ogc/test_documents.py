"""Landing page, conformance, collections, API definition; content negotiation and HTML pages."""

from __future__ import annotations

import pytest

from quartier.spatial.models import Area, Level
from tests.test_accessibility import check

pytestmark = pytest.mark.django_db

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
UTM32 = "http://www.opengis.net/def/crs/EPSG/0/25832"
UTM33 = "http://www.opengis.net/def/crs/EPSG/0/25833"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def rels(doc):
    return {(link["rel"], link["type"]): link["href"] for link in doc["links"]}


def test_landing_page_links_definition_conformance_and_data(ogc):
    response = ogc("")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    doc = response.json()
    links = rels(doc)
    assert "Musterstadt" in doc["title"]
    assert links[("self", "application/json")] == "http://testserver/ogc/?f=json"
    assert links[("alternate", "text/html")] == "http://testserver/ogc/?f=html"
    assert links[("service-desc", "application/vnd.oai.openapi+json;version=3.0")] == (
        "http://testserver/ogc/api"
    )
    assert links[("conformance", "application/json")].startswith(
        "http://testserver/ogc/conformance"
    )
    assert links[("data", "application/json")].startswith("http://testserver/ogc/collections")


def test_conformance_declares_core_geojson_html_oas30_and_crs(ogc):
    classes = ogc("conformance").json()["conformsTo"]
    for part in ("core", "geojson", "html", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{part}" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_one_collection_per_level_with_extent_and_crs(ogc):
    doc = ogc("collections").json()
    ids = [c["id"] for c in doc["collections"]]
    assert ids == list(Level.objects.order_by("order", "key").values_list("key", flat=True))
    assert ids == ["stadt", "stadtbezirk", "stadtteil", "sozialraum", "baublock"]
    assert doc["crs"] == [CRS84, UTM32, UTM33]
    block = next(c for c in doc["collections"] if c["id"] == "baublock")
    assert block["title"] == "Baublock" and block["itemType"] == "feature"
    assert block["crs"] == [CRS84, UTM32, UTM33] and block["storageCrs"] == CRS84
    assert block["extent"]["temporal"]["interval"] == [
        ["2014-12-31T00:00:00Z", "2024-12-31T00:00:00Z"]
    ]
    (minx, miny, maxx, maxy) = block["extent"]["spatial"]["bbox"][0]
    areas = Area.objects.filter(level__key="baublock")
    assert minx == pytest.approx(min(areas.values_list("min_lon", flat=True)), abs=1e-6)
    assert maxy == pytest.approx(max(areas.values_list("max_lat", flat=True)), abs=1e-6)
    assert minx < maxx and miny < maxy
    links = rels(block)
    assert links[("items", "application/geo+json")] == (
        "http://testserver/ogc/collections/baublock/items"
    )
    assert ("items", "text/html") in links
    assert links[("describedby", "application/schema+json")].endswith("/baublock/schema")


def test_single_collection_and_unknown_level(ogc):
    doc = ogc("collections/stadtteil").json()
    assert doc["id"] == "stadtteil" and "45" in doc["description"]
    assert rels(doc)[("self", "application/json")].startswith(
        "http://testserver/ogc/collections/stadtteil"
    )
    missing = ogc("collections/gibtsnicht")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NotFound" and missing.json()["description"]


def test_routes_answer_with_and_without_trailing_slash(ogc):
    for path in (
        "conformance",
        "collections",
        "collections/stadtteil",
        "collections/stadtteil/items",
        "collections/stadtteil/items/011",
        "collections/stadtteil/schema",
        "api",
    ):
        for variant in (path, path + "/"):
            response = ogc(variant)
            assert response.status_code == 200, variant
            assert "json" in response["Content-Type"], variant


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        ("", "", "application/json"),
        ("*/*", "", "application/json"),
        ("application/json", "", "application/json"),
        (BROWSER, "", "text/html"),
        ("text/html", "", "text/html"),
        (BROWSER, "?f=json", "application/json"),
        ("application/json", "?f=html", "text/html"),
        ("text/html;q=0.5, application/json", "", "application/json"),
    ],
)
def test_content_negotiation_by_f_and_accept(ogc, accept, query, expected):
    headers = {"accept": accept} if accept else {}
    response = ogc("collections" + query, **headers)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == expected
    assert "Accept" in response["Vary"]


def test_items_negotiate_geojson_and_unknown_format_is_400(ogc):
    assert ogc("collections/stadtteil/items")["Content-Type"] == "application/geo+json"
    assert (
        ogc("collections/stadtteil/items", accept="application/geo+json")["Content-Type"]
        == "application/geo+json"
    )
    bad = ogc("collections/stadtteil/items?f=xml")
    assert bad.status_code == 400 and bad.json()["code"] == "InvalidParameterValue"


def test_api_definition_is_openapi_30_with_limit_bounds_per_collection(ogc):
    response = ogc("api")
    assert response["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = response.json()
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"] == [{"url": "http://testserver/ogc"}]
    for level in ("stadt", "stadtbezirk", "stadtteil", "sozialraum", "baublock"):
        items = doc["paths"][f"/collections/{level}/items"]["get"]
        refs = {p["$ref"] for p in items["parameters"]}
        assert "#/components/parameters/limit" in refs and "#/components/parameters/crs" in refs
        assert f"/collections/{level}/items/{{featureId}}" in doc["paths"]
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"], limit["minimum"]) == (100, 10000, 1)
    assert doc["components"]["parameters"]["crs"]["schema"]["enum"] == [CRS84, UTM32, UTM33]


def test_schema_describes_fields_for_gdal(ogc):
    response = ogc("collections/sozialraum/schema")
    assert response["Content-Type"] == "application/schema+json"
    props = response.json()["properties"]["properties"]["properties"]
    assert list(props)[:4] == ["code", "name", "level", "period"]
    assert props["period"] == {"type": "string", "format": "date", "title": "Stichtag"}
    assert props["ew_gesamt"]["type"] == "number"
    assert props["kinderarmut"]["type"] == "number"
    assert list(props)[-1] == "suppressed"
    chosen = ogc("collections/sozialraum/schema?properties=kinderarmut").json()
    assert list(chosen["properties"]["properties"]["properties"]) == [
        "code",
        "name",
        "level",
        "period",
        "kinderarmut",
        "suppressed",
    ]


@pytest.mark.parametrize(
    "path",
    [
        "",
        "conformance",
        "collections",
        "collections/stadtteil",
        "collections/stadtteil/items",
        "collections/stadtteil/items?limit=5&offset=5",
        "collections/stadtteil/items/011",
    ],
)
def test_html_pages_are_german_accessible_and_script_free(ogc, path):
    sep = "&" if "?" in path else "?"
    response = ogc(path + sep + "f=html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    check(html, path)
    assert "<script" not in html and "style=" not in html
    assert 'lang="de"' in html


def test_html_items_table_links_features_and_pages(ogc):
    html = ogc("collections/stadtteil/items?f=html&limit=10&offset=10").content.decode()
    assert "Gebiete 11 bis 20 von 45" in html
    assert 'href="http://testserver/ogc/collections/stadtteil/items/' in html
    assert "offset=20" in html and "offset=0" in html  # next and previous page
    assert "Einwohner" in html  # an indicator's name heads a column


def test_html_errors_for_browsers_json_errors_for_clients(ogc):
    page = ogc("collections/stadtteil/items?limit=x", accept=BROWSER)
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert "limit" in page.content.decode()
    data = ogc("collections/stadtteil/items?limit=x")
    assert data.status_code == 400
    assert data.json() == {
        "code": "InvalidParameterValue",
        "description": "„limit“ muss eine ganze Zahl sein. / limit must be an integer.",
    }


def test_only_get_and_head(client):
    assert client.post("/ogc/collections").status_code == 405
    assert client.head("/ogc/collections").status_code == 200
