"""Audit log, login throttling, public portal and security headers."""

from datetime import date

import pytest
from django.urls import reverse

from quartier.access.models import AuditEntry, Role, Unit, User
from quartier.indicators.batches import create_batch, rollback, write_values
from quartier.indicators.models import Indicator
from quartier.spatial.models import Area

pytestmark = pytest.mark.django_db
A = AuditEntry.Action


def last(action):
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


@pytest.fixture
def real_user():
    return User.objects.create_user("erika", password="sehr-geheimes-passwort-1", role=Role.ANALYST)


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password, "next": "/"})


def test_logins_failed_logins_and_logouts_are_audited(client, real_user):
    login(client, "erika", "falsch")
    entry = last(A.LOGIN_FAILED)
    assert entry.username == "erika" and entry.ip == "127.0.0.1"
    response = login(client, "erika", "sehr-geheimes-passwort-1")
    assert response.status_code == 302
    assert last(A.LOGIN).user == real_user
    client.post(reverse("logout"))
    assert last(A.LOGOUT).username == "erika"


def test_imports_rollbacks_metadata_visibility_exports_are_audited(client, users):
    client.force_login(users["admin"])
    ind = Indicator.objects.get(key="arbeitslose")
    area = Area.objects.filter(level__key="baublock").first()
    batch = create_batch("korrektur.csv", user=users["admin"])
    assert last(A.IMPORT).target.startswith(f"Importlauf {batch.pk}")
    write_values(batch, [(ind.pk, area.pk, date(2024, 12, 31), 5.0, "")])
    rollback(batch, user=users["admin"])
    assert last(A.ROLLBACK).details["removed"] == 1
    ind.name = "Arbeitslose (neu)"
    ind.save()
    assert last(A.METADATA).details["changes"]["name"] == ["Arbeitslose", "Arbeitslose (neu)"]
    ind.visibility = "internal"
    ind.save()
    assert last(A.VISIBILITY).details["changes"]["visibility"] == ["public", "internal"]
    ind.shared_with.add(Unit.objects.get(key="jugendamt"))
    assert last(A.VISIBILITY).details["shared_with"] == "add"
    client.get("/tabelle/csv/?indikator=kinderarmut&ebene=stadtteil")
    assert last(A.EXPORT).target == "kinderarmut" and last(A.EXPORT).user == users["admin"]


def test_viewing_unprotected_values_is_audited_once_per_request(client, users):
    client.force_login(users["steward"])  # Jugendamt: owner of hze_faelle
    before = AuditEntry.objects.filter(action=A.CONFIDENTIAL).count()
    client.get("/karte/werte/?indikator=hze_faelle&ebene=baublock")
    entries = AuditEntry.objects.filter(action=A.CONFIDENTIAL)
    assert entries.count() == before + 1
    assert entries.order_by("-id").first().details["level"] == "baublock"
    client.force_login(users["analyst"])
    client.get("/karte/werte/?indikator=sgb2_u15&ebene=baublock")
    assert AuditEntry.objects.filter(action=A.CONFIDENTIAL).count() == before + 1


def test_a_profile_writes_its_confidential_views_in_one_statement(client, users):
    """A steward's profile reads hundreds of series; their entries go out together.

    One INSERT per series took most of the page's time (issue 15: profile ≤ 100 ms).
    Each (indicator, level, period) still gets its own entry, with user and address.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users["steward"])
    code = Area.objects.filter(level__key="sozialraum").values_list("code", flat=True)[0]
    before = AuditEntry.objects.filter(action=A.CONFIDENTIAL).count()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/gebiete/sozialraum/{code}/").status_code == 200
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "access_auditentry"')]
    entries = AuditEntry.objects.filter(action=A.CONFIDENTIAL).order_by("-id")
    written = entries.count() - before
    assert written > 10 and len(inserts) == 1
    keys = {(e.target, e.details["level"], e.details["period"]) for e in entries[:written]}
    assert len(keys) == written
    assert {e.user for e in entries[:written]} == {users["steward"]}
    assert all(e.ip == "127.0.0.1" for e in entries[:written])


def test_unprotected_values_outside_a_request_are_audited_with_the_user(users):
    """``quartier export --user …`` reads through the read layer without a request."""
    from quartier.exports.service import build_export

    build_export(users["steward"], ["hze_faelle"], ["baublock"], [], "csv")
    entry = AuditEntry.objects.filter(action=A.CONFIDENTIAL).latest("id")
    assert entry.user == users["steward"] and entry.target == "hze_faelle"


def test_user_and_role_changes_are_audited(users):
    user = User.objects.create_user("neu", password="x" * 12)
    assert last(A.USER).target == "neu"
    user.role = Role.DATA_STEWARD
    user.save()
    assert last(A.ROLE).details["changes"]["role"] == ["analyst", "steward"]
    user.units.add(Unit.objects.get(key="schulamt"))
    assert last(A.ROLE).details["units"] == "add"
    user.set_password("y" * 14)
    user.save()
    assert last(A.USER).details["changes"]["password"] == "geändert"


def test_audit_entries_cannot_be_changed_or_deleted(client, users):
    entry = AuditEntry.objects.create(action=A.EXPORT, target="x")
    entry.target = "y"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(target="z")
    client.force_login(users["admin"])
    url = reverse("admin:access_auditentry_change", args=[entry.pk])
    response = client.post(url, {"target": "z", "action": "export"})
    assert response.status_code in (403, 302) or b"z" not in response.content
    entry.refresh_from_db()
    assert entry.target == "x"
    assert (
        client.post(
            reverse("admin:access_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:access_auditentry_add")).status_code == 403
    export = client.get(reverse("admin:access_auditentry_export"))
    assert export.status_code == 200 and "Zeitpunkt;Benutzer;Aktion" in export.content.decode()
    client.force_login(users["steward"])
    assert client.get(reverse("admin:access_auditentry_changelist")).status_code == 403
    assert client.get(reverse("admin:access_auditentry_export")).status_code in (302, 403)


def test_login_throttling_locks_out_after_repeated_failures(client, real_user):
    for _ in range(5):
        login(client, "erika", "falsch")
    response = login(client, "erika", "sehr-geheimes-passwort-1")  # right, but locked out now
    assert response.status_code == 429
    assert "gesperrt" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_stewards_edit_only_their_units_indicators_in_the_admin(client, users):
    client.force_login(users["steward"])  # Jugendamt
    changelist = client.get(reverse("admin:indicators_indicator_changelist")).content.decode()
    assert "Hilfen zur Erziehung" in changelist and "Kinderarmut" not in changelist
    other = Indicator.objects.get(key="kinderarmut")
    url = reverse("admin:indicators_indicator_change", args=[other.pk])
    assert client.get(url).status_code in (302, 403, 404)
    assert client.get(reverse("admin:access_user_changelist")).status_code == 403


def test_a_steward_declares_sums_among_the_units_own_counts_only(client, users):
    import re

    client.force_login(users["steward"])  # Jugendamt
    own = Indicator.objects.get(key="hze_faelle")
    page = client.get(reverse("admin:indicators_indicator_change", args=[own.pk]))
    choices = re.search(r'<select name="sum_of".*?</select>', page.content.decode(), re.S)
    offered = set(re.findall(r'<option value="(\d+)"', choices.group(0)))
    jugendamt_counts = Indicator.objects.filter(kind="count", owner__key="jugendamt")
    assert offered and offered <= {str(pk) for pk in jugendamt_counts.values_list("pk", flat=True)}
    assert "Einwohner" not in choices.group(0)  # the Statistikstelle's counts are not offered


def test_fully_internal_installation_requires_login_everywhere(client, settings, users):
    from dataclasses import replace

    settings.QUARTIER = replace(settings.QUARTIER, login_required=True)
    for url in [
        "/",
        "/karte/",
        "/tabelle/",
        "/karte/werte/?indikator=kinderarmut",
        "/gebiete/stadtteil/011/",
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/anmelden/" in response["Location"], url
    assert client.get("/static/quartier/quartier.css").status_code == 200
    client.force_login(users["analyst"])
    assert client.get("/").status_code == 200


def test_public_portal_shows_municipality_imprint_and_privacy(client, settings, tmp_path):
    from dataclasses import replace

    imprint = tmp_path / "impressum.txt"
    imprint.write_text("Stadt Musterstadt\nDer Oberbürgermeister", encoding="utf-8")
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    settings.QUARTIER = replace(
        settings.QUARTIER,
        municipality="Beispielstadt",
        imprint=str(imprint),
        privacy="https://www.example.org/datenschutz",
        logo=str(logo),
    )
    home = client.get("/").content.decode()
    assert "Beispielstadt" in home and 'href="/impressum/"' in home
    assert 'href="https://www.example.org/datenschutz"' in home and 'src="/logo"' in home
    assert "Oberbürgermeister" in client.get("/impressum/").content.decode()
    assert client.get("/logo")["Content-Type"] == "image/svg+xml"


def test_security_headers_and_cookies(client, users):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    from django.conf import settings

    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert len(settings.AUTH_PASSWORD_VALIDATORS) >= 3
