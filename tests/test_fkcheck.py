"""The SQLite suite's cheaper end-of-test foreign key check still finds broken keys.

(``tests/support/fkcheck.py``: Django's full ``PRAGMA foreign_key_check`` read all
1.6 million values after every test.)
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from quartier.indicators.models import Value

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    """Raised to roll a savepoint back after looking at the broken state."""


def _broken_within_savepoint(sql: str, params: list) -> Exception | None:
    """Run ``sql`` in a savepoint, return what ``check_constraints()`` raised, roll back."""
    found = None
    with pytest.raises(_Undo), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        try:
            connection.check_constraints()
        except IntegrityError as exc:
            found = exc
        raise _Undo
    return found


def test_a_clean_test_database_passes():
    connection.check_constraints()


def test_a_new_value_pointing_at_a_missing_area_is_found():
    value = Value.objects.first()
    found = _broken_within_savepoint(
        "INSERT INTO indicators_value (indicator_id, area_id, period, value, flags, batch_id)"
        " VALUES (%s, %s, %s, 1.0, '', %s)",
        [value.indicator_id, 10**9, date(1999, 12, 31), value.batch_id],
    )
    assert found is not None and "area_id" in str(found)


def test_a_deleted_area_that_old_values_point_at_is_found():
    value = Value.objects.first()
    found = _broken_within_savepoint("DELETE FROM spatial_area WHERE id = %s", [value.area_id])
    assert found is not None
