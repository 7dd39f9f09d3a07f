"""A cheaper end-of-test foreign key check for the SQLite suite.

Django's ``TestCase`` checks every deferred foreign key at the end of each test
(``check_constraints()``); on SQLite that is ``PRAGMA foreign_key_check`` over the
whole database, which reads Musterstadt's 1.6 million values every time: half a
second per test, minutes per suite. This check is the same for every table but
the values, and for the values it looks only at what a test can have broken:

* rows added during the test (ids above the mark taken after loading), each
  foreign key checked against its table;
* if a row that existed after loading was deleted from a table the values point
  to (the table has fewer rows up to its mark), every value, by the full pragma.

Not covered: a test that points an existing value at a missing row by an UPDATE
(the PostgreSQL run, which checks every deferred constraint, still catches it).
"""

from __future__ import annotations

from django.db import IntegrityError
from django.db.backends.sqlite3.base import DatabaseWrapper

_VALUES = "indicators_value"


def install(connection) -> None:
    """Use the cheaper check for ``connection``'s database (SQLite only; call after loading)."""
    if connection.vendor != "sqlite":
        return
    from quartier.indicators.models import Value

    keys = [
        (f.column, f.related_model._meta.db_table, f.related_model._meta.pk.column)
        for f in Value._meta.concrete_fields
        if f.is_relation
    ]
    with connection.cursor() as cursor:
        mark = cursor.execute(f"SELECT coalesce(max(id), 0) FROM {_VALUES}").fetchone()[0]
        parents = {}
        for _column, table, pk in keys:
            top, count = cursor.execute(
                f"SELECT coalesce(max({pk}), 0), count(*) FROM {table}"
            ).fetchone()
            parents[table] = (pk, top, count)
    original = DatabaseWrapper.check_constraints

    def check_constraints(self, table_names=None):
        if (
            table_names is not None
            or self.settings_dict["NAME"] != connection.settings_dict["NAME"]
        ):
            return original(self, table_names)
        tables = [t for t in self.introspection.table_names() if t != _VALUES]
        original(self, tables)
        with self.cursor() as cursor:
            for table, (pk, top, count) in parents.items():
                left = cursor.execute(f"SELECT count(*) FROM {table} WHERE {pk} <= %s", [top])
                if left.fetchone()[0] != count:  # a row the old values may point to is gone
                    return original(self, [_VALUES])
            for column, table, pk in keys:
                bad = cursor.execute(
                    f"SELECT id, {column} FROM {_VALUES} v WHERE v.id > %s AND {column} IS NOT NULL"
                    f" AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p.{pk} = v.{column})",
                    [mark],
                ).fetchone()
                if bad is not None:
                    raise IntegrityError(
                        f"The row in table '{_VALUES}' with primary key '{bad[0]}' has an invalid "
                        f"foreign key: {_VALUES}.{column} contains a value '{bad[1]}' that does "
                        f"not have a corresponding value in {table}.{pk}."
                    )

    DatabaseWrapper.check_constraints = check_constraints
