"""Loading a large, new set of values at once (the Musterstadt into a fresh database).

PostgreSQL checks each foreign key of each inserted row with a trigger at commit: for
the demo's 1.6 million values and three foreign keys that is about 5 million lookups,
18 s of the 60 s a ``quartier demo`` took on PostgreSQL. Adding a foreign key to a
filled table checks all rows in one join instead. So, for a load that has the
database to itself, the value table's foreign keys are dropped for the load and
added again, with their definitions unchanged, before the transaction commits: if a
row refers to nothing, adding the key fails and the whole load is rolled back, as
before. The DDL locks the value table until commit, so imports into a database in
use must not go this way (they take :func:`~quartier.indicators.batches.write_values`).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction

from quartier.indicators.models import Value


@contextmanager
def foreign_keys_checked_at_the_end():
    """Inside a transaction: the value table's foreign keys are checked once, at the end.

    On PostgreSQL the keys are dropped and added again (see the module docstring);
    elsewhere nothing changes (SQLite checks no foreign keys row by row at commit).
    """
    if connection.vendor != "postgresql":
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("foreign_keys_checked_at_the_end needs a transaction")
    table = Value._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        keys = cursor.fetchall()
        # Rows written before in this transaction (areas, the batch) have checks
        # pending, and PostgreSQL alters no table with pending checks: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    with connection.cursor() as cursor:
        for name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django's keys are declared
