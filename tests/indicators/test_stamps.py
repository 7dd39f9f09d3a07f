"""After an import only the caches of what changed are dropped (issue 15, point 3).

Every indicator has a stamp that changes with its stored values; cached values,
computed results, profiles and protection masks are keyed by the stamps of what
they read. These tests count the real computations behind the caches.
"""

from datetime import date

import numpy as np
import pytest

from quartier.indicators import compute as compute_module
from quartier.indicators import datastate, disclosure, maskstore, readlayer, store, suppression
from quartier.indicators.batches import create_batch, rollback, write_values
from quartier.indicators.models import DataStamp, Indicator, Value
from quartier.indicators.status import Status
from quartier.spatial.index import area_index
from quartier.spatial.models import Area

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)


@pytest.fixture(autouse=True)
def _no_stored_masks():
    """Start from no stored masks (the test's transaction rolls this back): servers of
    earlier tests (browser tests, other processes) may have committed some, and then
    the warm-up reads here would load masks instead of computing what is counted."""
    maskstore.forget()


@pytest.fixture
def computations(monkeypatch):
    """The indicator keys of the real computations behind compute(), in order."""
    calls = []
    real = compute_module._compute

    def counting(index, indicator, level, period):
        calls.append(indicator.key)
        return real(index, indicator, level, period)

    monkeypatch.setattr(compute_module, "_compute", counting)
    return calls


@pytest.fixture
def protections(monkeypatch):
    """The member keys of every table of counts protected (secondary suppression run)."""
    calls = []
    real = suppression.count_masks

    def counting(index, members, *args, **kwargs):
        calls.append(frozenset(m.key for m in members))
        return real(index, members, *args, **kwargs)

    monkeypatch.setattr(suppression, "count_masks", counting)
    return calls


def _read(user, key, level_key="stadtteil", period=P2024):
    reader = readlayer.Reader(user)
    return reader.values(reader.get_indicator(key), reader.level(level_key), period)


def _block_value(key: str, minimum: float) -> tuple[Area, float]:
    """A current block whose stored value of ``key`` on 2024 is at least ``minimum``."""
    value = (
        Value.objects.filter(
            indicator__key=key,
            period=P2024,
            value__gte=minimum,
            area__level__key="baublock",
            area__valid_to__isnull=True,
        )
        .select_related("area")
        .order_by("area__code")
        .first()
    )
    return value.area, value.value


def _import(key: str, area: Area, value: float):
    batch = create_batch("korrektur.csv")
    write_values(batch, [(Indicator.objects.get(key=key).pk, area.pk, P2024, value, "")])
    return batch


def _users_of(key: str) -> set[str]:
    """Keys of the indicators computed from ``key``'s stored values (itself, rates over it)."""
    pk = Indicator.objects.get(key=key).pk
    return {
        i.key
        for i in Indicator.objects.all()
        if pk in (i.pk, i.numerator_id, i.denominator_id, i.weight_id)
    }


def test_an_import_keeps_the_other_indicators_values_and_recomputes_its_own(users, computations):
    admin = users["admin"]
    haushalte_before = _read(admin, "haushalte")
    arbeitslose_before = _read(admin, "arbeitslose")
    computations.clear()

    block, old = _block_value("arbeitslose", 1)
    _import("arbeitslose", block, old + 500)

    assert _read(admin, "haushalte") is not None
    assert "haushalte" not in computations  # kept
    after = _read(admin, "arbeitslose")
    assert set(computations) == {"arbeitslose"}  # computed again
    assert np.nansum(after.values) == pytest.approx(np.nansum(arbeitslose_before.values) + 500)
    assert np.array_equal(_read(admin, "haushalte").values, haushalte_before.values, equal_nan=True)


def test_a_rollback_recomputes_only_what_it_took_back(users, computations):
    admin = users["admin"]
    block, old = _block_value("arbeitslose", 1)
    batch = _import("arbeitslose", block, old + 500)
    raised = _read(admin, "arbeitslose")
    _read(admin, "haushalte")
    computations.clear()

    rollback(batch)

    _read(admin, "haushalte")
    assert computations == []
    after = _read(admin, "arbeitslose")
    assert set(computations) == {"arbeitslose"}
    assert np.nansum(after.values) == pytest.approx(np.nansum(raised.values) - 500)


def test_a_profile_after_an_import_computes_only_what_depends_on_the_import(client, computations):
    code = (
        Area.objects.filter(level__key="stadtteil", valid_to__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    assert client.get(f"/gebiete/stadtteil/{code}/").status_code == 200
    assert len(computations) > 100
    computations.clear()

    block, old = _block_value("arbeitslose", 1)
    _import("arbeitslose", block, old + 500)
    assert client.get(f"/gebiete/stadtteil/{code}/").status_code == 200

    assert "arbeitslose" in computations
    assert set(computations) <= _users_of("arbeitslose")  # every other entry was kept


def test_another_process_import_is_seen_through_the_database_stamp(users, computations):
    """A write committed elsewhere: only its stamp in the database tells this process."""
    admin = users["admin"]
    before = _read(admin, "arbeitslose", "baublock")
    _read(admin, "haushalte", "baublock")
    block, old = _block_value("arbeitslose", 1)
    arbeitslose = Indicator.objects.get(key="arbeitslose")
    computations.clear()

    # What the other process's transaction commits: the value and the new stamp.
    Value.objects.filter(indicator=arbeitslose, area=block, period=P2024).update(value=old + 7)
    DataStamp.objects.update_or_create(indicator=arbeitslose, defaults={"token": 4711})
    datastate._process["at"] = -1.0  # a second later: this process reads the stamps again

    after = _read(admin, "arbeitslose", "baublock")
    _read(admin, "haushalte", "baublock")
    assert set(computations) == {"arbeitslose"}
    assert after.value_of(block.code) == old + 7
    assert np.nansum(after.values) == pytest.approx(np.nansum(before.values) + 7)


def test_a_write_committed_while_reading_is_never_cached_under_the_old_stamps(users, monkeypatch):
    """Values newer than the pinned stamps: not cached, and protected by masks of their state.

    The masks of the old state are still in memory; had the new values been
    used with them, the household count of 1 would be shown.
    """
    monkeypatch.setattr(datastate, "_TTL", 3600.0)  # the process keeps its stamps meanwhile
    anonymous = users["anonymous"]
    block, _old = _block_value("haushalte", 5)
    before = _read(anonymous, "haushalte", "baublock")
    assert before.status_of(block.code) == Status.OK
    haushalte = Indicator.objects.get(key="haushalte")
    store.clear()  # the values left memory, their masks did not

    real = store._fetch

    def another_process_commits_first(index, keys, state):
        monkeypatch.setattr(store, "_fetch", real)
        Value.objects.filter(indicator=haushalte, area=block, period=P2024).update(value=1.0)
        DataStamp.objects.update_or_create(indicator=haushalte, defaults={"token": 99})
        return real(index, keys, state)

    monkeypatch.setattr(store, "_fetch", another_process_commits_first)
    after = _read(anonymous, "haushalte", "baublock")
    assert after.status_of(block.code) == Status.SUPPRESSED
    assert datastate.current().stamps[haushalte.pk] == 99  # read again, not the pinned state


def test_an_import_into_a_linked_count_protects_its_family_again(users, protections):
    """Secondary suppression spans counts linked by sums: their masks follow every member."""
    anonymous = users["anonymous"]
    _read(anonymous, "ew_0_2", "baublock")
    _read(anonymous, "haushalte", "baublock")
    age_family = next(members for members in protections if "ew_0_2" in members)
    assert "ew_3_5" in age_family and "haushalte" not in age_family
    protections.clear()

    # Two age groups change in one block, their sum stays: ew_3_5 becomes a small count.
    block, old = _block_value("ew_3_5", 5)
    six = Value.objects.get(indicator__key="ew_6_9", area=block, period=P2024).value
    batch = create_batch("korrektur.csv")
    ids = {key: Indicator.objects.get(key=key).pk for key in ("ew_3_5", "ew_6_9")}
    write_values(
        batch,
        [
            (ids["ew_3_5"], block.pk, P2024, 1.0, ""),
            (ids["ew_6_9"], block.pk, P2024, six + old - 1.0, ""),
        ],
    )

    cached = _read(anonymous, "ew_0_2", "baublock")
    small = _read(anonymous, "ew_3_5", "baublock")
    _read(anonymous, "haushalte", "baublock")
    assert protections == [age_family]  # the family once more, households kept
    assert small.status_of(block.code) == Status.SUPPRESSED

    # The same as a process that never saw the old state computes.
    disclosure.clear(stored=False)
    store.clear()
    maskstore.forget()
    cold = _read(anonymous, "ew_0_2", "baublock")
    assert np.array_equal(cached.status, cold.status)
    assert np.array_equal(cached.values, cold.values, equal_nan=True)


def test_masks_of_unrelated_indicators_stay_stored_for_other_processes(users):
    """The stored mask rows of a family are keyed by its own stamps only."""
    anonymous = users["anonymous"]
    index = area_index()
    _read(anonymous, "haushalte", "baublock")
    haushalte = Indicator.objects.get(key="haushalte")
    state = maskstore.state(index, haushalte)
    block, old = _block_value("arbeitslose", 1)
    _import("arbeitslose", block, old + 1)
    assert maskstore.state(index, haushalte) == state
    assert maskstore.load([(haushalte.pk, P2024)], {haushalte.pk: state})
