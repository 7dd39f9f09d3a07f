"""The table check works column-wise in chunks (issue 14, point 6): same findings, less memory.

The scenario below holds every kind of finding; its report was recorded from the
row-by-row check this replaced, so the columnar check is held to the same messages.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from quartier.imports.tablemap import NewIndicator, TableMapping
from quartier.imports.tables import RawTable

pytestmark = pytest.mark.django_db
PEAK = 20_000_000  # bytes; see test_checking_a_big_table_holds_no_object_per_value


def raw(columns: list[str], rows: list[list[str]]) -> RawTable:
    """A table as the reader would hand it over (German number format)."""
    return RawTable(columns, rows, 0, "csv", "utf-8", ";", ",", ".", None, [], [])


def scenario():
    """A wide table with a period column and every kind of finding; (table, mapping)."""
    from quartier.spatial.index import clear_area_index
    from quartier.spatial.models import Area

    codes = list(
        Area.objects.filter(level__key="baublock").order_by("code").values_list("code", flat=True)
    )
    a, b, c, d, e, f, g, h = codes[:8]
    gone = codes[8]  # a block that exists from 2026 on
    Area.objects.filter(level__key="baublock", code=gone).update(valid_from=date(2026, 1, 1))
    clear_area_index()
    columns = ["Block", "Jahr", "EW", "U65", "65+", "AL", "EW1564", "Quote", "Anteil"]
    p, q = "31.12.2025", "2026"
    rows = [
        [a, p, "1.200", "1000", "200", "10", "800", "5", "12,5"],
        [b, p, "900", "700", "200", "20", "600", "6", "130"],
        [c, p, "50000", "45000", "5000", "30", "20", "7", "-1"],  # jump, AL > EW1564
        [d, p, "800", "600", "200", ".", "k. A.", "8", "/"],
        [e, p, "700", "500", "200", "-", "x", "9", "…"],
        [f, p, "-5", "abc", "7p", "-9999", "", "10", "50"],  # negative, not a number
        [g, p, "600", "400", "200", "12r", "500", "11", "1.234,5"],
        [h, p, "500", "300", "200", "13", "400", "12", "0"],
        [a.lstrip("0"), q, "1.100", "900", "200", "10", "800", "5", "12"],  # lost zero
        ["99999999", q, "1", "1", "1", "1", "1", "1", "1"],  # unknown code
        [b[:-1] + "x", q, "1", "1", "1", "1", "1", "1", "1"],  # a typo
        [gone, p, "5", "5", "5", "5", "5", "5", "5"],  # not valid on 2025-12-31
        [gone, q, "10", "5", "5", "1", "5", "5", "5"],  # valid then
        ["", p, "1", "1", "1", "1", "1", "1", "1"],  # no code: skipped
        [c, "31.13.2025", "1", "1", "1", "1", "1", "1", "1"],  # no date
        [h, p, "501", "300", "201", "13", "400", "12", "0"],  # duplicate of row 9
        [b, q, "950", "750", "200", "20", "600", "6", "10"],
    ]
    mapping = TableMapping(
        layout="wide",
        key_column="Block",
        level="baublock",
        period_column="Jahr",
        columns={
            "EW": "ew_gesamt",
            "U65": "ew_u65",
            "65+": "ew_65plus",
            "AL": "arbeitslose",
            "EW1564": "ew_15_64",
            "Quote": "sgb2_quote",
            "Anteil": "neuer_anteil",
        },
        new_indicators=[
            NewIndicator(key="neuer_anteil", name="Neuer Anteil", unit="%", kind="rate")
        ],
    )
    return raw(columns, rows), mapping


RECORDED = Path(__file__).with_name("check_scenario.json")


def stored_rows(rows) -> list[list]:
    """Stored rows with area codes instead of ids (ids differ between databases)."""
    from quartier.spatial.models import Area

    code = dict(Area.objects.values_list("id", "code"))
    return [[k, code[a], p.isoformat(), v, f] for k, a, p, v, f in rows]


def test_findings_are_those_of_the_row_by_row_check():
    from quartier.imports.values_import import check_table

    table, mapping = scenario()
    report, rows = check_table(table, mapping)
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    assert json.loads(json.dumps(report.to_json())) == recorded["report"]
    assert stored_rows(rows) == recorded["rows"]


@pytest.mark.parametrize("chunk_rows", [1, 4])
def test_small_chunks_give_the_same_check(chunk_rows):
    from quartier.imports.values_import import check_table

    table, mapping = scenario()
    whole, rows = check_table(table, mapping)
    chunked, chunked_rows = check_table(table, mapping, chunk_rows=chunk_rows)
    assert chunked.to_json() == whole.to_json()
    assert list(chunked_rows) == list(rows)


def test_long_layout_in_small_chunks_gives_the_same_check():
    from quartier.imports.values_import import check_table

    table, _mapping = scenario()
    rows = [[r[0], r[1], name, r[2 + n]] for r in table.rows for n, name in enumerate("AB")]
    long = raw(["Block", "Jahr", "Merkmal", "Wert"], rows)
    mapping = TableMapping(
        layout="long",
        key_column="Block",
        level="baublock",
        period_column="Jahr",
        indicator_columns=["Merkmal"],
        value_column="Wert",
        indicator_labels={"A": "ew_gesamt", "B": ""},  # B is left out
    )
    whole, stored = check_table(long, mapping)
    chunked, chunked_stored = check_table(long, mapping, chunk_rows=3)
    assert chunked.to_json() == whole.to_json()
    assert list(chunked_stored) == list(stored)
    assert {row[0] for row in stored} == {"ew_gesamt"} and len(stored) == 12


def test_commit_in_chunks_stores_the_checked_values_and_a_second_run_changes_nothing(
    monkeypatch,
):
    from quartier.imports import values_import
    from quartier.indicators import columnwrite
    from quartier.indicators.models import Value, ValueRevision

    monkeypatch.setattr(columnwrite, "CHUNK", 4)  # many chunks for some 50 values
    table, mapping = scenario()
    bad = ("31.13.2025", "501", "abc", "-5", "130", "-1", "1.234,5")  # rows with errors
    table.rows = [r for r in table.rows if not set(bad) & set(r)]
    report, rows = values_import.check_table(table, mapping)
    assert report.errors == []
    batch, committed = values_import.commit_table(
        table, mapping, source_name="t.csv", sha256="", accept_warnings=True
    )
    assert batch.rows_inserted == len(rows) == committed.values
    stored = Value.objects.filter(batch=batch).values_list(
        "indicator__key", "area_id", "period", "value", "flags"
    )
    assert sorted(stored, key=str) == sorted(rows, key=str)
    again, _report = values_import.commit_table(
        table, mapping, source_name="t.csv", sha256="", accept_warnings=True
    )
    assert again is None  # 0 changes: no batch
    table.rows[0] = [*table.rows[0][:2], "1.201", *table.rows[0][3:]]
    changed, _report = values_import.commit_table(
        table, mapping, source_name="t.csv", sha256="", accept_warnings=True
    )
    assert (changed.rows_inserted, changed.rows_replaced) == (0, 1)
    assert changed.rows_unchanged == len(rows) - 1
    revision = ValueRevision.objects.get(replaced_by=changed)
    assert (revision.value, revision.batch_id) == (1200.0, batch.pk)


def test_new_values_are_inserted_in_the_order_of_the_unique_index(monkeypatch):
    """Rows go in sorted by (indicator, area, period), not in the file's row order: the
    indexes then grow at their ends (SQLite's insert cost of big sheets); chunked as well.
    """
    from quartier.imports import values_import
    from quartier.indicators import columnwrite
    from quartier.indicators.models import Value

    monkeypatch.setattr(columnwrite, "CHUNK", 4)
    table, mapping = scenario()
    bad = ("31.13.2025", "501", "abc", "-5", "130", "-1", "1.234,5")
    table.rows = [r for r in table.rows if not set(bad) & set(r)]
    table.rows.reverse()  # the later period first: the file's order is not the index's
    batch, _report = values_import.commit_table(
        table, mapping, source_name="t.csv", sha256="", accept_warnings=True
    )
    inserted = list(
        Value.objects.filter(batch=batch)
        .order_by("id")
        .values_list("indicator_id", "area_id", "period")
    )
    assert len(inserted) == batch.rows_inserted > 20
    assert inserted == sorted(inserted)


def test_checking_a_big_table_holds_no_object_per_value():
    """20,000 rows × 3 values: the row-by-row check peaked at 36 MB of Python objects, this one at 12 MB."""
    import tracemalloc

    from quartier.imports.values_import import check_table
    from quartier.spatial.models import Area

    codes = list(
        Area.objects.filter(level__key="baublock").order_by("code").values_list("code", flat=True)
    )
    rows = [
        [codes[i % 1000], f"{2030 + i // 1000}-12-31", str(i % 997), str(i % 491), str(i % 7)]
        for i in range(20_000)
    ]
    table = raw(["k", "p", "a", "b", "c"], rows)
    mapping = TableMapping(
        layout="wide",
        key_column="k",
        level="baublock",
        period_column="p",
        columns={"a": "ew_gesamt", "b": "ew_u65", "c": "ew_65plus"},
    )
    tracemalloc.start()
    try:
        report, stored = check_table(table, mapping)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.values == len(stored) == 60_000
    assert peak < PEAK, f"{peak / 1e6:.1f} MB"
