"""The import wizard through Django's test client (imports run synchronously here)."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quartier.imports.models import ImportJob
from quartier.indicators.models import ImportBatch, Value
from quartier.spatial.models import Area, Level
from tests.imports.test_geometry_import import LOR

pytestmark = pytest.mark.django_db
MSS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "berlin-mss-2021"


@pytest.fixture
def admin_client(client, users):
    client.force_login(users["admin"])
    return client


def upload(client, kind, *files):
    url = "/import/geometrie/" if kind == "geometry" else "/import/tabelle/"
    return client.post(url, {"dateien": [SimpleUploadedFile(name, data) for name, data in files]})


def shapefile_zip(stem: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(LOR.glob(f"{stem}.*")):
            zf.write(part, part.name)
    return buffer.getvalue()


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def test_only_data_stewards_and_admins_may_import(client, users):
    assert client.get("/import/").status_code == 302  # to the login
    client.force_login(users["analyst"])
    assert client.get("/import/").status_code == 403
    client.force_login(users["steward"])
    assert client.get("/import/").status_code == 200


def test_geometry_wizard_zip_to_committed_level(admin_client):
    job = job_of(
        upload(admin_client, "geometry", ("pgr.zip", shapefile_zip("lor_prognoseraeume_2021")))
    )
    page = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert "EPSG:25833" in page and "<option selected>PGR_ID</option>" in page
    response = admin_client.post(
        f"/import/vorgang/{job.pk}/geometrie-pruefen/",
        {
            "code_field": "PGR_ID",
            "name_field": "PGR_NAME",
            "ebene_neu": "prognoseraum",
            "ebene_name": "Prognoseraum",
        },
    )
    assert response.status_code == 302
    report = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert 'data-count="created">58<' in report
    assert not Level.objects.filter(key="prognoseraum").exists()  # only checked so far
    # Berlin lies 400 km from the test database's Musterstadt: its location must be confirmed.
    assert 'id="location-warning"' in report and "östlich davon" in report
    admin_client.post(f"/import/vorgang/{job.pk}/uebernehmen/")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    admin_client.post(f"/import/vorgang/{job.pk}/uebernehmen/", {"lage_bestaetigt": "ja"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert Area.objects.filter(level__key="prognoseraum").count() == 58
    assert not Path(job.workdir).exists()  # uploads are deleted after the import
    done = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert "Fertig" in done


def test_loose_shapefile_parts_without_prj_ask_for_a_crs(admin_client):
    parts = [
        (p.name, p.read_bytes())
        for p in sorted(LOR.glob("lor_prognoseraeume_2021.*"))
        if p.suffix != ".prj"
    ]
    job = job_of(upload(admin_client, "geometry", *parts))
    page = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert "nennt kein Koordinatensystem" in page
    response = admin_client.post(
        f"/import/vorgang/{job.pk}/geometrie-pruefen/",
        {"code_field": "PGR_ID", "ebene_neu": "pgr", "crs": "EPSG:25833"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.report["created"] == 58


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("kaputt.zip", b"PK\x03\x04 das ist kein zip", "beschädigt"),
        ("leer.geojson", b"", "leer"),
        ("bild.shp", b"\x89PNG\r\n\x1a\n" + bytes(200), "Shapefile"),
    ],
)
def test_bad_geometry_files_get_a_german_message_and_nothing_is_written(
    admin_client, name, data, message
):
    levels = Level.objects.count()
    response = upload(admin_client, "geometry", (name, data))
    assert response.status_code == 200
    text = response.content.decode()
    assert message.lower() in text.lower()
    assert 'role="alert"' in text
    assert Level.objects.count() == levels
    assert ImportJob.objects.get().workdir and not Path(ImportJob.objects.get().workdir).exists()


def test_zip_bomb_is_refused(admin_client, monkeypatch):
    from quartier.imports import staging

    monkeypatch.setattr(staging, "MAX_UNPACKED_BYTES", 2_000_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("riesig.geojson", b" " * 5_000_000)
    response = upload(admin_client, "geometry", ("bombe.zip", buffer.getvalue()))
    assert response.status_code == 200 and "ZIP" in response.content.decode()


def test_shapefile_without_shx(admin_client):
    parts = [
        (p.name, p.read_bytes())
        for p in sorted(LOR.glob("lor_prognoseraeume_2021.*"))
        if p.suffix != ".shx"
    ]
    job = job_of(upload(admin_client, "geometry", *parts))
    assert any(".shx" in note for note in job.analysis["notes"])


def test_oversized_upload_is_explained(admin_client, settings):
    from dataclasses import replace

    settings.QUARTIER = replace(settings.QUARTIER, max_upload_mb=1)
    response = upload(admin_client, "table", ("gross.csv", b"a;b\n" + b"1;2\n" * 400_000))
    assert response.status_code == 413
    assert "QUARTIER_MAX_UPLOAD_MB" in response.content.decode()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("daten.csv", bytes(range(256)) * 20, "keine Textdatei"),
        ("leer.csv", b"", "leer"),
        ("alt.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), ".xlsx"),
    ],
)
def test_bad_tables_get_a_german_message(admin_client, name, data, message):
    response = upload(admin_client, "table", (name, data))
    assert response.status_code == 200
    assert message.lower() in response.content.decode().lower()
    assert ImportBatch.objects.count() == 1  # only the demo batch


def test_excel_with_merged_header_cells(admin_client):
    from openpyxl import Workbook

    from quartier.spatial.models import Area

    codes = list(Area.objects.filter(level__key="stadtbezirk").values_list("code", flat=True))
    wb = Workbook()
    ws = wb.active
    ws.append(["Bezirk", "Altersgruppen", None])
    ws.append([None, "unter 6", "6 bis unter 15"])
    ws.merge_cells("B1:C1")
    ws.merge_cells("A1:A2")
    for i, code in enumerate(codes):
        ws.append([code, 100 + i, 200 + i])
    buffer = io.BytesIO()
    wb.save(buffer)
    job = job_of(upload(admin_client, "table", ("alter.xlsx", buffer.getvalue())))
    page = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert "Altersgruppen – unter 6" in page


def test_table_wizard_mss_to_committed_batch(admin_client, tmp_path):
    from quartier.imports.geometry_import import LevelTarget, import_level
    from tests.imports.test_geometry_import import read, shapefile

    import_level(
        read(shapefile(LOR, "lor_planungsraeume_2021"), tmp_path),
        LevelTarget("planungsraum", "Planungsraum"),
    )
    data = (MSS / "mss_2021_index_indikatoren.csv").read_bytes()
    job = job_of(upload(admin_client, "table", ("mss.csv", data)))
    page = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert re.search(r'<option value="planungsraum" selected>', page)  # level guessed
    columns = job.analysis["columns"]
    form = {
        "layout": "wide",
        "schluessel": "PLR_ID",
        "ebene": "planungsraum",
        "stichtag_art": "spalte",
        "stichtag_spalte": "ZEIT",
    }
    for i, column in enumerate(columns):
        if column in ("S1", "S4"):
            form[f"spalte-{i}-ziel"] = "neu:rate"
            form[f"spalte-{i}-name"] = {"S1": "Arbeitslosigkeit", "S4": "Kinderarmut MSS"}[column]
            form[f"spalte-{i}-einheit"] = "%"
        else:
            form[f"spalte-{i}-ziel"] = ""
    response = admin_client.post(f"/import/vorgang/{job.pk}/tabelle-pruefen/", form)
    assert response.status_code == 302
    report = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert "Vorschau" in report and "01100101" in report
    assert "Warnungen" in report
    response = admin_client.post(f"/import/vorgang/{job.pk}/uebernehmen/")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED  # warnings were not accepted
    admin_client.post(f"/import/vorgang/{job.pk}/uebernehmen/", {"warnungen_akzeptiert": "ja"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    batch = ImportBatch.objects.get(pk=job.result["batch"])
    assert batch.rows_inserted == Value.objects.filter(batch=batch).count() > 1000
    mapping = admin_client.get(f"/import/vorgang/{job.pk}/zuordnung.json").json()
    assert mapping["key_column"] == "PLR_ID" and set(mapping["columns"]) == {"S1", "S4"}


def test_batches_page_rollback_and_history(admin_client):
    from datetime import date

    from quartier.indicators.batches import create_batch, write_values
    from quartier.indicators.models import Indicator

    area = Area.objects.filter(level__key="baublock").first()
    ind = Indicator.objects.get(key="ew_gesamt")
    batch = create_batch("korrektur.csv")
    write_values(batch, [(ind.id, area.id, date(2024, 12, 31), 1.0, "")])
    detail = admin_client.get(f"/import/laeufe/{batch.pk}/").content.decode()
    assert "Ersetzte Werte" in detail and area.code in detail
    admin_client.post(f"/import/laeufe/{batch.pk}/zuruecknehmen/")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.ROLLED_BACK
    assert Value.objects.get(indicator=ind, area=area, period=date(2024, 12, 31)).value != 1.0
    assert "zurückgenommen" in admin_client.get("/import/laeufe/").content.decode()


def test_a_new_rate_takes_its_numerator_from_a_column_and_its_denominator_from_a_count(
    admin_client,
):
    from quartier.indicators.models import Indicator

    codes = Area.objects.filter(level__key="stadtbezirk").values_list("code", flat=True)
    rows = ["Bezirk;Arme Kinder;Quote neu"] + [f"{c};{10 + i};{1 + i}" for i, c in enumerate(codes)]
    job = job_of(upload(admin_client, "table", ("quote.csv", "\n".join(rows).encode())))
    page = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    numerator = re.search(r'<select id="spalte-2-zaehler"[^>]*>(.*?)</select>', page).group(1)
    assert '<option value="spalte:1">Spalte Arme Kinder</option>' in numerator
    assert '<option value="ew_gesamt">' in numerator  # existing counts too
    for table in re.findall(r"<table[^>]*>\s*(?:<caption)?", page):  # every table has a name
        named = re.search(r'aria-labelledby="([^"]+)"', table)
        assert table.endswith("<caption") or (named and f'id="{named.group(1)}"' in page), table
    form = {
        "layout": "wide",
        "schluessel": "Bezirk",
        "ebene": "stadtbezirk",
        "stichtag_art": "fest",
        "stichtag": "2024-12-31",
        "spalte-1-ziel": "neu:count",
        "spalte-1-name": "Arme Kinder",
        "spalte-2-ziel": "neu:rate",
        "spalte-2-name": "Quote neu",
        "spalte-2-einheit": "%",
        "spalte-2-zaehler": "spalte:1",
        "spalte-2-nenner": "ew_gesamt",
    }
    response = admin_client.post(f"/import/vorgang/{job.pk}/tabelle-pruefen/", form)
    assert response.status_code == 302, response.content.decode()[:800]
    mapping = ImportJob.objects.get(pk=job.pk).options["mapping"]
    rate = next(spec for spec in mapping["new_indicators"] if spec["name"] == "Quote neu")
    count = next(spec for spec in mapping["new_indicators"] if spec["name"] == "Arme Kinder")
    assert (rate["numerator"], rate["denominator"]) == (count["key"], "ew_gesamt")
    assert not Indicator.objects.filter(name="Quote neu").exists()  # only checked so far
