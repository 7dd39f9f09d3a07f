"""Stored values packed into one row per indicator-period for the next cold process (issue 15).

A process reads the value rows once and packs them; another process (here: the
same one after forgetting its memory) reads the packed row instead. A packed row
is used only under the stamp and the (count, highest id) of the value rows it was
packed with, so writes that gave no new stamp are noticed too.

The tests run in a transaction, where nothing is packed (it could be a writer's):
they allow packing through ``store._may_pack``, except the test of that rule.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quartier.indicators import readlayer, store, valuestore
from quartier.indicators.compute import stored_ids
from quartier.indicators.models import DataStamp, ImportBatch, Indicator, PackedValues, Value

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)


@pytest.fixture
def packing(monkeypatch):
    """Allow packing inside the test's transaction; start without packed rows."""
    valuestore.forget()
    monkeypatch.setattr(store, "_may_pack", lambda: True)


def _cold_read(user, key, level_key="baublock"):
    """What a new process reads: nothing of the values in memory."""
    store.clear()
    reader = readlayer.Reader(user)
    return reader.values(reader.get_indicator(key), reader.level(level_key), P2024)


def _value_rows_read(queries) -> int:
    """How many queries read value rows one by one (the area id of each value)."""
    return sum(
        1
        for q in queries
        if "indicators_value" in q["sql"] and '"indicators_value"."area_id"' in q["sql"]
    )


def _same(a, b) -> bool:
    return (
        list(a.codes) == list(b.codes)
        and np.array_equal(a.values, b.values, equal_nan=True)
        and np.array_equal(a.status, b.status)
    )


def test_a_cold_process_reads_the_packed_row_instead_of_the_value_rows(users, packing):
    admin = users["admin"]
    with CaptureQueriesContext(connection) as first:
        before = _cold_read(admin, "sgb2_quote")
    assert _value_rows_read(first.captured_queries) >= 1
    inputs = set(stored_ids(Indicator.objects.get(key="sgb2_quote")))
    packed = set(PackedValues.objects.filter(period=P2024).values_list("indicator_id", flat=True))
    assert inputs and inputs <= packed  # the rate's stored numerator and denominator
    with CaptureQueriesContext(connection) as second:
        after = _cold_read(admin, "sgb2_quote")
    assert _value_rows_read(second.captured_queries) == 0
    assert _same(before, after)


def test_a_row_deleted_without_a_new_stamp_is_noticed(users, packing):
    """The (count, highest id) fingerprint: raw SQL or a test that writes no stamp."""
    admin = users["admin"]
    before = _cold_read(admin, "ew_gesamt")
    indicator = Indicator.objects.get(key="ew_gesamt")
    assert PackedValues.objects.filter(indicator=indicator, period=P2024).exists()
    victim = Value.objects.filter(
        indicator=indicator, period=P2024, area__level__key="baublock", value__gt=0
    ).first()
    stamp = DataStamp.objects.filter(indicator=indicator).values_list("token", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM indicators_value WHERE id = %s", [victim.pk])
    assert (
        DataStamp.objects.filter(indicator=indicator).values_list("token", flat=True).first()
        == stamp
    )
    after = _cold_read(admin, "ew_gesamt")
    code = victim.area.code
    assert before.value_of(code) == victim.value
    assert after.value_of(code) is None  # not the packed copy's value


def test_a_row_added_without_a_new_stamp_is_noticed(users, packing):
    admin = users["admin"]
    indicator = Indicator.objects.get(key="ew_gesamt")
    _cold_read(admin, "ew_gesamt")
    row = Value.objects.filter(indicator=indicator, period=P2024, area__level__key="baublock")
    victim = row.order_by("pk").first()
    area, value = victim.area, victim.value
    victim.delete()
    store.clear()
    _cold_read(admin, "ew_gesamt")  # packed again without the row
    Value.objects.create(
        indicator=indicator,
        area=area,
        period=P2024,
        value=value + 1000,
        batch=ImportBatch.objects.create(source_name="raw.csv"),
    )
    after = _cold_read(admin, "ew_gesamt")
    assert after.value_of(area.code) == value + 1000


def test_a_value_changed_through_the_write_path_is_read_anew(users, packing):
    """A value updated in place with a new stamp (what every import does)."""
    admin = users["admin"]
    indicator = Indicator.objects.get(key="ew_gesamt")
    _cold_read(admin, "ew_gesamt")
    victim = Value.objects.filter(
        indicator=indicator, period=P2024, area__level__key="baublock"
    ).first()
    Value.objects.filter(pk=victim.pk).update(value=victim.value + 500)
    DataStamp.objects.update_or_create(indicator=indicator, defaults={"token": 4711})
    from quartier.indicators import datastate

    datastate._process["at"] = -1.0  # read the stamps again, as a second later
    after = _cold_read(admin, "ew_gesamt")
    assert after.value_of(victim.area.code) == victim.value + 500


def test_nothing_is_packed_inside_a_transaction(users):
    """The test's own transaction stands for a writer's: its rows may still roll back."""
    valuestore.forget()
    _cold_read(users["admin"], "ew_gesamt")
    assert not PackedValues.objects.exists()


def test_rows_committed_between_reading_and_packing_are_not_packed(users, packing, monkeypatch):
    """Another process removes a value after this one read the rows: the copy would keep it."""
    indicator = Indicator.objects.get(key="ew_gesamt")
    real = store._split

    def another_process_commits(index, rows, period, result):
        real(index, rows, period, result)
        Value.objects.filter(indicator=indicator, period=P2024).order_by("pk").last().delete()

    monkeypatch.setattr(store, "_split", another_process_commits)
    _cold_read(users["admin"], "ew_gesamt")
    assert not PackedValues.objects.filter(indicator=indicator).exists()


def test_the_packed_form_keeps_every_level_and_missing_value():
    stored = {
        3: (np.array([5, 9, 12]), np.array([1.5, np.nan, 0.0])),
        7: (np.array([2]), np.array([-4.25])),
    }
    back = valuestore._unpack(valuestore._pack(stored))
    assert sorted(back) == [3, 7]
    for level, (areas, values) in stored.items():
        assert back[level][0].tolist() == areas.tolist()
        assert np.array_equal(back[level][1], values, equal_nan=True)
        back[level][1][0] = 99.0  # writable copies, like values read row by row


def test_postgresql_keeps_the_packed_arrays_uncompressed():
    """TOAST compression took two thirds of packing on PostgreSQL and saves little."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite does not compress")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'indicators_packedvalues'::regclass AND attname = 'data'"
        )
        assert cursor.fetchone()[0] == "e"  # EXTERNAL: out of line, not compressed
