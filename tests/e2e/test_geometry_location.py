"""A misplaced level in real Chromium: the warning, the map, the confirmation, the fix.

The issue's case: Berlin's Planungsräume without .prj, read in EPSG:25832 instead of
EPSG:25833, beside Berlin's Prognoseräume — 400 km too far west, still in Germany.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.e2e.test_import_wizard import LOR, finish, fresh, wizard  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db]


def test_wrong_crs_is_shown_on_a_map_and_must_be_confirmed(wizard, tmp_path):  # noqa: F811
    page = wizard
    page.goto(f"{page.base}/import/geometrie/")
    page.set_input_files("#dateien", sorted(str(p) for p in LOR.glob("lor_prognoseraeume_2021.*")))
    page.click("#upload-submit")
    page.fill("#ebene_neu", "pgr")
    page.click("button:has-text('Prüfen')")
    page.wait_for_selector("#geo-preview .leaflet-interactive")  # the first level: in Germany
    assert page.locator("#location-warning").count() == 0
    page.click("#commit")
    finish(page)

    for part in LOR.glob("lor_planungsraeume_2021.*"):
        if part.suffix != ".prj":
            shutil.copyfile(part, tmp_path / f"plr{part.suffix}")
    page.goto(f"{page.base}/import/geometrie/")
    page.set_input_files("#dateien", sorted(str(p) for p in tmp_path.glob("plr.*")))
    page.click("#upload-submit")
    assert page.input_value("#crs") == "EPSG:25833"  # preselected: it fits the Prognoseräume
    page.fill("#crs", "EPSG:25832")
    page.fill("#ebene_neu", "plr")
    page.select_option("#uebergeordnet", "pgr")
    page.click("button:has-text('Prüfen')")
    page.wait_for_selector("#location-warning")
    warning = page.inner_text("#location-warning")
    assert "km westlich davon" in warning and "EPSG:25833" in warning
    # The map holds the misplaced areas and the existing outline; the table says the same.
    page.wait_for_selector("#geo-preview .leaflet-interactive")
    assert page.locator("#geo-preview path.leaflet-interactive").count() > 500
    assert "EPSG:25832 (gewählt)" in page.inner_text("#location-table")
    page.click("#commit")  # not confirmed: the browser keeps the form, nothing starts
    assert page.locator("#location-warning").count() == 1
    assert page.locator("#lage_bestaetigt:invalid").count() == 1

    page.click("button:has-text('Mit EPSG:25833 erneut prüfen')")
    page.wait_for_selector("#geo-summary")
    assert page.locator("#location-warning").count() == 0
    assert re.search(r"mit übergeordnetem Gebiet: 542", page.inner_text("#geo-summary"))
    page.click("#commit")
    finish(page)
