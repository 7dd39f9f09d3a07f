"""Quartier's own files are private (0700 folders, 0600 files) whatever the umask.

Every test runs under umask 022, the common default that makes new files
world-readable (0644) unless the program says otherwise.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing

import pytest

from quartier.config import ensure_data_dir, ensure_private_database, load_config
from tests.clitools import free_port, fresh_installation, get, quartier, running
from tests.support.faults import modes, umask


@pytest.fixture(autouse=True)
def _umask_022():
    with umask(0o022):
        yield


def test_the_data_directory_is_created_0700(tmp_path):
    config = load_config({"QUARTIER_DATA_DIR": str(tmp_path / "neu" / "daten")})
    ensure_data_dir(config)
    assert modes(tmp_path / "neu")["daten"] == 0o700
    assert modes(tmp_path / "neu" / "daten") == {".": 0o700}  # the write probe is gone


def test_the_sqlite_file_is_created_0600_and_an_older_0644_one_tightened(tmp_path):
    config = load_config({"QUARTIER_DATA_DIR": str(tmp_path)})
    ensure_private_database(config)
    database = tmp_path / "quartier.sqlite3"
    assert modes(tmp_path)["quartier.sqlite3"] == 0o600
    with closing(sqlite3.connect(database)) as conn:  # an empty file is a valid database
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        assert modes(tmp_path)["quartier.sqlite3-wal"] == 0o600  # SQLite copies the mode

    os.chmod(database, 0o644)  # as an older version left it
    ensure_private_database(config)
    assert modes(tmp_path)["quartier.sqlite3"] == 0o600


@pytest.mark.slow
def test_an_installation_run_under_umask_022_keeps_its_files_private(tmp_path):
    """migrate, then serve: while the server runs, nothing in the data dir is readable to others."""
    with fresh_installation(tmp_path) as env:
        env.pop("QUARTIER_DATABASE_URL", None)  # the SQLite file is what this is about
        migrated = quartier("migrate", env=env)
        assert migrated.returncode == 0, migrated.stderr
        port = free_port()
        with running(["serve", "--port", str(port)], env) as (url, _):
            get(url)  # a request: SQLite opens its -wal and -shm files
            found = modes(tmp_path / "data")
    assert "quartier.sqlite3-wal" in found
    assert found.pop(".") == 0o700
    assert found == dict.fromkeys(found, 0o600), found
