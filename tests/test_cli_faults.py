"""The ``quartier`` command on a full disk and on a database nobody migrated: one line, exit 2.

The full disk is SQLite's own: ``python -m tests.support.faults PAGES …`` limits the
database to PAGES pages, and SQLite fails as on a full disk (SQLITE_FULL, "database
or disk is full"). These runs use SQLite on both suites, since the fault is the file's.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from tests.clitools import assert_one_line_error, free_port, quartier
from tests.support.faults import REPO

pytestmark = pytest.mark.slow


def on_full_disk(pages: int, *args, env):
    """Run ``quartier ARGS`` with the SQLite database limited to ``pages`` pages."""
    return subprocess.run(
        [sys.executable, "-m", "tests.support.faults", str(pages), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def sqlite_env(cli_env):
    cli_env.pop("QUARTIER_DATABASE_URL", None)
    return cli_env


def test_migrate_on_a_full_disk_says_so_in_one_line(sqlite_env):
    message = assert_one_line_error(on_full_disk(30, "migrate", env=sqlite_env))
    assert "Datenträger" in message and "voll" in message


def test_demo_on_a_full_disk_says_so_in_one_line(sqlite_env, tmp_path):
    assert quartier("migrate", env=sqlite_env).returncode == 0
    with closing(sqlite3.connect(tmp_path / "data" / "quartier.sqlite3")) as conn:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
    # Room for the tables, not for Musterstadt's values.
    result = on_full_disk(pages + 50, "demo", "--no-serve", "--small", env=sqlite_env)
    message = assert_one_line_error(result)
    assert "Datenträger" in message and "voll" in message


@pytest.mark.parametrize("command", [["serve", "--port", "PORT"], ["batches"]])
def test_commands_on_an_unmigrated_database_ask_for_migrate(cli_env, command):
    """Instead of a server that answers 500 everywhere: refuse to start, say what to do."""
    args = [str(free_port()) if arg == "PORT" else arg for arg in command]
    try:
        result = quartier(*args, env=cli_env, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("quartier serve started on a database without tables")
    assert "quartier migrate" in assert_one_line_error(result)
