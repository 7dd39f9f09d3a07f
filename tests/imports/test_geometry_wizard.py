"""The geometry wizard with unusual real files (issue 14, points 3 and 4).

Integer codes: the field step shows how codes are stored and what they become, and
the committed areas answer under their official codes. Location: a file without .prj
read in the wrong CRS is shown with a warning that must be confirmed, and the right
CRS is named. No text shows "None".
"""

from __future__ import annotations

import re

import pytest

from quartier.imports.geometry_import import LevelTarget, import_level
from quartier.imports.models import ImportJob
from quartier.spatial.models import Area, Level
from tests.imports.test_codewidth import integer_copy
from tests.imports.test_geometry_import import KOELN, LOR, read, shapefile
from tests.imports.test_wizard import job_of, upload
from tests.test_accessibility import check as accessible

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, users):
    client.force_login(users["admin"])
    return client


def check(client, job, **form):
    response = client.post(f"/import/vorgang/{job.pk}/geometrie-pruefen/", form)
    assert response.status_code == 302, response.content.decode()[:800]
    job.refresh_from_db()
    return client.get(f"/import/vorgang/{job.pk}/").content.decode()


def commit(client, job, **form):
    client.post(f"/import/vorgang/{job.pk}/uebernehmen/", form)
    job.refresh_from_db()
    return job


def test_integer_codes_restored_with_examples_in_the_field_step(admin_client, tmp_path):
    gpkg = integer_copy(tmp_path, "bezirksregionen.gpkg", "EPSG:4326")
    job = job_of(upload(admin_client, "geometry", ("bezirksregionen.gpkg", gpkg.read_bytes())))
    page = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    box = page[page.index('id="code-width-box"') :]
    box = box[: box.index("</fieldset>")]
    assert "speichert die Codes als Zahlen (5 Stellen: 109, 6 Stellen: 34)" in box
    assert "auf 6 Stellen ergänzen" in box
    assert re.search(r"<td>76012</td><td>076012</td>", box)  # stored → imported
    assert 'name="code_width" type="number" min="0" max="40" value="6"' in box
    assert 'name="code_width_field" value="BZR_ID"' in box
    accessible(page, "field step with the code width")

    report = check(
        admin_client,
        job,
        code_field="BZR_ID",
        name_field="BZR_NAME",
        code_width="6",
        code_width_field="BZR_ID",
        ebene_neu="bezirksregion",
        ebene_name="Bezirksregion",
    )
    assert "109 von 143 Codes wurden mit führenden Nullen auf 6 Stellen ergänzt" in report
    assert "None" not in report
    # Berlin lies far from the test database's Musterstadt: confirmed on purpose here.
    job = commit(admin_client, job, lage_bestaetigt="ja")
    assert job.status == ImportJob.Status.DONE, job.error
    codes = set(Area.objects.filter(level__key="bezirksregion").values_list("code", flat=True))
    assert len(codes) == 143 and all(len(c) == 6 for c in codes)
    assert admin_client.get("/api/v1/areas/bezirksregion/011001/").status_code == 200


def test_a_different_code_field_is_decided_automatically(admin_client, tmp_path):
    gpkg = integer_copy(tmp_path, "bezirksregionen.gpkg", "EPSG:3035")
    job = job_of(upload(admin_client, "geometry", ("bzr.gpkg", gpkg.read_bytes())))
    # The width field was shown for BZR_ID; a stale value for another field is not applied.
    check(admin_client, job, code_field="BZR_ID", code_width="9", code_width_field="X",
          ebene_neu="bzr")  # fmt: skip
    assert job.options["code_width"] == 6


def test_wrong_crs_without_prj_is_warned_and_must_be_confirmed(admin_client, tmp_path):
    import_level(
        read(shapefile(LOR, "lor_prognoseraeume_2021"), tmp_path),
        LevelTarget("prognoseraum", "Prognoseraum"),
    )
    parts = [
        (p.name, p.read_bytes())
        for p in shapefile(LOR, "lor_bezirksregionen_2021")
        if p.suffix != ".prj"
    ]
    job = job_of(upload(admin_client, "geometry", *parts))
    options = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert 'name="crs" type="text" value="EPSG:25833"' in options  # preselected: it fits
    # The case: the user takes EPSG:25832 (the usual default) anyway.
    report = check(
        admin_client,
        job,
        code_field="BZR_ID",
        name_field="BZR_NAME",
        crs="EPSG:25832",
        ebene_neu="bezirksregion",
        ebene_name="Bezirksregion",
        uebergeordnet="prognoseraum",
    )
    warning = report[report.index('id="location-warning"') :]
    warning = warning[: warning.index("</section>")]
    assert 'role="alert"' in report[report.index("location-warning") - 80 :][:200]
    assert "km westlich davon" in warning and "Prognoseraum" in warning
    assert "Mit EPSG:25833 (ETRS89 / UTM zone 33N) lägen sie im Bereich" in warning
    assert 'name="crs" value="EPSG:25833"' in warning  # one click to check again with it
    assert 'id="lage_bestaetigt" name="lage_bestaetigt" value="ja" required' in report
    assert 'id="geo-preview"' in report and 'id="geo-preview-data"' in report
    assert 'id="location-table"' in report and "EPSG:25832 (" in report  # the text alternative
    assert "None" not in report
    accessible(report, "report with a location warning")

    job = commit(admin_client, job)  # not confirmed: nothing happens
    assert job.status == ImportJob.Status.CHECKED
    assert not Level.objects.filter(key="bezirksregion").exists()
    page = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert "bestätigen Sie sie" in page

    fixed = check(
        admin_client,
        job,
        code_field="BZR_ID",
        name_field="BZR_NAME",
        crs="EPSG:25833",
        ebene_neu="bezirksregion",
        ebene_name="Bezirksregion",
        uebergeordnet="prognoseraum",
    )
    assert 'id="location-warning"' not in fixed and "lage_bestaetigt" not in fixed
    assert "Die Gebiete liegen im Bereich der vorhandenen Ebene „Prognoseraum“" in fixed
    job = commit(admin_client, job)
    assert job.status == ImportJob.Status.DONE, job.error
    assert Area.objects.filter(level__key="bezirksregion", parent__isnull=False).count() == 143


def test_areas_outside_every_parent_never_read_none(admin_client):
    parts = [(p.name, p.read_bytes()) for p in shapefile(KOELN, "Stadtbezirk")]
    job = job_of(upload(admin_client, "geometry", *parts))
    parent = Level.objects.order_by("order").first()  # a Musterstadt level, far from Köln
    report = check(admin_client, job, code_field="STB_NR", name_field="STB_NAME",
                   ebene_neu="koeln", ebene_name="Köln", uebergeordnet=parent.key)  # fmt: skip
    assert 'id="not-nested"' in report and "keins (liegt außerhalb)" in report
    assert "None" not in report
    job = commit(admin_client, job, lage_bestaetigt="ja")
    assert job.status == ImportJob.Status.DONE, job.error
    done = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert "None" not in done
