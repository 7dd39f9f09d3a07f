"""A NUL character anywhere in a request's path or query is refused, never a server error.

PostgreSQL cannot store NUL in text and raises an error, so before the
middleware a NUL in an area code (``/gebiete/stadtteil/%00/``) ended in a 500
there. Every URL pattern of the project is asked, so later routes are covered.
"""

from __future__ import annotations

import re

import pytest

from tests.access.test_authorization_matrix import patterns

pytestmark = pytest.mark.django_db


def with_nul(route: str) -> str | None:
    """The route with NUL in every text converter; None when nothing can carry a NUL."""
    if not re.search(r"<(?!int:)(?:\w+:)?\w+>", route):
        return None
    url = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "a%00b", route)
    return "/" + re.sub(r"\^|\$|\\Z", "", url).replace("\\", "")


def plain(route: str) -> str:
    """The route with harmless values in its converters."""
    url = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "x", route)
    return "/" + re.sub(r"\^|\$|\\Z|\(\?P<\w+>[^)]*\)", "", url).replace("\\", "")


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_nul_in_any_route_or_parameter_is_refused(client, users, role):
    if role == "admin":
        client.force_login(users["admin"])
    asked = 0
    for route, _name in patterns():
        if "uuid:" in route:
            continue
        urls = [f"{plain(route)}?indikator=a%00b&level=x%00", f"{plain(route)}?a%00=1"]
        if path := with_nul(route):
            urls.append(path)
        for url in urls:
            response = client.get(url)
            asked += 1
            assert response.status_code == 400, (url, response.status_code)
    assert asked > 100


def test_each_interface_answers_in_its_own_format(client):
    api = client.get("/api/v1/areas/stadtteil/0%001/")
    assert api.status_code == 400 and set(api.json()) == {"error"}
    ogc = client.get("/ogc/collections/stadtteil/items?properties=%00")
    assert ogc.status_code == 400 and set(ogc.json()) == {"code", "description"}
    page = client.get("/gebiete/stadtteil/%00/")
    assert page.status_code == 400 and "NUL" in page.content.decode()
    assert client.get("/gebiete/stadtteil/011/").status_code == 200


def test_nul_in_a_posted_form_field_is_refused(client, users):
    login = client.post("/anmelden/", {"username": "boss\x00", "password": "x"})
    assert login.status_code == 400
    client.force_login(users["admin"])
    token = client.post("/schnittstellen/schluessel/", {"name": "Skript\x00"})
    assert token.status_code == 400
    assert client.post("/schnittstellen/schluessel/", {"name": "Skript"}).status_code in (200, 302)
