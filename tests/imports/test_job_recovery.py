"""Import jobs whose server process died: recognised by their free run lock, failed, cleaned up."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection

from quartier.imports import jobs, worker
from quartier.imports.models import ImportJob
from quartier.imports.runlock import RunLock

pytestmark = pytest.mark.django_db


def running_job(user) -> ImportJob:
    job = jobs.create_job(ImportJob.Kind.TABLE, [("tabelle.csv", b"schluessel;wert\n")], user)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    return job


def test_a_job_is_failed_only_once_its_runner_is_gone(users):
    job = running_job(users["admin"])
    holding, done = threading.Event(), threading.Event()

    def runner():  # another process's runner: its own lock (and own database session)
        lock = RunLock(job.pk, jobs.lock_folder())
        try:
            lock.acquire()
            holding.set()
            done.wait(60)
            lock.release()
        finally:
            connection.close()

    thread = threading.Thread(target=runner)
    thread.start()
    try:
        assert holding.wait(60)
        assert jobs.recover_stranded() == 0
        job.refresh_from_db()
        assert job.status == ImportJob.Status.RUNNING and Path(job.workdir).exists()
    finally:
        done.set()
        thread.join(60)
    assert jobs.recover_stranded() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == jobs.INTERRUPTED
    assert not Path(job.workdir).exists()


def test_the_job_page_fails_a_stranded_job_and_it_can_be_cancelled(client, users):
    job = running_job(users["admin"])
    client.force_login(users["admin"])
    assert client.get(f"/import/vorgang/{job.pk}/status/").json()["status"] == "failed"
    assert (
        "Der Import wurde unterbrochen" in client.get(f"/import/vorgang/{job.pk}/").content.decode()
    )
    client.post(f"/import/vorgang/{job.pk}/abbrechen/")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED


def test_files_of_finished_jobs_left_by_a_killed_process_are_removed(users):
    job = jobs.create_job(
        ImportJob.Kind.TABLE, [("tabelle.csv", b"schluessel;wert\n")], users["admin"]
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    jobs.recover_on_start()
    assert not Path(job.workdir).exists()


def test_a_job_committed_twice_runs_once(users, settings):
    settings.QUARTIER_IMPORTS_IN_BACKGROUND = True  # queued for a worker, run here below
    job = jobs.create_job(
        ImportJob.Kind.TABLE, [("tabelle.csv", b"schluessel;wert\n")], users["admin"]
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CHECKED)
    calls = []

    def work(progress):
        calls.append(1)
        return {"ok": True}

    assert worker.submit(job, users["admin"])
    assert not worker.submit(job, users["admin"])  # a second click on "Übernehmen"
    worker.run_claimed(*worker.claim(job.pk), work=work)
    assert worker.claim_next() is None
    job.refresh_from_db()
    assert calls == [1] and job.status == ImportJob.Status.DONE and job.result == {"ok": True}


def test_a_unique_violation_in_an_import_is_explained(users):
    from quartier.indicators.models import Indicator

    job = jobs.create_job(ImportJob.Kind.TABLE, [("tabelle.csv", b"a;b\n")], users["admin"])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CHECKED)

    def work(progress):  # as if another import had just committed the same indicator
        Indicator.objects.create(key="ew_gesamt", name="Doppelt", kind="count")
        return {}

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    worker.run_claimed(*worker.claim(job.pk), work=work)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.error == jobs.CONCURRENT
