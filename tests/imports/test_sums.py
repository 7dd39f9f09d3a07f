"""Finding a total and its parts among the count columns of an imported table."""

from datetime import date

import numpy as np
import pytest

from quartier.imports.sums import find_sums, sum_notes
from quartier.indicators.models import Indicator

P = date(2024, 12, 31)


def stored(columns: dict[str, list[float]]):
    """Checked rows as check_table makes them: one per column and area."""
    return [
        (None, None, (key, area, P), value, "")
        for key, values in columns.items()
        for area, value in enumerate(values)
    ]


def counts(*keys, kind="count"):
    return {k: Indicator(key=k, name=k.upper(), kind=kind) for k in keys}


def test_a_total_with_its_parts_among_other_columns():
    rng = np.random.default_rng(1)
    a, b, c = (rng.integers(0, 50, 30).astype(float) for _ in range(3))
    other = rng.integers(0, 100, 30).astype(float)
    columns = {"a": a, "b": b, "c": c, "total": a + b + c, "other": other}
    assert find_sums(stored(columns), counts(*columns)) == [("total", ["a", "b", "c"])]


def test_nested_totals_take_the_finest_breakdown_each():
    rng = np.random.default_rng(2)
    a, b, c = (rng.integers(1, 50, 20).astype(float) for _ in range(3))
    columns = {"a": a, "b": b, "c": c, "young": a + b, "all": a + b + c}
    found = dict(find_sums(stored(columns), counts(*columns)))
    assert found == {"all": ["a", "b", "c"], "young": ["a", "b"]}


def test_no_sum_in_too_few_areas_among_rates_or_when_one_area_differs():
    small = {"a": [1, 2], "b": [3, 4], "t": [4, 6]}
    assert find_sums(stored(small), counts(*small)) == []
    rates = {"a": [1.0] * 6, "b": [2.0] * 6, "t": [3.0] * 6}
    assert find_sums(stored(rates), counts(*rates, kind="rate")) == []
    gap = {"a": [1, 2, 3, 4, 5, 6], "b": [1, 1, 1, 1, 1, 1], "t": [2, 3, 4, 5, 6, 99]}
    assert find_sums(stored(gap), counts(*gap)) == []


def test_columns_of_zeros_are_not_parts():
    a = np.arange(1, 11, dtype=float)
    columns = {"a": a, "b": 2 * a, "zero": np.zeros(10), "t": 3 * a}
    assert find_sums(stored(columns), counts(*columns)) == [("t", ["a", "b"])]


@pytest.mark.django_db
def test_notes_say_what_happens():
    a = np.arange(1, 11, dtype=float)
    columns = {"a": a, "b": 2 * a, "t": 3 * a}
    indicators = counts(*columns)
    sums = find_sums(stored(columns), indicators)
    new, existing = sum_notes(sums, indicators, {"t"}), sum_notes(sums, indicators, set())
    assert new == ["„T“ ist die Summe von „A“, „B“; das wird beim Übernehmen als „Summe aus“ "
                   "hinterlegt, damit die Geheimhaltung diese Anzahlen gemeinsam schützt."]  # fmt: skip
    assert "Bitte in der Indikatorverwaltung" in existing[0]


def test_finding_sums_in_a_big_table_needs_few_temporary_bytes_per_value():
    """Columns of a big sheet (issue 14 point 6): only the counts' values are made int64
    cells, and a table without doubled cells is laid out without a second sort. The old
    search needed some 115 bytes of temporaries per value, this one some 75.
    """
    import tracemalloc
    from types import SimpleNamespace

    n = 100_000
    values = SimpleNamespace(
        indicators=["t", "a", "b"],
        periods=[date(2024, 12, 31)],
        indicator=np.tile(np.arange(3, dtype=np.int16), n),
        period=np.zeros(3 * n, np.int32),
        value=np.column_stack([np.full(n, 3.0), np.ones(n), np.full(n, 2.0)]).ravel(),
    )
    big = SimpleNamespace(values=values, area=np.repeat(np.arange(n, dtype=np.int64), 3), keys=1)
    count = SimpleNamespace(kind="count")
    tracemalloc.start()
    try:
        found = find_sums(big, {"t": count, "a": count, "b": count})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == [("t", ["a", "b"])]
    assert peak / (3 * n) < 90
