"""The REST API: every resource, against the read layer, for each role."""

from __future__ import annotations

from datetime import date

import pytest
import shapely

from quartier.access.models import AuditEntry
from quartier.analysis.runs import run_typology
from quartier.indicators import readlayer
from quartier.indicators.status import Status
from quartier.spatial.index import area_index
from quartier.spatial.models import Area

pytestmark = pytest.mark.django_db
P = date(2024, 12, 31)


def get(client, url, status=200, **params):
    response = client.get(url, params, HTTP_ACCEPT="application/json")
    assert response.status_code == status, (url, response.status_code, response.content[:300])
    return response.json()


def test_root_links_every_resource(client):
    links = get(client, "/api/v1/")["links"]
    for name in ("levels", "areas", "indicators", "values", "analyses", "exports", "schema", "ogc"):
        assert links[name].startswith("http://testserver/")


def test_levels_coarse_to_fine_with_parents_and_counts(client):
    levels = get(client, "/api/v1/levels/")["results"]
    assert [lv["key"] for lv in levels][:1] == ["stadt"]
    by_key = {lv["key"]: lv for lv in levels}
    assert by_key["stadtteil"]["area_count"] == 45
    assert by_key["baublock"]["area_count"] == 5000
    assert by_key["sozialraum"]["parent"] == "stadtteil"
    assert get(client, "/api/v1/levels/sozialraum/")["area_count"] == 225
    assert "error" in get(client, "/api/v1/levels/gibtesnicht/", status=404)


def test_areas_with_and_without_geometry(client):
    plain = get(client, "/api/v1/areas/", level="sozialraum")
    assert plain["count"] == 225 and "geometry" not in plain["results"][0]
    first = plain["results"][0]
    area = Area.objects.get(level__key="sozialraum", code=first["code"], valid_to__isnull=True)
    assert first["name"] == area.name
    assert first["parent"] == {"level": "stadtteil", "code": area.parent.code}
    shaped = get(client, "/api/v1/areas/", level="sozialraum", geometry="true", limit=10)
    assert len(shaped["results"]) == 10 and shaped["next"].endswith("limit=10&offset=10")
    geometry = shapely.geometry.shape(shaped["results"][0]["geometry"])
    assert geometry.equals_exact(area.shape, 1e-9)
    children = get(client, "/api/v1/areas/", level="sozialraum", parent=area.parent.code)
    assert {a["parent"]["code"] for a in children["results"]} == {area.parent.code}
    detail = get(client, f"/api/v1/areas/sozialraum/{area.code}/")
    assert detail["code"] == area.code and detail["geometry"]["type"].endswith("Polygon")
    get(client, "/api/v1/areas/sozialraum/nix/", status=404)
    get(client, "/api/v1/areas/", status=400)  # level is required
    get(client, "/api/v1/areas/", status=400, level="stadtteil", geometry="vielleicht")


def test_catalogue_shows_only_what_the_role_may_see(client, users):
    public = {i["key"] for i in get(client, "/api/v1/indicators/")["results"]}
    assert "kinderarmut" in public
    assert not {"quote_uebergewicht", "hze_quote", "hze_faelle"} & public
    body = client.get("/api/v1/indicators/").content.decode()
    assert "Hilfen zur Erziehung" not in body
    unknown = get(client, "/api/v1/indicators/gibtesnicht/", status=404)
    hidden = get(client, "/api/v1/indicators/hze_quote/", status=404)
    assert unknown["error"].replace("gibtesnicht", "X") == hidden["error"].replace("hze_quote", "X")

    client.force_login(users["analyst"])
    internal = {i["key"] for i in get(client, "/api/v1/indicators/")["results"]}
    assert "quote_uebergewicht" in internal and "hze_quote" not in internal
    client.force_login(users["steward"])
    meta = get(client, "/api/v1/indicators/hze_quote/")
    assert meta["visibility"] == "restricted" and meta["kind"] == "rate"
    assert meta["numerator"] == "hze_faelle" and meta["periods"][-1] == P.isoformat()


def test_indicator_metadata_matches_the_catalogue(client, users):
    meta = get(client, "/api/v1/indicators/kinderarmut/")
    ind = readlayer.get_indicator(users["anonymous"], "kinderarmut")
    assert (meta["name"], meta["unit"], meta["source"], meta["decimals"]) == (
        ind.name,
        ind.unit,
        ind.source,
        ind.decimals,
    )
    assert meta["topic"] == ind.topic and meta["polarity"] == ind.polarity
    topic = get(client, "/api/v1/indicators/", topic=ind.topic)["results"]
    assert {i["topic"] for i in topic} == {ind.topic}
    found = get(client, "/api/v1/indicators/", q="kinderarmut")["results"]
    assert "kinderarmut" in {i["key"] for i in found}


def test_a_sum_names_only_the_parts_the_caller_may_see(client, users):
    from quartier.indicators.models import Indicator, Visibility

    assert get(client, "/api/v1/indicators/ew_u18/")["sum_of"] == ["ew_15_17", "ew_u15"]
    assert get(client, "/api/v1/indicators/kinderarmut/")["sum_of"] == []
    Indicator.objects.filter(key="ew_15_17").update(visibility=Visibility.INTERNAL)
    assert get(client, "/api/v1/indicators/ew_u18/")["sum_of"] == ["ew_u15"]
    client.force_login(users["analyst"])
    assert get(client, "/api/v1/indicators/ew_u18/")["sum_of"] == ["ew_15_17", "ew_u15"]


def test_values_in_long_format_match_the_read_layer(client, users):
    data = get(client, "/api/v1/values/", indicator="kinderarmut", level="stadtteil")
    expected = readlayer.area_values(
        users["anonymous"],
        readlayer.get_indicator(users["anonymous"], "kinderarmut"),
        area_index().level("stadtteil"),
        P,
    )
    assert data["count"] == 45 and not data["confidential"]
    for row in data["results"]:
        assert row["indicator"] == "kinderarmut" and row["period"] == P.isoformat()
        assert row["value"] == pytest.approx(expected.value_of(row["area"]))
    several = get(
        client,
        "/api/v1/values/",
        indicator="kinderarmut,ew_gesamt",
        level="stadtbezirk",
        period="2020,2024-12-31",
    )
    assert {(r["indicator"], r["period"]) for r in several["results"]} == {
        (k, p) for k in ("kinderarmut", "ew_gesamt") for p in ("2020-12-31", "2024-12-31")
    }
    history = get(client, "/api/v1/values/", indicator="ew_gesamt", level="stadt", period="all")
    assert [r["period"][:4] for r in history["results"]] == [str(y) for y in range(2014, 2025)]
    chosen = get(
        client, "/api/v1/values/", indicator="kinderarmut", level="stadtteil", area="011,012"
    )
    assert sorted(r["area"] for r in chosen["results"]) == ["011", "012"]


def test_values_paging_keeps_the_filters(client):
    first = get(client, "/api/v1/values/", indicator="ew_gesamt", level="baublock", limit=2000)
    assert first["count"] == 5000 and len(first["results"]) == 2000
    assert "indicator=ew_gesamt" in first["next"] and "offset=2000" in first["next"]
    second = client.get(first["next"], HTTP_ACCEPT="application/json").json()
    assert second["results"][0]["area"] > first["results"][-1]["area"]
    assert second["previous"].endswith("offset=0")


def test_secret_values_are_null_and_marked_and_only_admins_see_them(client, users):
    ind = readlayer.get_indicator(users["anonymous"], "arbeitslose")
    level = area_index().level("baublock")
    protected = readlayer.area_values(users["anonymous"], ind, level, P)
    hidden = [c for c, _n, _v, st in protected.rows() if st == Status.SUPPRESSED]
    assert hidden, "Musterstadt has secret unemployment counts in blocks"
    data = get(client, "/api/v1/values/", indicator="arbeitslose", level="baublock")
    by_area = {r["area"]: r for r in data["results"]}
    for code in hidden:
        assert by_area[code] == {**by_area[code], "value": None, "status": "suppressed"}
    client.force_login(users["admin"])
    before = AuditEntry.objects.filter(action=AuditEntry.Action.CONFIDENTIAL).count()
    data = get(client, "/api/v1/values/", indicator="arbeitslose", level="baublock")
    assert data["confidential"] is True
    assert all(r["status"] != "suppressed" for r in data["results"])
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONFIDENTIAL).count() > before


def test_values_refuse_what_they_cannot_answer(client):
    get(client, "/api/v1/values/", status=400)
    get(client, "/api/v1/values/", status=400, indicator="kinderarmut")
    get(client, "/api/v1/values/", status=404, indicator="hze_quote", level="stadtteil")
    get(client, "/api/v1/values/", status=404, indicator="kinderarmut", level="nirgends")
    get(
        client,
        "/api/v1/values/",
        status=400,
        indicator="kinderarmut",
        level="stadtteil",
        period="gestern",
    )
    get(
        client, "/api/v1/values/", status=400, indicator="kinderarmut", level="stadtteil", limit="0"
    )


def test_profile_matches_the_profile_page(client, users):
    from quartier.explorer.profile import area_profile, find_area

    data = get(client, "/api/v1/profiles/stadtteil/011/")
    profile = area_profile(users["anonymous"], find_area("stadtteil", "011"))
    assert data["area"]["code"] == "011"
    assert [r["indicator"] for r in data["indicators"]] == [r.indicator.key for r in profile.rows]
    row = next(r for r in data["indicators"] if r["indicator"] == "kinderarmut")
    expected = next(r for r in profile.rows if r.indicator.key == "kinderarmut")
    assert row["value"] == pytest.approx(expected.value)
    assert row["city_value"] == pytest.approx(expected.city_value)
    assert row["rank"] == expected.rank and len(row["series"]) == 11
    key_only = get(client, "/api/v1/profiles/stadtteil/011/", key_figures="true")
    assert 0 < len(key_only["indicators"]) < len(data["indicators"])
    get(client, "/api/v1/profiles/stadtteil/999/", status=404)


def test_analysis_results_follow_the_visibility_of_their_inputs(client, users):
    analysis = run_typology(
        users["analyst"],
        "Typen",
        "stadtteil",
        P,
        ["kinderarmut", "esu_untersucht"],  # the second is internal
        "kmeans",
        3,
    )
    assert get(client, "/api/v1/analyses/")["count"] == 0  # the input is internal
    get(client, f"/api/v1/analyses/{analysis.pk}/", status=404)
    client.force_login(users["analyst"])
    listed = get(client, "/api/v1/analyses/", kind="typology")["results"]
    assert [a["id"] for a in listed] == [analysis.pk]
    detail = get(client, f"/api/v1/analyses/{analysis.pk}/")
    assert detail["definition"]["method"] == "kmeans" and detail["result"]
    output = detail["outputs"][0]
    values = get(
        client, "/api/v1/values/", indicator=output, level="stadtteil", period=P.isoformat()
    )
    assert {r["value"] for r in values["results"]} <= {1.0, 2.0, 3.0, None}


def test_an_analysis_id_beyond_64_bits_is_simply_not_found(client, users):
    # Found by schemathesis: SQLite failed (500) on an id no row can have.
    for who in (None, users["admin"]):
        if who is not None:
            client.force_login(who)
        get(client, "/api/v1/analyses/59722606349489405952/", status=404)
        assert client.get("/analysen/59722606349489405952/").status_code in (302, 404)


def test_me_tells_who_is_calling(client, users):
    assert get(client, "/api/v1/me/")["authenticated"] is False
    client.force_login(users["steward"])
    me = get(client, "/api/v1/me/")
    assert me == {
        "authenticated": True,
        "username": "steward",
        "role": "steward",
        "units": ["jugendamt"],
        "territories": [],
        "via_token": False,
    }
    from quartier.access.models import Territory, Unit

    gemeinde = Territory.objects.create(key="gemeinde-b", name="B", kind="gemeinde")
    Unit.objects.filter(key="jugendamt").update(territory=gemeinde)
    assert get(client, "/api/v1/me/")["territories"] == ["gemeinde-b"]


def test_nul_characters_are_refused_not_a_server_error(client):
    # schemathesis found this on PostgreSQL: text columns cannot hold NUL.
    get(client, "/api/v1/indicators/", status=400, topic="\x00")
    get(client, "/api/v1/areas/", status=400, level="stadtteil", parent="0\x001")
    get(client, "/api/v1/areas/stadtteil/0%001/", status=400)
