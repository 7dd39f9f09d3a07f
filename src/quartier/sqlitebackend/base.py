"""Django's SQLite backend whose kept connections notice a database file that went away.

Server threads keep their connection for a minute (opening the file with its
PRAGMAs cost more than a small answer). An open SQLite connection goes on
reading the file it opened, even after the file was moved, its folder unmounted
or a restored copy put in its place. So before a request reuses a connection,
the health check compares the file at the configured path with the one opened
(device and inode): if it is gone or another file, the connection is closed and
a new one opened — which fails with a 503 while the database is away
(:mod:`quartier.unavailable`), and reads the restored file afterwards.
"""

from __future__ import annotations

import os

from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper


def _identity(path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``, or None if there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class DatabaseWrapper(SQLiteDatabaseWrapper):
    """SQLite with a health check: the connection's file is still the configured one."""

    def get_new_connection(self, conn_params):
        """Open the database and note which file it is."""
        connection = super().get_new_connection(conn_params)
        self._opened_file = _identity(self.settings_dict["NAME"])
        return connection

    def is_usable(self) -> bool:
        """True while the configured path still names the file this connection opened."""
        opened = getattr(self, "_opened_file", None)
        return opened is not None and _identity(self.settings_dict["NAME"]) == opened
