"""Personal access tokens: created once, hashed, revocable, acting with the user's rights."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from datetime import timedelta

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


def failed_token_entries():
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.LOGIN_FAILED, target="Zugangsschlüssel"
    )


def test_failed_token_attempts_are_audited_without_the_secret(client, users):
    token, secret = create_token(users["analyst"], "alt")
    wrong = secret[:-4] + "xxxx"  # a typo: the public start is right, the rest is not
    basic = base64.b64encode(f"qgis:{wrong}".encode()).decode()
    for header in (f"Bearer {wrong}", f"Basic {basic}", "Bearer kein-schluessel"):
        assert client.get("/ogc/", HTTP_AUTHORIZATION=header).status_code == 401
    entries = list(failed_token_entries().order_by("id"))
    assert len(entries) == 3
    assert {e.ip for e in entries} == {"127.0.0.1"} and {e.details["path"] for e in entries} == {
        "/ogc/"
    }
    assert entries[0].details["prefix"] == token.prefix  # which token a script still uses
    assert "prefix" not in entries[2].details  # not shaped like a token: nothing of it
    for entry in entries:
        logged = f"{entry.target} {entry.details} {entry.username}"
        assert wrong not in logged and wrong[len(token.prefix) :] not in logged
        assert "kein-schluessel" not in logged


def test_repeated_token_failures_from_one_address_are_throttled(client, users, settings):
    _token, secret = create_token(users["analyst"], "gut")
    settings.QUARTIER_TOKEN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert client.get(INTERNAL, **bearer("qt_geraten_geraten_geraten_1")).status_code == 401
    refused = client.get(INTERNAL, **bearer(secret))  # even the right token, for a while
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 15 * 60
    assert "Zu viele" in refused.json()["description"]
    assert failed_token_entries().count() == 3  # refusals while locked are not counted again
    # Another address is not affected; sessions (no token) are not either.
    assert client.get(INTERNAL, REMOTE_ADDR="10.1.2.3", **bearer(secret)).status_code == 200
    client.force_login(users["analyst"])
    assert client.get(INTERNAL).status_code == 200


def test_the_throttle_counts_failures_every_server_process_recorded(client, users, settings):
    """The state is the audit log in the database, not memory of this process."""
    _token, secret = create_token(users["analyst"], "gut")
    settings.QUARTIER_TOKEN_FAILURE_LIMIT = 4
    for _ in range(4):  # as another worker process would have recorded them
        AuditEntry.objects.create(
            action=AuditEntry.Action.LOGIN_FAILED, target="Zugangsschlüssel", ip="127.0.0.1"
        )
    assert client.get(INTERNAL, **bearer(secret)).status_code == 429
    settings.QUARTIER_TOKEN_FAILURE_WINDOW = timedelta(0)  # those failures are now outside
    assert client.get(INTERNAL, **bearer(secret)).status_code == 200


@pytest.mark.parametrize(
    "utc, local",
    [
        ((2024, 1, 15, 23, 30), "2024-01-16 00:30 CET"),
        ((2024, 7, 15, 12, 0), "2024-07-15 14:00 CEST"),
    ],
)
def test_command_line_token_list_shows_local_time(users, capsys, utc, local):
    from datetime import UTC, datetime

    from quartier.cli import main

    token, _ = create_token(users["admin"], "Zeitzone")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=datetime(*utc, tzinfo=UTC))
    assert main(["token", "list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "Zeitzone" in x)
    assert f"zuletzt {local}" in line
