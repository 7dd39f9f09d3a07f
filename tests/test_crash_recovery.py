"""Fault injection: ``quartier serve`` killed with SIGKILL in the middle of a write, then restarted.

The server runs as a subprocess on its own installation (SQLite file, or its own
PostgreSQL database when QUARTIER_DATABASE_URL is set). A pause point
(:mod:`quartier.testhooks`) holds the server inside the write; the test checks that a
write transaction is really open, kills the process, starts a new one and checks
what a crash must not leave behind: no partial batch, no orphaned indicator, no
job left running, no upload on disk.
"""

from __future__ import annotations

import contextlib
import re
import threading
from pathlib import Path

import pytest
import requests

from quartier.testhooks import ANNOUNCEMENT, VARIABLE
from tests.clitools import small_demo
from tests.support.serverproc import (
    Server,
    csrf,
    follow,
    login,
    query,
    write_transaction_open,
)

pytestmark = pytest.mark.slow


def small_installation(cli_env: dict) -> tuple[dict, str]:
    """A small Musterstadt in the fresh installation ``cli_env``; returns (env, admin password).

    The server runs with the production settings (imports in the background), not
    with the test settings pytest-django puts into the environment.
    """
    env = {k: v for k, v in cli_env.items() if k != "DJANGO_SETTINGS_MODULE"}
    built = small_demo(env)
    assert built.returncode == 0, built.stderr
    password = re.search(r"Anmeldung: admin / (\S+)", built.stdout).group(1)
    return env, password


@pytest.fixture
def installation(cli_env):
    """A small Musterstadt in a fresh installation of its own (see small_installation)."""
    return small_installation(cli_env)


def count(env, sql: str) -> int:
    return query(env, sql)[0][0]


def killed_at(point: str, env: dict, password: str, action) -> tuple[bool, str]:
    """Start a server that pauses at ``point``, run ``action(server, session)`` until it
    pauses there, kill the server; returns (write transaction was open, server output)."""
    server = Server(env, {VARIABLE: point})
    try:
        session = login(server, "admin", password)
        action(server, session)
        server.wait_for(f"{ANNOUNCEMENT} {point}")
        in_transaction = write_transaction_open(env)
        server.kill()
        return in_transaction, server.output
    finally:
        server.stop()


def stadtteil_codes(env) -> list[str]:
    return [
        row[0]
        for row in query(
            env,
            "SELECT DISTINCT a.code FROM spatial_area a JOIN spatial_level l"
            " ON a.level_id = l.id WHERE l.key = 'stadtteil' ORDER BY a.code",
        )
    ]


def start_table_import(env):
    """Upload a table, map its column to a new indicator, check it and press commit."""
    rows = "\n".join(f"{code};{i + 1}" for i, code in enumerate(stadtteil_codes(env)))
    table = f"schluessel;faelle\n{rows}\n".encode()

    def action(server, session):
        response = session.post(
            f"{server.url}/import/tabelle/",
            data={"csrfmiddlewaretoken": csrf(session)},
            files={"dateien": ("absturz.csv", table, "text/csv")},
            allow_redirects=False,
            timeout=60,
        )
        assert response.status_code == 302, response.text[:500]
        job = response.headers["Location"]
        form = {
            "csrfmiddlewaretoken": csrf(session),
            "layout": "wide",
            "schluessel": "schluessel",
            "ebene": "stadtteil",
            "stichtag_art": "fest",
            "stichtag": "2024-12-31",
            "spalte-1-ziel": "neu:count",
            "spalte-1-name": "Absturztest",
        }
        response = session.post(
            f"{server.url}{job}tabelle-pruefen/", data=form, allow_redirects=False, timeout=60
        )
        assert response.status_code == 302, response.text[:2000]
        response = session.post(
            f"{server.url}{job}uebernehmen/",
            data={"csrfmiddlewaretoken": csrf(session), "warnungen_akzeptiert": "ja"},
            allow_redirects=False,
            timeout=60,
        )
        assert response.status_code == 302, response.text[:500]

    return action


def test_import_killed_during_commit_leaves_nothing_behind(installation):
    env, password = installation
    batches = count(env, "SELECT count(*) FROM indicators_importbatch")
    action = start_table_import(env)
    in_transaction, _output = killed_at("import-commit", env, password, action)
    server = Server(env)
    try:
        jobs = query(env, "SELECT status, error FROM imports_importjob")
        assert [status for status, _error in jobs] == ["failed"], jobs
        assert "unterbrochen" in jobs[0][1]
        assert count(env, "SELECT count(*) FROM indicators_importbatch") == batches
        assert (
            count(env, "SELECT count(*) FROM indicators_indicator WHERE name = 'Absturztest'") == 0
        )
        uploads = Path(env["QUARTIER_DATA_DIR"]) / "uploads"
        assert not uploads.exists() or list(uploads.iterdir()) == []
        session = login(server, "admin", password)
        job_id = query(env, "SELECT id FROM imports_importjob")[0][0]
        page = session.get(f"{server.url}/import/vorgang/{_uuid(job_id)}/", timeout=60).text
        assert "Der Import wurde unterbrochen" in page
    finally:
        server.stop()
    assert in_transaction, "the kill did not hit an open write transaction"


def test_a_second_server_leaves_a_running_import_alone(installation):
    """Several server processes may share a database: one starting up (or showing the
    job) must not fail an import that another, live process is committing."""
    env, password = installation
    first = Server(env, {VARIABLE: "import-commit"})
    second = None
    try:
        # One session for both servers (same database): on SQLite a new login would wait
        # for the paused import's write lock.
        session = login(first, "admin", password)
        start_table_import(env)(first, session)
        first.wait_for(f"{ANNOUNCEMENT} import-commit")
        second = Server(env)  # its start-up check runs while the import is under way
        job_id = _uuid(query(env, "SELECT id FROM imports_importjob")[0][0])
        page = session.get(f"{second.url}/import/vorgang/{job_id}/", timeout=60).text
        assert "unterbrochen" not in page
        assert query(env, "SELECT status FROM imports_importjob") == [("running",)]
        uploads = Path(env["QUARTIER_DATA_DIR"]) / "uploads"
        assert [p.name for p in uploads.iterdir()] == [job_id]
        first.kill()
        # Now the runner is gone: the next look at the job tells so, and its files go.
        page = session.get(f"{second.url}/import/vorgang/{job_id}/", timeout=60).text
        assert "Der Import wurde unterbrochen" in page
        assert query(env, "SELECT status FROM imports_importjob") == [("failed",)]
        assert list(uploads.iterdir()) == []
    finally:
        first.stop()
        if second is not None:
            second.stop()


def _uuid(value) -> str:
    """A job id as it appears in URLs (SQLite stores the hex digits only)."""
    import uuid

    return str(uuid.UUID(str(value)))


ANALYSIS = {
    "name": "Absturztest",
    "ebene": "stadtteil",
    "stichtag": "2024-12-31",
    "indikatoren": ["sgb2_u15", "ew_gesamt"],
    "methode": "kmeans",
    "k": "3",
}


def run_analysis(server, session, timeout=600) -> requests.Response:
    """Submit a typology through the analysis form."""
    return session.post(
        f"{server.url}/analysen/neu/typology/",
        data={"csrfmiddlewaretoken": csrf(session), **ANALYSIS},
        allow_redirects=False,
        timeout=timeout,
    )


def start_analysis(server, session):
    """Submit the typology in the background: the request never returns (the server pauses)."""

    def post():
        # The server is killed while this request waits.
        with contextlib.suppress(requests.RequestException):
            run_analysis(server, session)

    threading.Thread(target=post, daemon=True).start()


def test_analysis_killed_while_saving_leaves_no_result(installation):
    env, password = installation
    batches = count(env, "SELECT count(*) FROM indicators_importbatch")
    indicators = count(env, "SELECT count(*) FROM indicators_indicator")
    in_transaction, _output = killed_at("analysis-save", env, password, start_analysis)
    server = Server(env)
    try:
        assert count(env, "SELECT count(*) FROM indicators_indicator") == indicators
        assert count(env, "SELECT count(*) FROM indicators_importbatch") == batches
        assert count(env, "SELECT count(*) FROM analysis_analysis") == 0
        # The same analysis runs after the restart: nothing stale stands in its way.
        session = login(server, "admin", password)
        response = run_analysis(server, session)
        assert response.status_code == 302, response.text[:1000]
        # The server's own worker runs it (the killed one is gone with its server).
        state = follow(server, session, response.headers["Location"])
        assert state["status"] == "done", state
        assert count(env, "SELECT count(*) FROM analysis_analysis") == 1
    finally:
        server.stop()
    assert in_transaction, "the kill did not hit an open write transaction"
