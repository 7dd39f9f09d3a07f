"""Kept SQLite connections notice a database file that was moved or replaced (sqlitebackend)."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from django.db.utils import ConnectionHandler

from quartier.config import database_settings


@pytest.fixture(autouse=True)
def _own_files(django_db_blocker):
    """These tests open SQLite files of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


def _connection(path):
    settings = database_settings(f"sqlite:///{path}")
    assert settings["ENGINE"] == "quartier.sqlitebackend"
    assert settings["CONN_MAX_AGE"] > 0 and settings["CONN_HEALTH_CHECKS"]
    return ConnectionHandler({"default": settings})["default"]


def _answer(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM t")
        return cursor.fetchone()[0]


def _database(path, n: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (n INTEGER)")
        db.execute("INSERT INTO t VALUES (?)", [n])


def test_a_kept_connection_stays_usable_while_the_file_is_there(tmp_path):
    _database(tmp_path / "q.sqlite3", 1)
    connection = _connection(tmp_path / "q.sqlite3")
    try:
        assert _answer(connection) == 1
        assert connection.is_usable()
    finally:
        connection.close()


def test_a_moved_folder_makes_the_kept_connection_unusable(tmp_path):
    folder = tmp_path / "datenbank"
    folder.mkdir()
    _database(folder / "q.sqlite3", 1)
    connection = _connection(folder / "q.sqlite3")
    try:
        assert _answer(connection) == 1
        shutil.move(folder, tmp_path / "weg")
        # Django's own SQLite connection would go on reading the moved file.
        assert not connection.is_usable()
    finally:
        connection.close()


def test_a_restored_copy_is_read_after_the_health_check(tmp_path):
    path = tmp_path / "q.sqlite3"
    _database(path, 1)
    _database(tmp_path / "backup.sqlite3", 2)
    connection = _connection(path)
    try:
        assert _answer(connection) == 1
        shutil.move(tmp_path / "backup.sqlite3", path)  # a restore: another file at the path
        connection.close_if_unusable_or_obsolete()  # as at the start of the next request
        assert _answer(connection) == 2
    finally:
        connection.close()
