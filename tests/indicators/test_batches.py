import hashlib
from datetime import date

import pytest

from quartier.errors import QuartierError
from quartier.indicators.batches import create_batch, rollback, write_values
from quartier.indicators.models import ImportBatch, Indicator, Value, ValueRevision
from quartier.spatial.models import Area

pytestmark = pytest.mark.django_db
P = date(2024, 12, 31)


def digest(indicator) -> str:
    """Every cell of ``indicator`` with value, flags and batch, plus the table's row count."""
    h = hashlib.sha256(str(Value.objects.count()).encode())
    for row in (
        Value.objects.filter(indicator=indicator)
        .order_by("indicator_id", "area_id", "period")
        .values_list("indicator_id", "area_id", "period", "value", "flags", "batch_id")
        .iterator(chunk_size=50_000)
    ):
        h.update(repr(row).encode())
    return h.hexdigest()


@pytest.fixture
def cells():
    ind = Indicator.objects.get(key="arbeitslose")
    blocks = list(Area.objects.filter(level__key="baublock").order_by("code")[:5])
    districts = list(Area.objects.filter(level__key="stadtbezirk").order_by("code")[:3])
    return ind, blocks, districts


def test_rollback_removes_exactly_its_values_and_restores_replaced_ones(cells):
    ind, blocks, districts = cells
    demo_batch = ImportBatch.objects.get(source_name__startswith="Musterstadt")
    count_before = Value.objects.count()
    before = digest(ind)
    rows = [(ind.id, b.id, P, 999.0, "") for b in blocks[:3]]  # replace three demo values
    rows += [(ind.id, d.id, P, 5000.0 + i, "p") for i, d in enumerate(districts)]  # new cells
    old = Value.objects.get(indicator=ind, area=blocks[3], period=P)
    rows.append((ind.id, blocks[3].id, P, old.value, ""))  # unchanged
    batch = create_batch("jobcenter.csv", rows_read=len(rows))
    stats = write_values(batch, rows)
    assert (stats.inserted, stats.replaced, stats.unchanged) == (3, 3, 1)
    assert Value.objects.count() == count_before + 3
    assert Value.objects.get(indicator=ind, area=blocks[0], period=P).batch == batch
    assert ValueRevision.objects.filter(replaced_by=batch, batch=demo_batch).count() == 3
    assert digest(ind) != before

    removed = rollback(batch)
    assert removed == 6
    assert digest(ind) == before
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.ROLLED_BACK and batch.rolled_back_at
    assert not ValueRevision.objects.filter(replaced_by=batch).exists()
    with pytest.raises(QuartierError):
        rollback(batch)


def test_rollback_in_any_order_keeps_history_right(cells):
    ind, blocks, _ = cells
    cell = blocks[0]
    original = Value.objects.get(indicator=ind, area=cell, period=P).value

    def current():
        return Value.objects.get(indicator=ind, area=cell, period=P).value

    b = create_batch("b.csv")
    write_values(b, [(ind.id, cell.id, P, 1.0, "")])
    c = create_batch("c.csv")
    write_values(c, [(ind.id, cell.id, P, 2.0, "")])
    rollback(b)  # b's value was already replaced by c: nothing visible changes
    assert current() == 2.0
    rollback(c)  # back to the demo value, not to b's
    assert current() == original


def test_duplicate_cells_in_one_import_are_refused(cells):
    ind, blocks, _ = cells
    batch = create_batch("doppelt.csv")
    with pytest.raises(QuartierError):
        write_values(
            batch, [(ind.id, blocks[0].id, P, 1.0, ""), (ind.id, blocks[0].id, P, 2.0, "")]
        )
    assert Value.objects.filter(batch=batch).count() == 0


def test_missing_values_with_statistics_symbols(cells):
    ind, _, districts = cells
    batch = create_batch("symbole.csv")
    write_values(batch, [(ind.id, districts[0].id, date(2013, 12, 31), None, ".")])
    stored = Value.objects.get(batch=batch)
    assert stored.value is None and stored.flags == "."
