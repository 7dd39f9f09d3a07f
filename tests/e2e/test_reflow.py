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


# The innermost elements reaching past the window's right edge (what makes a page too wide).
TOO_WIDE_JS = """() => { const w = document.documentElement.clientWidth; const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.getBoundingClientRect().right <= w + 1) continue;
    if ([...el.children].some(c => c.getBoundingClientRect().right > w + 1)) continue;
    const box = el.parentElement && el.parentElement.closest('.table-scroll');
    if (box && box.getBoundingClientRect().right <= w + 1) continue;  // scrolls in its box
    out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
             + (el.className && typeof el.className === 'string' ? '.' + el.className : ''));
  } return out.slice(0, 5).join(', '); }"""


def too_wide(page) -> str:
    """Which elements reach past the right edge of the window."""
    return page.evaluate(TOO_WIDE_JS)


def check_shown(page, label: str, widths=(320,), ignore=()) -> list[str]:
    """Problems of the page as shown: too wide, or axe violations, at each of ``widths``.

    ``ignore``: exact "rule: target" lines not to report (each with its reason at the caller).
    """
    problems = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": 800})
        # The resize handlers (scroll boxes get keyboard focus) run before the next frame.
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        wider = overflow(page)
        if wider > 0:
            problems.append(f"{label} @ {width}px: {wider}px too wide ({too_wide(page)})")
        problems += [f"{label} @ {width}px: {v}" for v in axe_violations(page) if v not in ignore]
    return problems


def watch_errors(page, problems: list[str]) -> None:
    """Record failed responses and console errors of ``page`` in ``problems``."""
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    page.on(
        "console",
        lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text} {m.location}"),
    )


def walk(page, paths, width) -> list[str]:
    """Open each path at ``width`` px; return every problem found."""
    page.set_viewport_size({"width": width, "height": 800})
    problems = []
    watch_errors(page, problems)
    for path in paths:
        response = page.goto(page.server + path)
        assert response.status == 200, path
        problems += check_shown(page, path, (width,))
    return problems


@pytest.mark.django_db  # also makes pytest-django set up the database the server reads
def test_public_pages_reflow_and_pass_axe(page):
    problems = walk(page, PUBLIC, 320) + walk(page, PUBLIC[:4], 1440)
    assert problems == [], "\n".join(problems)


@pytest.fixture(scope="module")
def gemeinden(server, django_db_blocker):
    """A Kreis whose Gemeinden are the Stadtbezirke, the first with a portal (committed for
    the server thread; removed after the module)."""
    from quartier.access.models import Territory
    from quartier.indicators.models import Indicator
    from quartier.spatial.models import Area

    with django_db_blocker.unblock():
        from django.db import connection

        if connection.connection is not None and not connection.is_usable():
            connection.close()  # ended by an earlier test (a simulated restart, a teardown)
        Territory.objects.filter(key__startswith="reflow-").exclude(parent=None).delete()
        Territory.objects.filter(key="reflow-kreis").delete()
        kreis = Territory.objects.create(
            key="reflow-kreis", name="Reflowkreis", kind="kreis",
            area=Area.objects.get(level__key="stadt"),
        )  # fmt: skip
        for bezirk in Area.objects.filter(level__key="stadtbezirk").order_by("code"):
            territory = Territory.objects.create(
                key=f"reflow-{bezirk.code}", name=bezirk.name, kind="gemeinde", parent=kreis,
                area=bezirk, portal=bezirk.code == "01",
            )  # fmt: skip
            territory.headline.set(Indicator.objects.filter(key_figure=True))
    yield
    with django_db_blocker.unblock():
        Territory.objects.filter(parent=kreis).delete()
        kreis.delete()


@pytest.mark.django_db
def test_municipal_comparison_and_portal_reflow_and_pass_axe(page, gemeinden):
    paths = [
        "/gemeinden/?indikator=kinderarmut",
        "/gemeinden/?indikator=kinderarmut&gemeinde=reflow-01&gemeinde=reflow-02&ebene=sozialraum",
        "/gemeinden/reflow-01/",
    ]
    problems = walk(page, paths, 320) + walk(page, paths, 1440)
    assert problems == [], "\n".join(problems)


def sign_in(page, username: str) -> None:
    """Sign in through the form (the context keeps the session for the test)."""
    page.goto(f"{page.server}/anmelden/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))
    assert page.locator("form.logout button").count() == 1  # signed in


# No database marker: the test's transaction would hold SQLite's write lock (BEGIN
# IMMEDIATE) and the server thread could not sign in (session, last login, audit log).
def test_signed_in_pages_reflow_and_pass_axe(page, planner):
    sign_in(page, planner)
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


@pytest.fixture(scope="module")
def created_rows(server, django_db_blocker):
    """Delete, after the module, the analyses, indicators and batches its tests committed.

    The server thread only sees committed rows; removing them keeps the shared test
    database as the modules after this one expect it.
    """
    from quartier.analysis.models import Analysis
    from quartier.indicators.models import ImportBatch, Indicator, Value

    def last(model):
        return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    with django_db_blocker.unblock():
        marks = {model: last(model) for model in (Analysis, Indicator, ImportBatch)}
        yield
        Analysis.objects.filter(pk__gt=marks[Analysis]).delete()
        new = Indicator.objects.filter(pk__gt=marks[Indicator])
        Value.objects.filter(indicator__in=new).delete()
        new.delete()
        ImportBatch.objects.filter(pk__gt=marks[ImportBatch]).delete()


@pytest.fixture(scope="module")
def analyses(created_rows, planner, django_db_blocker):
    """One committed result of every built-in analysis method, by the signed-in planner."""
    from quartier.access.models import User
    from tests.analysis.samples import run_samples

    with django_db_blocker.unblock():
        return run_samples(User.objects.get(username=planner), "Barrierefreiheit")


def test_analysis_forms_and_results_reflow_and_pass_axe(page, planner, analyses):
    from quartier.analysis import registry

    sign_in(page, planner)
    forms = [f"/analysen/neu/{m.key}/" for m in registry.methods()]
    results = [f"/analysen/{a.pk}/" for a in analyses.values()]
    assert set(analyses) == {m.key for m in registry.methods()}  # every method's page
    problems = walk(page, forms + results, 320) + walk(page, results, 1440)
    assert problems == [], "\n".join(problems)


def test_import_wizard_pages_reflow_and_pass_axe(
    page, planner, created_rows, tmp_path, django_db_blocker
):
    """Upload, mapping, check, commit and rollback of a small table; upload, options and
    check of a small geometry file (cancelled: a new level would outlive the module)."""
    from tests.e2e.helpers import small_geojson

    sign_in(page, planner)
    problems: list[str] = []
    watch_errors(page, problems)
    table = tmp_path / "barrierefrei.csv"
    table.write_text("Schluessel;Testwert Barrierefreiheit\n011;1\n012;2\n", encoding="utf-8")
    page.goto(f"{page.server}/import/tabelle/")
    problems += check_shown(page, "table upload")
    page.set_input_files("#dateien", str(table))
    page.click("#upload-submit")
    page.wait_for_selector("#mapping-form")
    problems += check_shown(page, "table mapping", (320, 1440))
    page.fill("#stichtag", "31.12.2024")
    page.click("#check")
    page.wait_for_selector("#preview")
    problems += check_shown(page, "table report", (320, 1440))
    if page.locator("#warnungen_akzeptiert").count():
        page.check("#warnungen_akzeptiert")
    page.click("#commit")
    page.wait_for_selector("#result")
    problems += check_shown(page, "table done")
    page.goto(f"{page.server}/import/laeufe/")
    page.click("#batches tbody tr:first-child a")
    page.wait_for_selector("#rollback")
    problems += check_shown(page, "batch")
    page.click("#rollback")
    page.wait_for_selector("#batch-status")
    problems += check_shown(page, "batch rolled back")

    geometry = tmp_path / "barrierefrei.geojson"
    with django_db_blocker.unblock():
        geometry.write_text(small_geojson(), encoding="utf-8")
    page.goto(f"{page.server}/import/geometrie/")
    problems += check_shown(page, "geometry upload")
    page.set_input_files("#dateien", str(geometry))
    page.click("#upload-submit")
    page.wait_for_selector("#code_field")
    problems += check_shown(page, "geometry options", (320, 1440))
    page.fill("#ebene_neu", "barrierefrei")
    page.fill("#ebene_name", "Barrierefrei")
    page.click("button:has-text('Prüfen')")
    page.wait_for_selector("#geo-summary")
    problems += check_shown(page, "geometry report", (320, 1440))
    page.click("form[action$='/zurueck/'] button")  # back to the options, which can cancel
    page.click("form[action$='/abbrechen/'] button")
    page.wait_for_url(re.compile(r"/import/$"))
    assert problems == [], "\n".join(problems)


def test_admin_pages_pass_axe(browser, server, planner):
    context = browser.new_context(locale="de-DE", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.server = server
    sign_in(page, planner)
    problems: list[str] = []
    loading: list[str] = []  # failed responses and console errors while a page loads
    watch_errors(page, loading)

    def check(label):
        nonlocal problems
        problems += loading
        # axe-core re-reads stylesheets with @import (Django's forms.css) as inline <style>
        # elements: our CSP blocks those (console messages) and the import resolves against
        # the page (404 of …/change/widgets.css). That is the checker's doing, not the page's.
        problems += check_shown(page, label, (320, 1440))
        loading.clear()

    for path in ("/admin/", "/admin/indicators/indicator/"):
        response = page.goto(page.server + path)
        assert response.status == 200, path
        check(path)
    page.click("#result_list tbody tr:first-child a")  # one indicator's change form
    page.wait_for_selector("form#indicator_form")
    check(page.url)
    context.close()
    assert problems == [], "\n".join(problems)
