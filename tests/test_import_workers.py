"""Imports and analyses outside the web processes: two servers and a ``quartier worker``.

An import (or an analysis) is started through the wizard (the form) on server A, run by
the worker, and followed to its end through server B. A worker killed with SIGKILL in the
middle of a job leaves a job that is failed with a message, and nothing of it in the
database.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from quartier.testhooks import ANNOUNCEMENT, VARIABLE
from tests.clitools import fresh_installation
from tests.support.serverproc import Server, csrf, follow, login, query, write_transaction_open
from tests.test_crash_recovery import ANALYSIS, count, small_installation, start_table_import

pytestmark = pytest.mark.slow
LIMIT = 240  # seconds; a bound for a hung worker, not a measurement


class Worker:
    """One ``quartier worker`` process; its output is collected."""

    def __init__(self, env: dict, extra_env: dict | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "quartier", "worker"],
            env={**env, **(extra_env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + LIMIT
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.1)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Servers A and B on one small Musterstadt, shared by this module's tests.

    Returns (env, admin password, server A, server B). Only the workers a test starts
    run jobs (QUARTIER_START_WORKER=0). Neither test needs new servers: each counts
    what it changes against what was there before, and every job of a test has ended
    (done or failed) when it returns. Starting a server costs seconds of CPU (Django,
    the URL configuration, mapclassify); two fewer per module.
    """
    with fresh_installation(tmp_path_factory.mktemp("workers")) as cli_env:
        env, password = small_installation(cli_env)
        env = {**env, "QUARTIER_START_WORKER": "0"}
        started = []
        try:
            started.append(Server(env))
            started.append(Server(env))
            yield env, password, *started
        finally:
            for server in started:
                server.stop()


def started_import(env, server, session) -> str:
    """Start a table import through the wizard on ``server``; returns the job's path."""
    start_table_import(env)(server, session)
    job_id = query(env, "SELECT id FROM imports_importjob ORDER BY created_at DESC")[0][0]
    return f"/import/vorgang/{uuid.UUID(str(job_id))}/"


def test_imports_run_in_a_worker_process_and_survive_its_kill(servers):
    env, password, server_a, server_b = servers  # only the workers below run imports
    batches = count(env, "SELECT count(*) FROM indicators_importbatch")
    workers = []
    try:
        session_a = login(server_a, "admin", password)
        session_b = login(server_b, "admin", password)
        # 1. The worker is killed in the middle of the import's write transaction.
        paused = Worker(env, {VARIABLE: "import-commit"})
        workers.append(paused)
        job = started_import(env, server_a, session_a)
        paused.wait_for(f"{ANNOUNCEMENT} import-commit")
        # The worker's progress, reported inside its open transaction, reaches server B.
        state = session_b.get(f"{server_b.url}{job}status/", timeout=60).json()
        assert state["status"] == "running" and state["percent"] == 60, state
        assert "Werte werden gespeichert" in state["message"], state
        assert write_transaction_open(env), "the kill must hit an open write transaction"
        paused.kill()
        state = follow(server_b, session_b, job, LIMIT)
        assert state["status"] == "failed", state
        assert "Hintergrundprozess beendet" in state["error"]
        assert count(env, "SELECT count(*) FROM indicators_importbatch") == batches
        page = session_a.get(f"{server_a.url}{job}", timeout=60).text
        assert "Der Import wurde unterbrochen" in page
        # 2. Started on server A, run by a (new) worker, followed to the end on server B.
        workers.append(Worker(env))
        job = started_import(env, server_a, session_a)
        state = follow(server_b, session_b, job, LIMIT)
        assert state == {**state, "status": "done", "percent": 100}, state
        assert count(env, "SELECT count(*) FROM indicators_importbatch") == batches + 1
        page = session_b.get(f"{server_b.url}{job}", timeout=60).text
        assert re.search(r"Importlauf \d+: \d+ neue Werte", page), page[:2000]
    finally:
        for process in workers:
            process.stop()


def started_analysis(server, session, name: str) -> str:
    """Submit a typology through the analysis form on ``server``; returns its job's path."""
    response = session.post(
        f"{server.url}/analysen/neu/typology/",
        data={"csrfmiddlewaretoken": csrf(session), **ANALYSIS, "name": name},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:1000]
    assert response.headers["Location"].startswith("/analysen/auftrag/"), response.headers
    return response.headers["Location"]


def test_analyses_run_in_a_worker_process_and_survive_its_kill(servers):
    env, password, server_a, server_b = servers  # only the workers below run jobs
    analyses = count(env, "SELECT count(*) FROM analysis_analysis")
    workers = []
    try:
        session_a = login(server_a, "admin", password)
        session_b = login(server_b, "admin", password)
        # 1. The worker is killed while it saves the analysis.
        paused = Worker(env, {VARIABLE: "analysis-save"})
        workers.append(paused)
        job = started_analysis(server_a, session_a, "Abgebrochen")
        paused.wait_for(f"{ANNOUNCEMENT} analysis-save")
        state = session_b.get(f"{server_b.url}{job}status/", timeout=60).json()
        assert state["status"] == "running", state
        assert write_transaction_open(env), "the kill must hit an open write transaction"
        paused.kill()
        state = follow(server_b, session_b, job, LIMIT)
        assert state["status"] == "failed", state
        assert "Hintergrundprozess beendet" in state["error"]
        assert count(env, "SELECT count(*) FROM analysis_analysis") == analyses
        page = session_a.get(f"{server_a.url}{job}", timeout=60).text
        assert "Die Analyse wurde unterbrochen" in page
        # 2. Started on server A, run by a (new) worker, its result shown by server B.
        workers.append(Worker(env))
        job = started_analysis(server_a, session_a, "Im Hintergrund")
        state = follow(server_b, session_b, job, LIMIT)
        assert state["status"] == "done" and state["percent"] == 100, state
        assert count(env, "SELECT count(*) FROM analysis_analysis") == analyses + 1
        page = session_b.get(f"{server_b.url}{job}", timeout=60)  # leads to the result
        assert page.url == f"{server_b.url}{state['result']}"
        assert "<h1>Im Hintergrund</h1>" in page.text
    finally:
        for process in workers:
            process.stop()
