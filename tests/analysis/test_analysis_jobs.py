"""Analyses as background jobs: the form queues them, the worker's code runs them.

The other analysis tests run jobs at once (QUARTIER_IMPORTS_IN_BACKGROUND = False in the
test settings); here they wait in the queue until :func:`run_next` does what
``quartier worker`` does. tests/test_import_workers.py runs a real worker process.
"""

from __future__ import annotations

import re

import pytest

from quartier.analysis.models import Analysis
from quartier.imports import worker
from quartier.imports.models import ImportJob
from tests.analysis.test_analyses import P
from tests.analysis.test_visibility import UNPROTECTED, hidden_codes, index_form

pytestmark = pytest.mark.django_db
Status = ImportJob.Status


@pytest.fixture
def background(settings):
    """Jobs wait for a worker instead of running in the request."""
    settings.QUARTIER_IMPORTS_IN_BACKGROUND = True


def queued(client, url: str, form: dict) -> ImportJob:
    """Post an analysis form; the answer leads to the page of the queued job."""
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    found = re.fullmatch(r"/analysen/auftrag/([0-9a-f-]{36})/", response["Location"])
    assert found, response["Location"]
    return ImportJob.objects.get(pk=found.group(1))


def run_next() -> str:
    """Claim the oldest queued job and run it, as the worker does; returns its status."""
    claimed = worker.claim_next("test-worker")
    assert claimed is not None
    return worker.run_claimed(*claimed)


def test_the_form_queues_the_analysis_and_the_worker_runs_it(client, users, background):
    analyst = users["analyst"]
    client.force_login(analyst)
    form = index_form("Im Hintergrund", "kinderarmut", "sozialraum")
    job = queued(client, "/analysen/neu/index/", form)
    assert (job.kind, job.status, job.created_by) == ("analysis", Status.QUEUED, analyst)
    assert job.task["user"] == analyst.pk and job.task["run"]["method"] == "index"
    assert not Analysis.objects.filter(name="Im Hintergrund").exists()
    page_url, status_url = f"/analysen/auftrag/{job.pk}/", f"/analysen/auftrag/{job.pk}/status/"
    page = client.get(page_url).content.decode()
    assert 'data-status="queued"' in page and '<label for="job-progress">' in page
    assert 'role="status"' in page and "wartet auf den Hintergrundprozess" in page
    assert f'href="{page_url}" id="job-reload"' in page  # without JavaScript
    assert client.get(status_url).json()["status"] == "queued"

    assert run_next() == Status.DONE
    analysis = Analysis.objects.get(name="Im Hintergrund")
    assert analysis.created_by == analyst and analysis.level.key == "sozialraum"
    job.refresh_from_db()
    assert job.result == {"analysis": analysis.pk} and job.progress == 100
    state = client.get(status_url).json()
    assert state["status"] == "done" and state["result"] == f"/analysen/{analysis.pk}/"
    response = client.get(page_url)
    assert response.status_code == 302 and response["Location"] == f"/analysen/{analysis.pk}/"


def test_the_worker_reads_with_the_rights_of_who_submitted(
    client, users, statistik_steward, background
):
    client.force_login(users["analyst"])  # asks for unprotected values it may not see
    queued(client, "/analysen/neu/index/", index_form("Analyst", "kinderarmut", **UNPROTECTED))
    client.force_login(statistik_steward)
    form = index_form("Statistik", "ew_0_2", "sozialraum", **UNPROTECTED)
    queued(client, "/analysen/neu/index/", form)
    assert run_next() == Status.DONE and run_next() == Status.DONE
    protected = Analysis.objects.get(name="Analyst")
    hidden = hidden_codes(users["analyst"], "kinderarmut", "baublock")
    assert not protected.confidential and protected.result["secret"]["areas"] == len(hidden) > 0
    secret = Analysis.objects.get(name="Statistik")
    assert secret.confidential and secret.created_by == statistik_steward
    assert [i.key for i in secret.confidential_sources.all()] == ["ew_0_2"]


def test_only_the_submitter_and_administrators_see_the_job(client, users, background):
    client.force_login(users["analyst"])
    job = queued(client, "/analysen/neu/index/", index_form("Meins", "kinderarmut"))
    for role, status in [("steward", 404), ("admin", 200), ("analyst", 200)]:
        client.force_login(users[role])
        assert client.get(f"/analysen/auftrag/{job.pk}/").status_code == status, role
        assert client.get(f"/analysen/auftrag/{job.pk}/status/").status_code == status, role
    client.logout()
    assert client.get(f"/analysen/auftrag/{job.pk}/status/").status_code == 302  # to login
    # The import wizard does not show analysis jobs, not even to administrators.
    client.force_login(users["admin"])
    assert client.get(f"/import/vorgang/{job.pk}/").status_code == 404
    assert "Meins" not in client.get("/import/").content.decode()


def test_a_job_whose_worker_died_fails_with_a_message(client, users, background):
    client.force_login(users["analyst"])
    job = queued(client, "/analysen/neu/index/", index_form("Abgestürzt", "kinderarmut"))
    claimed, lock = worker.claim(job.pk, "dead-worker")
    lock.release()  # what the end of the worker's process does (kill -9 included)
    page = client.get(f"/analysen/auftrag/{job.pk}/").content.decode()
    assert 'data-status="failed"' in page and 'role="alert"' in page
    assert "Die Analyse wurde unterbrochen, weil der Hintergrundprozess beendet wurde" in page
    english = client.get(f"/analysen/auftrag/{job.pk}/status/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["status"] == "failed"
    assert english.json()["error"].startswith("The analysis was interrupted")
    assert not Analysis.objects.filter(name="Abgestürzt").exists()
    assert worker.claim_next() is None  # never run again


def test_a_failure_in_the_worker_is_shown_on_the_job_page(client, users, background):
    client.force_login(users["analyst"])
    queued(client, "/analysen/neu/index/", index_form("Doppelt", "kinderarmut"))
    client.force_login(users["steward"])  # may not take the analyst's name
    job = queued(client, "/analysen/neu/index/", index_form("Doppelt", "kinderarmut"))
    assert run_next() == Status.DONE and run_next() == Status.FAILED
    page = client.get(f"/analysen/auftrag/{job.pk}/").content.decode()
    assert "Die Analyse ist fehlgeschlagen" in page
    assert re.search(r'id="job-error">[^<]*gibt es schon', page), page
    assert Analysis.objects.filter(name="Doppelt").count() == 1


def test_a_rerun_is_queued_and_run_by_the_worker(client, users, background):
    client.force_login(users["analyst"])
    queued(client, "/analysen/neu/index/", index_form("Jährlich", "kinderarmut"))
    assert run_next() == Status.DONE
    first = Analysis.objects.get(name="Jährlich")
    assert first.period == P
    job = queued(client, f"/analysen/{first.pk}/neu-berechnen/", {"stichtag": "2023-12-31"})
    assert job.task["rerun"] == {"analysis": first.pk, "period": "2023-12-31"}
    assert run_next() == Status.DONE
    again = Analysis.objects.get(pk=ImportJob.objects.get(pk=job.pk).result["analysis"])
    assert again.name == "Jährlich" and again.period.isoformat() == "2023-12-31"


def test_the_worker_checks_the_rights_again_when_it_runs_the_job(client, users, background):
    analyst = users["analyst"]
    client.force_login(analyst)
    queued(client, "/analysen/neu/index/", index_form("Entzogen", "kinderarmut"))
    assert run_next() == Status.DONE
    first = Analysis.objects.get(name="Entzogen")
    rerun = queued(client, f"/analysen/{first.pk}/neu-berechnen/", {"stichtag": "2023-12-31"})
    Analysis.objects.filter(pk=first.pk).update(created_by=users["steward"])  # meanwhile
    later = queued(client, "/analysen/neu/index/", index_form("Später", "kinderarmut"))
    assert run_next() == Status.FAILED
    type(analyst).objects.filter(pk=analyst.pk).update(is_active=False)  # account closed
    assert run_next() == Status.FAILED
    rerun.refresh_from_db()
    later.refresh_from_db()
    assert rerun.error == "Nur wer die Analyse angelegt hat, kann sie neu berechnen."
    assert later.error.startswith("Das Benutzerkonto, das die Analyse gestartet hat")
    assert not Analysis.objects.filter(name="Später").exists()
    assert Analysis.objects.filter(name="Entzogen").count() == 1


def test_the_job_page_follows_the_analysis_step_by_step(client, users, background, monkeypatch):
    """Reading each input, computing and storing move the bar (issue 15), never backwards."""
    from quartier.imports import progress

    reported = []
    write = progress.Writer.__call__
    monkeypatch.setattr(
        progress.Writer, "__call__", lambda self, p, m: reported.append((p, m)) or write(self, p, m)
    )
    client.force_login(users["analyst"])
    form = index_form("Schritte", "kinderarmut", "sozialraum")
    keys = ["kinderarmut", "anteil_65plus", "anteil_migration"]
    form["indikatoren"] = keys
    for key in keys:
        form.update({f"richtung-{key}": "1", f"gewicht-{key}": "1"})
    job = queued(client, "/analysen/neu/index/", form)
    assert run_next() == Status.DONE, ImportJob.objects.get(pk=job.pk).error

    percents = [p for p, _ in reported]
    assert percents == sorted(percents) and percents[-1] >= 95  # the outcome says 100
    job.refresh_from_db()
    assert job.progress == 100
    messages = [m for _, m in reported]
    reading = [p for p, m in reported if m == "Die Werte werden gelesen …"]
    assert len(set(reading)) >= len(keys)  # one step per indicator read
    order = [m for i, m in enumerate(messages) if m not in messages[:i]]
    assert order[:3] == [
        "Die Werte werden gelesen …",
        "Die Analyse wird berechnet …",
        "Die Ergebnisse werden gespeichert …",
    ]


def test_reading_whole_series_moves_the_bar(users):
    """Segregation and need rules read series, not one Stichtag: each read is a step forward."""
    from quartier.analysis import progress
    from quartier.analysis.reading import Reader

    reported = []
    reader = Reader(users["analyst"])
    with progress.reporting(lambda percent, message: reported.append((percent, message))):
        reader.series("kinderarmut", "sozialraum")
        reader.series("anteil_65plus", "sozialraum")
    percents = [p for p, m in reported if m == progress.READING]
    assert len(percents) == 2 and progress.READ_FROM < percents[0] < percents[1] < progress.READ_TO
