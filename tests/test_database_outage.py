"""The database goes away under a running ``quartier serve``, and comes back.

Every interface answers 503 in its own format (page, API JSON, OGC exception)
with a ``Retry-After`` header, and the first requests after the database is back
succeed without a restart. PostgreSQL is taken away by a TCP proxy between server
and database that the test switches off; its sessions are also ended with
``pg_terminate_backend`` as a database restart would. SQLite is taken away by
moving the database's folder (a lost mount).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.clitools import quartier
from tests.support.serverproc import Server, query, uses_postgres
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.slow

PATHS = {"page": "/", "api": "/api/v1/indicators/", "ogc": "/ogc/collections"}


class Outage:
    """An installation (production settings) whose database can be taken away."""

    def __init__(self, env: dict, tmp_path: Path) -> None:
        self.env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
        self.proxy = None
        if uses_postgres(self.env):
            self.direct = self.env["QUARTIER_DATABASE_URL"]
            parts = urlsplit(self.direct)
            self.proxy = TcpProxy((parts.hostname, parts.port or 5432))
            netloc = parts.netloc.replace(
                f"{parts.hostname}:{parts.port or 5432}", f"127.0.0.1:{self.proxy.port}"
            )
            self.env["QUARTIER_DATABASE_URL"] = parts._replace(netloc=netloc).geturl()
        else:
            self.folder = tmp_path / "datenbank"
            self.folder.mkdir()
            self.env["QUARTIER_DATABASE_URL"] = f"sqlite:///{self.folder / 'quartier.sqlite3'}"
        migrated = quartier("migrate", env=self.env)
        assert migrated.returncode == 0, migrated.stderr

    def begin(self) -> None:
        """The database becomes unreachable."""
        if self.proxy is not None:
            self.proxy.down()
        else:
            shutil.move(self.folder, self.folder.with_name("weg"))

    def end(self) -> None:
        """The database is back."""
        if self.proxy is not None:
            self.proxy.up()
        else:
            shutil.move(self.folder.with_name("weg"), self.folder)

    def close(self) -> None:
        """Stop forwarding."""
        if self.proxy is not None:
            self.proxy.down()


@pytest.fixture
def outage(cli_env, tmp_path):
    installation = Outage(cli_env, tmp_path)
    yield installation
    installation.close()


def get(server: Server, path: str) -> requests.Response:
    return requests.get(server.url + path, timeout=120, allow_redirects=False)


def test_every_interface_answers_503_and_recovers_without_restart(outage):
    server = Server(outage.env, threads=1)
    try:
        for path in PATHS.values():
            assert get(server, path).status_code == 200, path
        outage.begin()
        page, api, ogc = (get(server, path) for path in PATHS.values())
        for response in (page, api, ogc):
            assert response.status_code == 503, (response.url, response.text[:300])
            assert int(response.headers["Retry-After"]) > 0
        assert page.headers["Content-Type"].startswith("text/html")
        assert "Die Datenbank ist gerade nicht erreichbar" in page.text
        assert "The database" in page.text
        assert set(api.json()) == {"error"}
        assert "Datenbank" in api.json()["error"] and "database" in api.json()["error"]
        assert ogc.json()["code"] == "ServiceUnavailable"
        assert "Datenbank" in ogc.json()["description"]
        outage.end()
        for path in PATHS.values():
            assert get(server, path).status_code == 200, path
    finally:
        server.stop()


def test_connections_ended_by_a_database_restart_are_replaced(outage):
    """PostgreSQL ends every session (as on its restart): the next request still works."""
    if outage.proxy is None:
        pytest.skip("PostgreSQL only (SQLite: tests/test_sqlite_backend.py)")
    server = Server(outage.env, threads=1)
    try:
        assert get(server, PATHS["page"]).status_code == 200
        name = urlsplit(outage.direct).path.lstrip("/")
        ended = query(
            {"QUARTIER_DATABASE_URL": outage.direct},
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            f" WHERE datname = '{name}' AND pid <> pg_backend_pid()",
        )
        assert ended[0][0] >= 1  # the server's idle, persistent connection
        for path in PATHS.values():
            response = get(server, path)
            assert response.status_code == 200, (path, response.text[:300])
    finally:
        server.stop()
