"""Issue 19: participation procedures — contributing without an account, moderation,
evaluation into protected counts, results, exports, and nothing stored about the device.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import signing
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from quartier.access.models import AuditEntry, Role, Unit, User
from quartier.indicators import readlayer
from quartier.participation import guard
from quartier.participation.evaluation import evaluate, indicator_key
from quartier.participation.models import Category, Contribution, Procedure
from quartier.spatial.models import Area, Level
from tests.support import attacker

pytestmark = pytest.mark.django_db
ADDRESS = "203.0.113.77"  # the participant's device (TEST-NET-3): must be stored nowhere


def token(procedure, age: float = 5.0) -> str:
    """A form token as the page gave it ``age`` seconds ago."""
    return signing.dumps({"p": procedure.key, "t": time.time() - age}, salt=guard._SALT)


@pytest.fixture
def procedure(db):
    """An open procedure of the Jugendamt over the Sozialräume of Stadtbezirk 01."""
    today = timezone.localdate()
    found = Procedure.objects.create(
        key="spielen", title="Wo spielst du gern?", question="Zeig uns deine Orte.",
        audience="kinder", owner=Unit.objects.get(key="jugendamt"),
        level=Level.objects.get(key="sozialraum"), opens=today - timedelta(days=3),
        closes=today + timedelta(days=30),
    )  # fmt: skip
    found.areas.set(Area.objects.filter(level__key="sozialraum", parent__parent__code="01"))
    for order, (code, label, symbol) in enumerate(
        [("gern", "Hier bin ich gern", "herz"), ("fehlt", "Hier fehlt etwas", "plus")]
    ):
        Category.objects.create(
            procedure=found, code=code, label=label, symbol=symbol, sort_order=order
        )
    return found


def post(client, procedure, **fields):
    data = {"token": token(procedure), "webseite": "", **fields}
    url = f"/beteiligung/{procedure.key}/"
    return client.post(url, data, REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT="Kinderhandy/1.0")


def category(procedure, code: str) -> int:
    return procedure.categories.get(code=code).pk


def stored_anywhere(text: str) -> list[str]:
    """Every table and column whose value holds ``text`` (all columns, as text)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = connection.introspection.get_table_description(cursor, table)
            for column in columns:
                name = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT 1 FROM {connection.ops.quote_name(table)} "  # noqa: S608
                    f"WHERE CAST({name} AS TEXT) LIKE %s LIMIT 1",
                    [f"%{text}%"],
                )
                if cursor.fetchone():
                    found.append(f"{table}.{column.name}")
    return found


def test_a_contribution_from_the_list_waits_for_moderation_and_nothing_names_the_device(
    client, procedure
):
    place = procedure.areas.order_by("code").first()
    audited = AuditEntry.objects.count()
    page = client.get(f"/beteiligung/{procedure.key}/", REMOTE_ADDR=ADDRESS)
    assert page.status_code == 200 and b'name="webseite"' in page.content
    assert "no-store" in page["Cache-Control"]  # its tokens must not come from a cache
    response = post(
        client, procedure, kategorie=category(procedure, "gern"), ort=place.code, alter="u10",
        text="Hier ist der Spielplatz schön",
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith("/danke/")
    item = Contribution.objects.get()
    assert (item.status, item.area, item.lon, item.age_group) == ("pending", place, None, "u10")
    assert AuditEntry.objects.count() == audited  # no entry, so no address
    assert stored_anywhere(ADDRESS) == [] and stored_anywhere("Kinderhandy") == []
    # Not public before moderation.
    procedure.results_public = True
    procedure.save()
    assert (
        "Spielplatz schön"
        not in client.get(f"/beteiligung/{procedure.key}/ergebnisse/").content.decode()
    )


def test_a_pin_on_the_map_is_stored_with_the_area_it_lies_in(client, procedure):
    place = procedure.areas.order_by("-code").first()
    inside = place.shape.point_on_surface()
    response = post(client, procedure, kategorie=category(procedure, "fehlt"), lon=inside.x,
                    lat=inside.y)  # fmt: skip
    assert response.status_code == 302
    item = Contribution.objects.get()
    assert item.area == place and (item.lon, item.lat) == (inside.x, inside.y)
    # Outside the procedure's area: refused with a message, nothing stored.
    response = post(client, procedure, kategorie=category(procedure, "fehlt"), lon=0.0, lat=0.0)
    assert response.status_code == 400 and "außerhalb" in response.content.decode()
    assert Contribution.objects.count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"webseite": "http://spam.example"}, "nicht gesendet"),
        ({"token": "kaputt"}, "ungültig"),
        ({"text": "Ruf mich an: 0170 1234567"}, "Telefonnummern"),
        ({"text": "schreib an kind@example.org"}, "E-Mail"),
        ({"ort": ""}, "Liste"),
    ],
)
def test_what_is_refused_leaves_nothing_behind(client, procedure, change, message):
    place = procedure.areas.order_by("code").first()
    fields = {"kategorie": category(procedure, "gern"), "ort": place.code, **change}
    response = post(client, procedure, **fields)
    assert response.status_code == 400 and message in response.content.decode()
    assert Contribution.objects.count() == 0


def test_a_form_sent_back_at_once_is_refused(client, procedure):
    place = procedure.areas.order_by("code").first()
    fields = {"kategorie": category(procedure, "gern"), "ort": place.code}
    response = post(client, procedure, **fields, token=token(procedure, age=0.0))
    assert response.status_code == 400 and "zu schnell" in response.content.decode()
    assert Contribution.objects.count() == 0


def test_many_contributions_are_limited_per_procedure_and_per_browser(client, procedure):
    place = procedure.areas.order_by("code").first()
    fields = {"kategorie": category(procedure, "gern"), "ort": place.code}
    for _i in range(3):
        assert post(client, procedure, **fields).status_code == 302
    name = guard.cookie_name(procedure)  # the count lives in the browser, signed
    request = RequestFactory().get("/", HTTP_COOKIE=f"{name}={client.cookies[name].value}")
    assert guard.browser_count(request, procedure) == 3
    full = HttpResponse()
    full.set_signed_cookie(
        name, f"{timezone.localdate().isoformat()}:{guard.PER_BROWSER}", salt=guard._SALT
    )
    client.cookies[name] = full.cookies[name].value
    assert post(client, procedure, **fields).status_code == 400
    assert Contribution.objects.count() == 3
    # Everyone together: PER_MINUTE in the last minute stops the next, from any browser.
    client.cookies.clear()
    Contribution.objects.bulk_create(
        [Contribution(procedure=procedure, category_id=fields["kategorie"], area=place)
         for _i in range(guard.PER_MINUTE)]
    )  # fmt: skip
    response = post(client, procedure, **fields)
    assert response.status_code == 400 and "sehr viele" in response.content.decode()


def test_a_closed_procedure_takes_nothing(client, procedure):
    procedure.closes = timezone.localdate() - timedelta(days=1)
    procedure.save()
    place = procedure.areas.order_by("code").first()
    response = post(client, procedure, kategorie=category(procedure, "gern"), ort=place.code)
    assert response.status_code == 410 and Contribution.objects.count() == 0


def pins(procedure, counts: dict[str, int], status="approved") -> list[Contribution]:
    """``counts`` pins per area code (category "gern") with ``status``."""
    made = []
    for code, n in counts.items():
        area = procedure.areas.get(code=code)
        made += [
            Contribution(procedure=procedure, category=procedure.categories.get(code="gern"),
                         area=area, status=status, text=f"Text {code} {status} {i}")
            for i in range(n)
        ]  # fmt: skip
    return Contribution.objects.bulk_create(made)


def test_only_the_owner_unit_and_administrators_moderate(client, users, procedure):
    pending = pins(procedure, {procedure.areas.order_by("code").first().code: 3}, "pending")
    other_unit = User.objects.create_user("sozial", password="x" * 12, role=Role.DATA_STEWARD)
    other_unit.units.add(Unit.objects.get(key="sozialamt"))
    url = f"/beteiligung/{procedure.key}/moderation/"
    for user in (users["analyst"], other_unit):
        client.force_login(user)
        assert client.get(url).status_code == 404
        client.post(url, {"beitrag": pending[0].pk, "aktion": "freigeben"})
        assert client.post(f"/beteiligung/{procedure.key}/auswertung/").status_code == 404
        assert client.get(f"/beteiligung/{procedure.key}/beitraege.csv").status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login
    assert set(Contribution.objects.values_list("status", flat=True)) == {"pending"}

    client.force_login(users["steward"])  # the Jugendamt's
    audited = AuditEntry.objects.filter(action="beteiligung").count()
    assert client.get(url).status_code == 200
    client.post(url, {"beitrag": pending[0].pk, "aktion": "freigeben"})
    client.post(url, {"beitrag": pending[1].pk, "aktion": "ausblenden", "grund": ""})
    assert Contribution.objects.get(pk=pending[1].pk).status == "pending"  # a reason is needed
    client.post(url, {"beitrag": pending[1].pk, "aktion": "ausblenden", "grund": "Beleidigung"})
    client.post(url, {"beitrag": pending[2].pk, "aktion": "zusammenfuehren",
                      "ziel": pending[0].pk})  # fmt: skip
    states = dict(Contribution.objects.values_list("pk", "status"))
    assert [states[p.pk] for p in pending] == ["approved", "hidden", "merged"]
    assert Contribution.objects.get(pk=pending[1].pk).reason == "Beleidigung"
    assert Contribution.objects.get(pk=pending[2].pk).merged_into_id == pending[0].pk
    assert AuditEntry.objects.filter(action="beteiligung").count() == audited + 3
    procedure.results_public = True
    procedure.save()
    client.logout()
    page = client.get(f"/beteiligung/{procedure.key}/ergebnisse/").content.decode()
    assert pending[0].text in page and pending[1].text not in page and pending[2].text not in page


def test_counts_per_area_are_the_approved_pins_and_small_ones_stay_hidden(client, users, procedure):
    codes = [a.code for a in procedure.areas.order_by("code")]
    wanted = {codes[0]: 7, codes[1]: 1, codes[2]: 2, codes[3]: 4}
    pins(procedure, wanted)
    pins(procedure, {codes[1]: 5}, "pending")  # not approved: not counted
    pins(procedure, {codes[2]: 5}, "hidden")
    procedure.results_public = True
    procedure.save()
    evaluate(procedure, users["admin"])
    key = indicator_key(procedure, "gern")
    admin = readlayer.area_values(
        users["admin"], _indicator(key), procedure.level, procedure.closes
    )
    public = readlayer.area_values(
        users["anonymous"], _indicator(key), procedure.level, procedure.closes
    )
    for code in codes:
        assert admin.value_of(code) == wanted.get(code, 0)
        shown = public.value_of(code)
        if 0 < wanted.get(code, 0) < 3:
            assert shown is None  # a single child's pin is not published as a count
        elif shown is not None:
            assert shown == wanted.get(code, 0)
    # Evaluated again after one more approval: the counts are replaced, not added up.
    pins(procedure, {codes[0]: 1})
    evaluate(procedure, users["admin"])
    admin = readlayer.area_values(
        users["admin"], _indicator(key), procedure.level, procedure.closes
    )
    assert admin.value_of(codes[0]) == 8
    # An attacker with every published level and the declared total learns no hidden count.
    keys = [indicator_key(procedure, c) for c in ("gern", "fehlt", "alle")]
    outcome = attacker.attack_counts(client, users["admin"], keys, procedure.closes, [(2, [0, 1])])
    assert outcome.small >= 2 and outcome.narrowed == []
    page = client.get(f"/beteiligung/{procedure.key}/ergebnisse/").content.decode()
    assert f'data-code="{codes[1]}"' in page


def _indicator(key):
    from quartier.indicators.models import Indicator

    return Indicator.objects.get(key=key)


def test_exports_hold_the_approved_contributions_only(client, users, procedure):
    codes = [a.code for a in procedure.areas.order_by("code")]
    pins(procedure, {codes[0]: 2})
    pins(procedure, {codes[1]: 1}, "pending")
    place = procedure.areas.get(code=codes[2])
    point = place.shape.point_on_surface()
    Contribution.objects.create(procedure=procedure, category=procedure.categories.first(),
                                area=place, lon=point.x, lat=point.y, status="approved")  # fmt: skip
    client.force_login(users["steward"])
    text = client.get(f"/beteiligung/{procedure.key}/beitraege.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 1 + 3 and all("pending" not in ";".join(r) for r in rows)
    assert Counter(r[1] for r in rows[1:]) == {codes[0]: 2, codes[2]: 1}
    body = client.get(f"/beteiligung/{procedure.key}/beitraege.gpkg").content
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.gpkg"
        path.write_bytes(body)
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM beitraege").fetchone()[0] == 3
    assert client.get(f"/beteiligung/{procedure.key}/beitraege.exe").status_code == 404


def test_staff_create_a_procedure_for_their_unit(client, users):
    client.force_login(users["steward"])
    bezirk = Area.objects.get(level__key="stadtbezirk", code="02")
    response = client.post(
        "/beteiligung/neu/",
        {
            "key": "radwege", "title": "Radwege", "question": "Wo fährst du?",
            "audience": "jugendliche", "owner": Unit.objects.get(key="jugendamt").pk,
            "level": Level.objects.get(key="sozialraum").pk, "opens": "2026-01-01",
            "closes": "2026-02-01", "ask_age": "on", "within": bezirk.pk,
            "kategorien": "herz: Hier fahre ich gern\nwarnung: Hier ist es gefährlich",
        },
    )  # fmt: skip
    assert response.status_code == 302
    created = Procedure.objects.get(key="radwege")
    assert [c.label for c in created.categories.all()] == ["Hier fahre ich gern",
                                                           "Hier ist es gefährlich"]  # fmt: skip
    assert set(created.areas.values_list("parent__parent__code", flat=True)) == {"02"}
    assert (
        created.areas.count()
        == Area.objects.filter(level__key="sozialraum", parent__parent__code="02").count()
    )
    # Not for a unit the user is not in.
    response = client.post(
        "/beteiligung/neu/", {"key": "x", "owner": Unit.objects.get(key="sozialamt").pk}
    )
    assert response.status_code == 200 and not Procedure.objects.filter(key="x").exists()


def test_staff_publish_the_decision_and_the_counts_become_public(client, users, procedure):
    codes = [a.code for a in procedure.areas.order_by("code")]
    pins(procedure, {codes[0]: 5})
    evaluate(procedure, users["admin"])
    key = indicator_key(procedure, "gern")
    assert _indicator(key).visibility == "internal"  # evaluated before the results are public
    url = f"/beteiligung/{procedure.key}/veroeffentlichen/"
    data = {"entscheidung": "Ein neuer Spielplatz wird gebaut.", "oeffentlich": "ja"}
    other = User.objects.create_user("sozial2", password="x" * 12, role=Role.DATA_STEWARD)
    other.units.add(Unit.objects.get(key="sozialamt"))
    client.force_login(other)
    assert client.post(url, data).status_code == 404
    assert not Procedure.objects.get(pk=procedure.pk).results_public
    client.force_login(users["steward"])
    assert client.post(url, data).status_code == 302
    procedure.refresh_from_db()
    assert procedure.results_public and procedure.decision == data["entscheidung"]
    assert {
        _indicator(indicator_key(procedure, c)).visibility for c in ("gern", "fehlt", "alle")
    } == {"public"}
    client.logout()
    page = client.get(f"/beteiligung/{procedure.key}/ergebnisse/").content.decode()
    assert data["entscheidung"] in page and 'id="anzahlen"' in page
    public = readlayer.area_values(
        users["anonymous"], _indicator(key), procedure.level, procedure.closes
    )
    assert public.value_of(codes[0]) == 5
