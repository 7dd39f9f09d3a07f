"""The Musterstadt's bulk load checks its values' foreign keys once, at the end (PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from quartier.indicators.batches import create_batch, insert_new_values
from quartier.indicators.bulkload import foreign_keys_checked_at_the_end
from quartier.indicators.models import Indicator, Value
from quartier.spatial.models import Area

pytestmark = pytest.mark.django_db


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite checks no foreign keys by trigger; the context changes nothing there")


def _foreign_keys() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [Value._meta.db_table],
        )
        return cursor.fetchall()


def test_the_keys_are_the_same_afterwards_and_the_values_are_stored():
    _postgres_only()
    before = _foreign_keys()
    assert len(before) == 3 and all("DEFERRABLE INITIALLY DEFERRED" in d for _n, d in before)
    indicator = Indicator.objects.get(key="kinderarmut")
    area = Area.objects.filter(level__key="stadtteil").first()
    with transaction.atomic():
        batch = create_batch("bulk")
        with foreign_keys_checked_at_the_end():
            assert _foreign_keys() == []  # dropped for the load …
            written = insert_new_values(
                batch, [(indicator.pk, area.pk, date(2030, 12, 31), 1.0, "")]
            )
        assert _foreign_keys() == before  # … and back, unchanged
    assert written == 1 and Value.objects.filter(batch=batch).count() == 1


def test_a_value_of_no_area_fails_the_load():
    _postgres_only()
    indicator = Indicator.objects.get(key="kinderarmut")
    missing = (Area.objects.order_by("-pk").first().pk or 0) + 1000
    with pytest.raises(IntegrityError), transaction.atomic():
        batch = create_batch("bulk")
        with foreign_keys_checked_at_the_end():
            insert_new_values(batch, [(indicator.pk, missing, date(2030, 12, 31), 1.0, "")])
    assert len(_foreign_keys()) == 3
