"""The import queue: a queued job is claimed by exactly one worker; progress is visible to all."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from quartier.imports import jobs, progress, worker
from quartier.imports.models import ImportJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def background(settings):
    """Jobs are queued for a worker instead of running in the request."""
    settings.QUARTIER_IMPORTS_IN_BACKGROUND = True


def queued_job(user) -> ImportJob:
    job = jobs.create_job(ImportJob.Kind.TABLE, [("tabelle.csv", b"schluessel;wert\n")], user)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CHECKED)
    assert worker.submit(job, user, accept_warnings=True)
    job.refresh_from_db()
    return job


def test_submit_queues_the_job_with_what_the_worker_needs(users, background):
    job = queued_job(users["admin"])
    assert job.status == ImportJob.Status.QUEUED
    assert job.task["user"] == users["admin"].pk and job.task["accept_warnings"] is True


def test_a_claimed_job_cannot_be_claimed_again(users, background):
    job = queued_job(users["admin"])
    claimed, lock = worker.claim_next("worker-a")
    assert claimed.pk == job.pk and claimed.status == ImportJob.Status.RUNNING
    assert claimed.worker == "worker-a"
    assert worker.claim(job.pk, "worker-b") is None
    assert worker.claim_next("worker-b") is None
    worker.run_claimed(claimed, lock, work=lambda report: {"ok": True})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.result == {"ok": True}
    assert job.progress == 100


def test_a_job_whose_lock_another_worker_holds_is_not_claimed(users, background):
    """A second worker (own session, own lock) holding the job's run lock keeps it."""
    job = queued_job(users["admin"])
    holding, done = threading.Event(), threading.Event()

    def other_worker():
        lock = worker.RunLock(job.pk, jobs.lock_folder())
        try:
            lock.acquire()
            holding.set()
            done.wait(60)
            lock.release()
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(60)
        assert worker.claim_next("worker-b") is None
    finally:
        done.set()
        thread.join(60)
    assert worker.claim_next("worker-b") is not None


def test_progress_reported_during_the_work_is_read_back(users, background):
    job = queued_job(users["admin"])
    claimed, lock = worker.claim(job.pk)
    seen = []

    def work(report):
        report(42, "Werte werden gespeichert")
        if connection.vendor != "postgresql":  # PostgreSQL: in the row, see the server test
            seen.append(jobs.progress(ImportJob.objects.get(pk=job.pk)))
        return {}

    worker.run_claimed(claimed, lock, work=work)
    if seen:
        assert seen[0]["percent"] == 42 and seen[0]["message"] == "Werte werden gespeichert"
    job.refresh_from_db()
    assert jobs.progress(job)["percent"] == 100
    assert not (progress.folder() / f"{job.pk}.json").exists()  # forgotten once ended


def test_a_queued_job_can_be_cancelled_and_is_then_never_run(client, users, background):
    job = queued_job(users["admin"])
    client.force_login(users["admin"])
    client.post(f"/import/vorgang/{job.pk}/abbrechen/")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert worker.claim_next() is None


def test_the_progress_page_of_a_queued_job_polls(client, users, background):
    job = queued_job(users["admin"])
    client.force_login(users["admin"])
    page = client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert 'data-status="queued"' in page and "wartet auf den Hintergrundprozess" in page
    assert client.get(f"/import/vorgang/{job.pk}/status/").json()["status"] == "queued"
