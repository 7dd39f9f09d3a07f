"""Confidential answers are never stored by a browser or proxy; files say *vertraulich*.

Every response to a signed-in user (session or token) carries
``Cache-Control: private, no-store``: values, profiles, the table CSV, analyses —
whether or not they hold values the user sees unprotected. Only what holds no
values (a level's boundaries) may be kept and revalidated.
"""

from __future__ import annotations

import pytest

from quartier.access.tokens import create_token
from tests.analysis.conftest import statistik_steward  # noqa: F401  (a fixture)
from tests.analysis.test_analyses import run
from tests.analysis.test_visibility import UNPROTECTED, index_form

pytestmark = pytest.mark.django_db
NO_STORE = "private, no-store"
CONFIDENTIAL = [  # the Jugendamt's steward sees hze_faelle unprotected on every one of these
    "/api/v1/values/?indicator=hze_faelle&level=baublock&period=2024-12-31",
    "/api/v1/profiles/stadtteil/011/",
    "/gebiete/stadtteil/011/",
    "/karte/werte/?indikator=hze_faelle&ebene=baublock&stichtag=2024-12-31",
    "/tabelle/?indikator=hze_faelle&ebene=baublock&stichtag=2024-12-31",
    "/tabelle/csv/?indikator=hze_faelle&ebene=baublock&stichtag=2024-12-31",
    "/ogc/collections/baublock/items?properties=hze_faelle&limit=5",
    "/export/datei/?indikator=hze_faelle&ebene=baublock&stichtag=2024-12-31&format=csv",
]


def test_what_a_steward_sees_unprotected_is_not_stored(client, users):
    client.force_login(users["steward"])  # Jugendamt: owns hze_faelle
    for url in CONFIDENTIAL:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == NO_STORE, url


def test_token_callers_get_the_same_header(client, users):
    _token, secret = create_token(users["steward"], "Skript")
    response = client.get(CONFIDENTIAL[0], HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and response["Cache-Control"] == NO_STORE


def test_confidential_analyses_are_not_stored(client, statistik_steward):  # noqa: F811
    client.force_login(statistik_steward)
    analysis = run(client, "index", index_form("Vertraulich", "ew_0_2", **UNPROTECTED))
    assert analysis.confidential
    for url in (
        f"/analysen/{analysis.pk}/",
        f"/analysen/{analysis.pk}/definition.json",
        f"/api/v1/analyses/{analysis.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 200 and response["Cache-Control"] == NO_STORE, url


def test_boundaries_hold_no_values_and_stay_cacheable(client, users):
    client.force_login(users["steward"])
    response = client.get("/karte/geometrie/baublock/")
    assert response["Cache-Control"] == "private, no-cache" and response["ETag"]


def test_the_stewards_table_csv_is_named_and_marked_vertraulich(client, users):
    url = "/tabelle/csv/?indikator={}&ebene=baublock&stichtag=2024-12-31"
    client.force_login(users["steward"])
    response = client.get(url.format("hze_faelle"))
    assert (
        'filename="hze_faelle_baublock_2024-12-31_vertraulich.csv"'
        in (response["Content-Disposition"])
    )
    assert "VERTRAULICH" in response.content.decode("utf-8-sig")
    # Protected values only (the analyst, the public): an ordinary name, no warning.
    client.force_login(users["analyst"])
    response = client.get(url.format("kinderarmut"))
    assert 'filename="kinderarmut_baublock_2024-12-31.csv"' in response["Content-Disposition"]
    assert "VERTRAULICH" not in response.content.decode("utf-8-sig")
    assert response["Cache-Control"] == NO_STORE  # still internal work: not stored either
    client.logout()
    public = client.get(url.format("kinderarmut"))
    assert "no-store" not in public.get("Cache-Control", "")
