"""The import wizard in real Chromium against a fresh installation (`quartier serve` subprocess)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.clitools import free_port, quartier, running
from tests.e2e.conftest import PageWatch
from tests.e2e.helpers import legend, wait_ready
from tests.e2e.test_reflow import check_shown

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db]
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LOR = DATA / "berlin-lor-2021-geometrien"
MSS = DATA / "berlin-mss-2021"
KOELN = DATA / "koeln-stadtteile-2012"
POP = DATA / "berlin-einwohner-plr-2024" / "berlin-lor-population-2024-02-t2-planning-areas.csv"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """An empty Quartier with one administrator, served on a free port."""
    from tests.clitools import cli_env as make_env

    env_gen = make_env.__wrapped__(tmp_path_factory.mktemp("wizard"))
    env = next(env_gen)
    assert quartier("migrate", env=env).returncode == 0
    created = quartier("createadmin", "--username", "planerin", env=env)
    password = re.search(r": (\S+)$", created.stdout.strip()).group(1)
    # One process: import jobs still keep their progress in the web process (issue 15, point 2).
    with running(["serve", "--port", str(free_port()), "--workers", "1"], env) as (url, _out):
        yield url.rstrip("/"), password
    next(env_gen, None)


@pytest.fixture
def wizard(browser, fresh):
    url, password = fresh
    context = browser.new_context(locale="de-DE", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{url}/anmelden/?next=/import/")
    page.fill("#id_username", "planerin")
    page.fill("#id_password", password)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"/import/$"))
    page.base = url
    yield page
    context.close()
    assert watch.errors == [], watch.errors
    assert watch.hosts <= {urlsplit(url).netloc}, watch.hosts


def finish(page):
    """Wait for a committed job to finish (the progress page polls, then reloads)."""
    page.wait_for_function(
        "() => document.getElementById('job')?.dataset.status !== 'running'", timeout=60_000
    )
    assert page.locator("#job-error").count() == 0, page.inner_text("#job-error")


def import_level(page, stem, key, name, parent=None):
    page.goto(f"{page.base}/import/geometrie/")
    page.set_input_files("#dateien", sorted(str(p) for p in LOR.glob(f"{stem}.*")))
    page.click("#upload-submit")
    page.wait_for_selector("#code_field")
    page.fill("#ebene_neu", key)
    page.fill("#ebene_name", name)
    if parent:
        page.select_option("#uebergeordnet", parent)
    page.click("button:has-text('Prüfen')")
    page.wait_for_selector("#geo-summary")
    summary = page.inner_text("#geo-summary")
    page.click("#commit")
    finish(page)
    return summary, page.inner_text("main")


def test_berlin_geometries_and_mss_through_the_wizard(wizard):
    page = wizard
    summary, _ = import_level(page, "lor_prognoseraeume_2021", "prognoseraum", "Prognoseraum")
    assert "58" in summary
    import_level(page, "lor_bezirksregionen_2021", "bezirksregion", "Bezirksregion", "prognoseraum")
    summary, done = import_level(
        page, "lor_planungsraeume_2021", "planungsraum", "Planungsraum", "bezirksregion"
    )
    assert re.search(r"neue Gebiete: 542", summary)
    assert re.search(r"mit übergeordnetem Gebiet: 542", summary)
    assert page.locator("#not-nested").count() == 0

    page.goto(f"{page.base}/import/tabelle/")
    page.set_input_files("#dateien", str(MSS / "mss_2021_index_indikatoren.csv"))
    page.click("#upload-submit")
    page.wait_for_selector("#mapping-form")
    assert page.input_value("#ebene") == "planungsraum"
    assert page.input_value("#schluessel") == "PLR_ID"
    page.check("#stichtag-spalte")
    page.select_option("#stichtag_spalte", "ZEIT")
    for row in page.locator("#columns tbody tr").all():  # keep only S1 and S4
        column = row.get_attribute("data-column")
        select = row.locator("select[name$='-ziel']")
        if column in ("S1", "S4"):
            select.select_option("neu:rate")
            row.locator("input[name$='-einheit']").fill("%")
        else:
            select.select_option("")
    page.click("#check")
    page.wait_for_selector("#preview")
    assert "01100101" in page.inner_text("#preview")
    assert "−9999" in page.inner_text("#notes")
    page.check("#warnungen_akzeptiert")
    page.click("#commit")
    finish(page)
    assert re.search(r"Importlauf \d+: 1072 neue Werte", page.inner_text("#result"))

    # the population table: the guessed mapping is right, only the reference date is missing
    page.goto(f"{page.base}/import/tabelle/")
    page.set_input_files("#dateien", str(POP))
    page.click("#upload-submit")
    page.wait_for_selector("#mapping-form")
    assert page.input_value("#schluessel") == "id"
    page.fill("#stichtag", "31.12.2024")
    page.click("#check")
    page.wait_for_selector("#preview")
    if page.locator("#warnungen_akzeptiert").count():
        page.check("#warnungen_akzeptiert")
    page.click("#commit")
    finish(page)
    assert re.search(r"Importlauf \d+: 11924 neue Werte", page.inner_text("#result"))

    page.goto(f"{page.base}/import/laeufe/")
    page.click("#batches tbody tr:first-child a")
    page.click("#rollback")
    page.wait_for_selector("#batch-status")
    assert "zurückgenommen" in page.inner_text("#batch-status")

    page.goto(f"{page.base}/import/")
    page.click("text=mss_2021_index_indikatoren.csv")
    page.click("text=Auf der Karte ansehen")
    page.wait_for_url(re.compile(r"/karte/"))
    wait_ready(page)
    assert page.input_value("#level") in ("prognoseraum", "bezirksregion", "planungsraum")
    page.select_option("#level", "planungsraum")
    page.wait_for_function("() => window.quartier.geometry.codes.length === 542")
    wait_ready(page)
    assert sum(int(re.search(r"(\d+) Gebiete", line).group(1)) for line in legend(page)) == 542


def test_koeln_through_the_wizard_reports_the_repair(wizard):
    page = wizard
    page.goto(f"{page.base}/import/geometrie/")
    page.set_input_files("#dateien", sorted(str(p) for p in KOELN.glob("Stadtteil.*")))
    page.click("#upload-submit")
    page.wait_for_selector("#code_field")
    assert page.input_value("#code_field") == "STT_NR"
    assert "EPSG" in page.inner_text("main")
    page.fill("#ebene_neu", "stadtteil_koeln")
    page.fill("#ebene_name", "Stadtteil (Köln)")
    page.click("button:has-text('Prüfen')")
    page.wait_for_selector("#findings")
    assert "Marienburg" in page.inner_text("#findings")
    if page.locator("#lage_bestaetigt").count():  # Köln beside Berlin's levels: confirm
        page.check("#lage_bestaetigt")
    problems = check_shown(page, "geometry report", (320, 1440))
    page.click("#commit")
    finish(page)
    # The commit's result page (the job page after the reload): phone and desktop, axe-clean.
    problems += check_shown(page, "geometry done", (320, 1440))
    assert problems == [], "\n".join(problems)

    page.goto(f"{page.base}/import/tabelle/")
    page.set_input_files("#dateien", str(KOELN / "bevoelkerung_stadtteile_2005-2012.csv"))
    page.click("#upload-submit")
    page.wait_for_selector("#mapping-form")
    assert page.is_checked("#layout-long")
    page.select_option("#ebene", "stadtteil_koeln")
    assert page.locator("#labels tbody tr").count() == 38
    page.click("#check")
    page.wait_for_selector("#warnings")
    assert "„000“" in page.inner_text("#warnings")
    page.check("#warnungen_akzeptiert")
    page.click("#commit")
    finish(page)
    assert "neue Werte" in page.inner_text("#result")


def test_bad_upload_in_the_browser(wizard, tmp_path):
    page = wizard
    broken = tmp_path / "kaputt.zip"
    broken.write_bytes(b"PK\x03\x04 defekt")
    page.goto(f"{page.base}/import/geometrie/")
    page.set_input_files("#dateien", str(broken))
    page.click("#upload-submit")
    page.wait_for_selector("#upload-error")
    assert "beschädigt" in page.inner_text("#upload-error")
