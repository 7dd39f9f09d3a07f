"""Issue 19 in the browser: a child contributes on a phone in a few steps, someone else with
the keyboard only through the list of places, staff moderate; axe-core finds nothing.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests.e2e.helpers import axe_violations

pytestmark = [pytest.mark.e2e]
PASSWORD = "beteiligung-e2e-password"
KEY = "e2e-spielen"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def procedure(server, django_db_blocker):
    """An open procedure over the Sozialräume of Stadtbezirk 01 and its moderator
    (committed for the server thread; removed after the module)."""
    from django.utils import timezone

    from quartier.access.models import Role, Unit, User
    from quartier.participation.models import Category, Procedure
    from quartier.spatial.models import Area, Level

    with django_db_blocker.unblock():
        from django.db import connection

        # Earlier tests (a simulated database restart, a server's teardown) may have ended
        # this session. pytest-django runs the marked test first, so this fixture may also
        # be set up a second time in the session: everything below is made afresh.
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        Procedure.objects.filter(key=KEY).delete()
        today = timezone.localdate()
        found = Procedure.objects.create(
            key=KEY, title="Wo spielst du gern?", question="Zeig uns deine Orte.",
            audience="kinder", owner=Unit.objects.get(key="jugendamt"),
            level=Level.objects.get(key="sozialraum"), opens=today - timedelta(days=1),
            closes=today + timedelta(days=9), results_public=True,
        )  # fmt: skip
        found.areas.set(Area.objects.filter(level__key="sozialraum", parent__parent__code="01"))
        for order, (code, label, symbol) in enumerate(
            [("gern", "Hier bin ich gern", "herz"), ("unsicher", "Hier fühle ich mich unsicher",
             "warnung"), ("fehlt", "Hier fehlt etwas", "plus")]
        ):  # fmt: skip
            Category.objects.create(
                procedure=found, code=code, label=label, symbol=symbol, sort_order=order
            )
        moderator, _new = User.objects.get_or_create(
            username="moderation-e2e", defaults={"role": Role.DATA_STEWARD}
        )
        moderator.set_password(PASSWORD)
        moderator.is_active = True
        moderator.save()
        moderator.units.add(Unit.objects.get(key="jugendamt"))
    yield found
    with django_db_blocker.unblock():  # tests in between may have blocked the database again
        found.contributions.all().delete()
        found.delete()
        User.objects.filter(pk=moderator.pk).update(is_active=False)


# The marker makes pytest-django set up the test database even when this module runs alone;
# the test only reads (its transaction would otherwise hold SQLite's write lock).
@pytest.mark.django_db
def test_the_open_procedure_is_listed(page, procedure):
    page.goto(f"{page.server}/beteiligung/")
    assert page.get_by_role("link", name="Wo spielst du gern?").count() == 1
    assert axe_violations(page) == []


def stored(django_db_blocker):
    from quartier.participation.models import Contribution

    with django_db_blocker.unblock():
        return list(Contribution.objects.filter(procedure__key=KEY).select_related("area"))


def test_a_child_contributes_on_a_phone_in_three_taps(
    browser, server, procedure, django_db_blocker
):
    with django_db_blocker.unblock():
        target = procedure.areas.order_by("code")[2]
        inside = target.shape.point_on_surface()
        name = target.name
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="de-DE"
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{server}/beteiligung/{KEY}/")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    steps = 0

    assert not page.locator("#pin").is_visible()  # no pin before a tap
    page.get_by_text("Hier fühle ich mich unsicher").tap()  # 1: what
    steps += 1
    frame = json.loads(page.locator("#karten-rahmen").text_content())
    x = frame["pad"] + (inside.x - frame["minx"]) * frame["kx"] * frame["scale"]
    y = frame["height"] - frame["pad"] - (inside.y - frame["miny"]) * frame["scale"]
    box = page.locator("#ortskarte").bounding_box()
    page.locator("#ortskarte").scroll_into_view_if_needed()
    box = page.locator("#ortskarte").bounding_box()
    zoom = box["width"] / 640
    page.touchscreen.tap(box["x"] + x * zoom, box["y"] + y * zoom)  # 2: where
    steps += 1
    assert page.locator("#pin-status").text_content() == f"Punkt gesetzt: {name}"
    assert page.locator("#pin").is_visible()
    page.wait_for_timeout(2100)  # a person takes longer than the form's minimum time
    page.get_by_role("button", name="Absenden").tap()  # 3: send
    steps += 1
    page.wait_for_url(re.compile(r"/danke/$"))
    assert steps <= 4 and errors == []
    assert axe_violations(page) == []
    context.close()
    (item,) = stored(django_db_blocker)
    assert item.area.pk == target.pk and item.category.code == "unsicher"
    assert item.lon == pytest.approx(inside.x, abs=1e-4) and item.status == "pending"


def test_the_list_path_works_with_the_keyboard_alone(page, procedure, django_db_blocker):
    before = len(stored(django_db_blocker))
    page.goto(f"{page.server}/beteiligung/{KEY}/")
    for _press in range(80):  # Tab through the page's header to the first category
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "kategorie":
            break
    page.keyboard.press("ArrowDown")  # the second category: "Hier fühle ich mich unsicher"
    page.keyboard.press("Tab")  # the map is for pointers; the next stop is the list
    assert page.evaluate("document.activeElement.name") == "ort"
    page.keyboard.press("ArrowDown")  # the first place in the list
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "alter"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "text"
    page.keyboard.type("Hier fehlt eine Ampel")
    page.keyboard.press("Tab")  # past the honeypot, which takes no focus
    assert page.evaluate("document.activeElement.id") == "absenden"
    page.wait_for_timeout(2100)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/danke/$"))
    items = stored(django_db_blocker)
    assert len(items) == before + 1
    item = max(items, key=lambda c: c.pk)
    with django_db_blocker.unblock():
        first = sorted(procedure.areas.all(), key=lambda a: (a.name.casefold(), a.code))[0]
        assert (item.area.pk, item.lon, item.category.code) == (first.pk, None, "unsicher")
    assert item.text == "Hier fehlt eine Ampel"


def test_staff_moderate_and_the_results_show_what_they_approved(page, procedure, django_db_blocker):
    from quartier.participation.models import Contribution

    with django_db_blocker.unblock():
        area = procedure.areas.order_by("code").first()
        gern = procedure.categories.get(code="gern")
        first, second = (
            Contribution.objects.create(procedure=procedure, category=gern, area=area, text=text)
            for text in ("Die Rutsche ist toll", "Blöder Text")
        )
    page.goto(f"{page.server}/anmelden/?next=/beteiligung/{KEY}/moderation/")
    page.fill("#id_username", "moderation-e2e")
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"/moderation/$"))
    assert axe_violations(page) == []
    page.locator(f"#beitrag-{first.pk}").get_by_role("button", name="Freigeben").click()
    page.wait_for_load_state()
    assert page.locator(f"#beitrag-{first.pk}").get_attribute("data-status") == "approved"
    row = page.locator(f"#beitrag-{second.pk}")
    row.get_by_label("Grund").fill("Beleidigung")
    row.get_by_role("button", name="Ausblenden").click()
    page.wait_for_load_state()
    assert page.locator(f"#beitrag-{second.pk}").get_attribute("data-status") == "hidden"
    page.goto(f"{page.server}/beteiligung/{KEY}/ergebnisse/")
    text = page.locator("main").inner_text()
    assert "Die Rutsche ist toll" in text and "Blöder Text" not in text
    assert axe_violations(page) == []
    page.goto(f"{page.server}/beteiligung/")
    assert axe_violations(page) == []
