"""The OpenAPI document, its interactive documentation, and schemathesis against both."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from quartier.access.tokens import create_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _published_schema():
    """The document as the server publishes it; calls go in-process through WSGI."""
    from quartier.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


schema = _published_schema()
# Answers to GET are gzipped when the client accepts it (quartier.compression); schemathesis's
# WSGI transport asks for gzip but does not decode it, so these calls ask for the plain body.
PLAIN = {"Accept-Encoding": "identity"}
pytestmark = pytest.mark.usefixtures("direct_wsgi")


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_anonymous_calls_conform_to_the_schema(case):
    case.call_and_validate(headers=PLAIN, checks=CHECKS)


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_administrator_calls_conform_to_the_schema(case, admin_secret):
    case.call_and_validate(
        headers={**PLAIN, "Authorization": f"Bearer {admin_secret}"}, checks=CHECKS
    )


@pytest.fixture
def admin_secret(users):
    return create_token(users["admin"], "schemathesis")[1]


@pytest.mark.django_db
def test_schema_documents_every_resource(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    for path in (
        "/api/v1/levels/",
        "/api/v1/areas/{level}/{code}/",
        "/api/v1/indicators/",
        "/api/v1/values/",
        "/api/v1/profiles/{level}/{code}/",
        "/api/v1/analyses/{id}/",
        "/api/v1/exports/",
    ):
        assert path in document["paths"], path
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_interactive_documentation_loads_without_inline_script_or_cdn(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert client.get(url.replace("&amp;", "&")).status_code == 200, url
