"""Reading the database of an installation that a test runs as subprocesses."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def rows(env: dict, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of ``sql`` (with %s placeholders) in the database of the installation ``env``."""
    url = env.get("QUARTIER_DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as conn:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]
    path = Path(env["QUARTIER_DATA_DIR"]) / "quartier.sqlite3"
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql.replace("%s", "?"), params).fetchall()


def audit_ips(env: dict, action: str, username: str) -> list[str]:
    """Client addresses of the audit entries of ``action`` for ``username``, oldest first."""
    found = rows(
        env,
        "SELECT ip FROM access_auditentry WHERE action = %s AND username = %s ORDER BY id",
        (action, username),
    )
    return [str(ip) for (ip,) in found]
