"""Personal access tokens: created once, hashed, revocable, acting with the user's rights."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace

import pytest

from quartier.access.models import ApiToken, AuditEntry
from quartier.access.tokens import create_token

pytestmark = pytest.mark.django_db
INTERNAL = "/api/v1/indicators/quote_uebergewicht/"


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_token_created_on_the_page_is_shown_once_and_stored_hashed(client, users):
    client.force_login(users["analyst"])
    page = client.post("/schnittstellen/schluessel/", {"name": "Nachtlauf"})
    assert page.status_code == 200
    secret = re.search(r'value="(qt_[^"]+)"', page.content.decode()).group(1)
    token = ApiToken.objects.get(user=users["analyst"])
    assert token.name == "Nachtlauf" and secret.startswith(token.prefix)
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(
        secret in str(column) for row in ApiToken.objects.values_list() for column in row
    )
    listing = client.get("/schnittstellen/").content.decode()
    assert "Nachtlauf" in listing and secret not in listing
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN, username="analyst").exists()
    assert client.post("/schnittstellen/schluessel/", {"name": " "}).status_code == 400


def test_a_token_acts_with_its_users_rights_and_nothing_else(client, users):
    _token, secret = create_token(users["analyst"], "Skript")
    assert client.get(INTERNAL).status_code == 404  # anonymous: internal indicator unknown
    response = client.get(INTERNAL, **bearer(secret))
    assert response.status_code == 200 and response.json()["key"] == "quote_uebergewicht"
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}").json()
    assert me["username"] == "analyst" and me["via_token"] is True
    assert client.get("/api/v1/indicators/hze_quote/", **bearer(secret)).status_code == 404
    # QGIS and GDAL send Basic authentication: any user name, the token as password.
    basic = base64.b64encode(f"irgendwer:{secret}".encode()).decode()
    assert client.get(INTERNAL, HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_invalid_and_revoked_tokens_are_refused_loudly(client, users):
    token, secret = create_token(users["analyst"], "alt")
    for header in (f"Bearer {secret}x", "Bearer qt_falsch_falsch_falsch_falsch", "Basic %%%"):
        response = client.get("/api/v1/levels/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer")
    client.force_login(users["analyst"])
    assert client.post(f"/schnittstellen/schluessel/{token.pk}/widerrufen/").status_code == 302
    client.logout()
    assert client.get(INTERNAL, **bearer(secret)).status_code == 401
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN, details__revoked=token.pk)


def test_tokens_of_inactive_accounts_stop_working(client, users):
    _token, secret = create_token(users["analyst"], "x")
    users["analyst"].is_active = False
    users["analyst"].save()
    assert client.get(INTERNAL, **bearer(secret)).status_code == 401


def test_only_the_owner_or_an_administrator_revokes(client, users):
    token, _secret = create_token(users["analyst"], "fremd")
    client.force_login(users["steward"])
    assert client.post(f"/schnittstellen/schluessel/{token.pk}/widerrufen/").status_code == 404
    client.force_login(users["admin"])
    client.post(f"/schnittstellen/schluessel/{token.pk}/widerrufen/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_tokens_do_not_sign_in_to_the_web_pages(client, users):
    """A token is for machine interfaces; pages keep needing a session (and CSRF)."""
    _token, secret = create_token(users["admin"], "x")
    response = client.get("/analysen/", **bearer(secret))
    assert response.status_code == 302 and "/anmelden/" in response["Location"]


def test_fully_internal_installation_answers_machines_with_401(client, settings, users):
    settings.QUARTIER = replace(settings.QUARTIER, login_required=True)
    for url in ("/api/v1/levels/", "/ogc/"):
        response = client.get(url)
        assert response.status_code == 401 and response["WWW-Authenticate"], url
    _token, secret = create_token(users["analyst"], "x")
    assert client.get("/api/v1/levels/", **bearer(secret)).status_code == 200


def test_interfaces_page_explains_the_addresses(client):
    page = client.get("/schnittstellen/").content.decode()
    assert "http://testserver/ogc/" in page and "http://testserver/api/v1/" in page
    assert "/anmelden/" in page  # anonymous visitors are told to sign in for tokens


def test_administrators_revoke_tokens_in_the_admin(client, users):
    token, _secret = create_token(users["analyst"], "Laptop")
    client.force_login(users["admin"])
    listing = client.get("/admin/access/apitoken/").content.decode()
    assert "Laptop" in listing and token.prefix in listing
    client.post(
        "/admin/access/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.force_login(users["steward"])
    assert client.get("/admin/access/apitoken/").status_code == 403
