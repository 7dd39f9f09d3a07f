"""``quartier serve`` as a subprocess that tests can kill, restart and look into.

Used by the fault tests: SIGKILL in the middle of a write (crash recovery) and a
database that goes away under a running server (outage). The helpers read the
installation's database directly (sqlite3 or psycopg), never through Django, because
the server owns that database, not the test run.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from tests.clitools import free_port

START_TIMEOUT = 240  # seconds; a bound for a hung start, not a measurement


class Server:
    """One ``quartier serve`` process; its output is collected line by line."""

    def __init__(
        self, env: dict, extra_env: dict | None = None, threads: int = 4, workers: int = 1
    ) -> None:
        self.env = {**env, **(extra_env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "quartier", "serve", "--port", str(self.port)]
            + ["--threads", str(threads), "--workers", str(workers)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(r"läuft auf http://")
        # The socket listens before the application is loaded (and has cleaned up after
        # a crash): an answer to a first request means it is ready.
        requests.get(f"{self.url}/favicon.ico", allow_redirects=False, timeout=START_TIMEOUT)

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def _find(self, pattern: str) -> str | None:
        return next((line for line in self.lines if re.search(pattern, line)), None)

    def wait_for(self, pattern: str, timeout: float = START_TIMEOUT) -> str:
        """The first output line matching ``pattern`` (fails if the process ends first)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._find(pattern) is None and self.proc.poll() is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(min(left, 1))
        self._reader.join(timeout=0 if self.proc.poll() is None else 10)
        found = self._find(pattern)
        if found is None:
            raise AssertionError(f"no line like {pattern!r} from the server:\n{self.output}")
        return found

    @property
    def output(self) -> str:
        """Everything the server printed so far."""
        return "".join(self.lines)

    def kill(self) -> None:
        """SIGKILL: no cleanup, no atexit, no closing of connections by Python."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """End the server if it still runs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def login(server: Server, username: str, password: str) -> requests.Session:
    """A browser-like session signed in through the login form."""
    session = requests.Session()
    session.get(f"{server.url}/anmelden/", timeout=60)
    response = session.post(
        f"{server.url}/anmelden/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf(session)},
        timeout=60,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def follow(server: Server, session, job: str, limit: float = START_TIMEOUT) -> dict:
    """Poll a job's status (``{job}status/``) on ``server`` until it has ended; the last answer.

    ``limit`` bounds a hung worker; it is not a measurement.
    """
    deadline = time.monotonic() + limit
    while True:
        state = session.get(f"{server.url}{job}status/", timeout=60).json()
        if state["status"] not in ("queued", "running"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.3)


def csrf(session: requests.Session) -> str:
    """The CSRF token to send with a form."""
    return session.cookies["csrftoken"]


def database_path(env: dict) -> Path:
    """The SQLite file of an installation without QUARTIER_DATABASE_URL."""
    return Path(env["QUARTIER_DATA_DIR"]) / "quartier.sqlite3"


def uses_postgres(env: dict) -> bool:
    """Whether the installation's database is PostgreSQL."""
    return env.get("QUARTIER_DATABASE_URL", "").startswith("postgres")


def query(env: dict, sql: str) -> list[tuple]:
    """Rows of ``sql`` in the installation's database (a separate connection)."""
    if uses_postgres(env):
        import psycopg

        with psycopg.connect(env["QUARTIER_DATABASE_URL"], autocommit=True) as conn:
            return conn.execute(sql).fetchall()
    with sqlite3.connect(database_path(env), timeout=20) as conn:
        return conn.execute(sql).fetchall()


def write_transaction_open(env: dict) -> bool:
    """Whether some session holds an open write transaction on the installation's database.

    PostgreSQL: a session is idle in a transaction. SQLite: the write lock is taken
    (a new write transaction cannot start at once).
    """
    if uses_postgres(env):
        rows = query(
            env,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state = 'idle in transaction' AND pid <> pg_backend_pid()",
        )
        return rows[0][0] > 0
    conn = sqlite3.connect(database_path(env), timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc)
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()
