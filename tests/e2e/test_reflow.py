"""Every page type on a 320 px phone and on a desktop: no horizontal scrolling, axe-core clean.

One browser, one context per audience, many pages per test: WCAG 1.4.10 (reflow at
320 CSS px), 2.5.8 (targets of 24 px) and the other WCAG 2.2 A/AA rules axe-core checks.
axe-core comes bundled with axe-playwright-python; nothing is fetched at run time.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.helpers import axe_violations

pytestmark = [pytest.mark.e2e]

PASSWORD = "reflow-test-password"

PUBLIC = [
    "/",
    "/suche/?q=nord",
    "/indikatoren/kinderarmut/",
    "/tabelle/?indikator=kinderarmut&ebene=stadtteil&stichtag=2024-12-31",
    "/gebiete/stadtteil/011/",
    "/vergleich/?gebiet=stadtteil:011&gebiet=stadtteil:012",
    "/export/",
    "/schnittstellen/",
    "/anmelden/",
]
SIGNED_IN = [
    "/",
    "/gebiete/sozialraum/01101/",
    "/vergleich/?gebiet=stadtteil:011&gebiet=sozialraum:01101",
    "/analysen/",
    "/import/",
    "/import/laeufe/",
]


@pytest.fixture(scope="module")
def planner(server, django_db_blocker):
    """An administrator the server thread sees (committed; disabled after the module —
    the audit log it wrote cannot be deleted, by design)."""
    from quartier.access.models import Role, User

    with django_db_blocker.unblock():
        from django.db import connection

        # Earlier tests (a simulated database restart) may have ended this session.
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        user = User.objects.create_user("reflow", password=PASSWORD, role=Role.ADMIN)
        yield user.username
        User.objects.filter(pk=user.pk).update(is_active=False)


def overflow(page) -> int:
    """How many CSS px the page is wider than the window (0 = no horizontal scrolling)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


def walk(page, paths, width) -> list[str]:
    """Open each path at ``width`` px; return every problem found."""
    page.set_viewport_size({"width": width, "height": 800})
    problems = []
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    page.on(
        "console",
        lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text} {m.location}"),
    )
    for path in paths:
        response = page.goto(page.server + path)
        assert response.status == 200, path
        wider = overflow(page)
        if wider > 0:
            problems.append(f"{path} @ {width}px: {wider}px too wide")
        problems += [f"{path} @ {width}px: {v}" for v in axe_violations(page)]
    return problems


@pytest.mark.django_db  # also makes pytest-django set up the database the server reads
def test_public_pages_reflow_and_pass_axe(page):
    problems = walk(page, PUBLIC, 320) + walk(page, PUBLIC[:4], 1440)
    assert problems == [], "\n".join(problems)


# No database marker: the test's transaction would hold SQLite's write lock (BEGIN
# IMMEDIATE) and the server thread could not sign in (session, last login, audit log).
def test_signed_in_pages_reflow_and_pass_axe(page, planner):
    page.goto(f"{page.server}/anmelden/?next=/")
    page.fill("#id_username", planner)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))
    assert page.locator("form.logout button").count() == 1  # signed in
    problems = walk(page, SIGNED_IN, 320) + walk(page, SIGNED_IN[:2], 1440)
    assert problems == [], "\n".join(problems)


@pytest.mark.django_db
def test_navigation_collapses_on_a_phone_and_opens_by_keyboard(page):
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto(page.server + "/")
    toggle = page.locator(".nav-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.locator("#site-menu").is_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#site-menu a[href='/tabelle/']").is_visible()
    box = page.locator("#site-menu a[href='/tabelle/']").bounding_box()
    assert box["height"] >= 24 and box["x"] + box["width"] <= 320
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")
    # On a desktop the menu is simply there, without a button.
    page.set_viewport_size({"width": 1440, "height": 900})
    assert toggle.is_hidden() and page.locator("#site-menu").is_visible()
