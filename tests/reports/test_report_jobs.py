"""The Steckbriefe of a level as a job: ordered on a page, run by the worker, downloaded."""

from __future__ import annotations

import io
import zipfile

import pytest

from quartier.access.models import AuditEntry
from quartier.imports import jobs
from quartier.imports.models import ImportJob
from quartier.spatial.models import Area

pytestmark = pytest.mark.django_db


def test_order_follow_and_download_the_steckbriefe_of_a_level(client, users):
    client.force_login(users["analyst"])
    page = client.get("/berichte/steckbriefe/?ebene=stadtbezirk")
    assert page.status_code == 200 and 'value="stadtbezirk" selected' in page.content.decode()
    # The level of the whole city (one area) keeps the test short; the CLI test renders more.
    response = client.post("/berichte/steckbriefe/", {"ebene": "stadt", "seit": "vorher"})
    job = ImportJob.objects.get(kind=ImportJob.Kind.REPORT)
    assert response.status_code == 302 and response["Location"] == f"/berichte/auftrag/{job.pk}/"
    assert job.status == ImportJob.Status.DONE  # the tests' settings run jobs at once
    assert job.task["steckbriefe"] == {"level": "stadt", "since": "vorher", "language": "de"}
    status = client.get(f"/berichte/auftrag/{job.pk}/status/").json()
    assert status["status"] == "done" and status["download"] == f"/berichte/auftrag/{job.pk}/datei/"
    html = client.get(f"/berichte/auftrag/{job.pk}/").content.decode()
    assert 'id="job-download"' in html and "<progress" in html
    download = client.get(status["download"])
    assert download["Content-Disposition"].endswith('filename="steckbriefe_stadt.zip"')
    body = b"".join(download.streaming_content)
    codes = Area.objects.filter(level__key="stadt", valid_to__isnull=True)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert len(archive.namelist()) == codes.count()
        assert all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.user == users["analyst"] and entry.details["report"] == "steckbriefe"
    # Nobody else sees the order, its progress or its file; the public is asked to sign in.
    client.force_login(users["steward"])
    for suffix in ("", "status/", "datei/"):
        assert client.get(f"/berichte/auftrag/{job.pk}/{suffix}").status_code == 404
    client.logout()
    assert client.get(f"/berichte/auftrag/{job.pk}/datei/").status_code == 302
    assert client.get("/berichte/steckbriefe/").status_code == 302


def test_a_level_must_be_chosen(client, users):
    client.force_login(users["analyst"])
    response = client.post("/berichte/steckbriefe/", {"ebene": "gibtsnicht"})
    assert (
        response.status_code == 400 and "Bitte wählen Sie eine Ebene." in response.content.decode()
    )
    assert not ImportJob.objects.filter(kind=ImportJob.Kind.REPORT).exists()


def test_report_jobs_are_not_listed_as_imports_and_fail_in_their_own_words(client, users):
    client.force_login(users["admin"])
    client.post("/berichte/steckbriefe/", {"ebene": "stadt"})
    job = ImportJob.objects.get(kind=ImportJob.Kind.REPORT)
    assert client.get(f"/import/vorgang/{job.pk}/").status_code == 404
    assert job.source_name not in client.get("/import/").content.decode()
    assert "Berichte wurden unterbrochen" in jobs.text_for(job, jobs.INTERRUPTED)
