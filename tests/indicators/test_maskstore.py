"""Protection masks kept in the database: computed once per data state, shared by every process."""

from datetime import date

import numpy as np
import pytest

from quartier.indicators import (
    datastate,
    disclosure,
    families,
    maskstore,
    precompute,
    readlayer,
    store,
    suppression,
)
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import DataStamp, Indicator, ProtectionMask, Value
from quartier.indicators.status import Status
from quartier.spatial.index import area_index
from quartier.spatial.models import Level

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)


def _like_a_new_process():
    """Forget everything this process keeps in memory; the database stays as it is."""
    disclosure.clear(stored=False)
    store.clear()


def _no_computing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("protection was computed although its masks are stored")

    monkeypatch.setattr(suppression, "count_masks", refuse)
    monkeypatch.setattr(suppression, "mean_masks", refuse)


def _read(user, key, level_key="baublock", period=P2024):
    reader = readlayer.Reader(user)
    return reader.values(reader.get_indicator(key), reader.level(level_key), period)


def test_a_cold_process_uses_the_stored_masks_and_reads_only_the_indicators_values(
    users, monkeypatch
):
    anonymous = users["anonymous"]
    first = _read(anonymous, "ew_u15")
    assert (first.status == Status.SUPPRESSED).any()
    ew_u15 = Indicator.objects.get(key="ew_u15")
    members = families.relations().members(families.family_of(ew_u15.pk))
    stored = ProtectionMask.objects.filter(period=P2024, indicator__in=members)
    assert stored.count() == len(members) > 10  # the whole family, computed together

    _like_a_new_process()
    _no_computing(monkeypatch)
    second = _read(anonymous, "ew_u15")
    assert np.array_equal(second.status, first.status)
    assert np.array_equal(np.isnan(second.values), np.isnan(first.values))
    assert np.array_equal(second.values[second.shown], first.values[first.shown])
    # Only ew_u15's own values were read, not its twelve relatives'.
    assert {pk for pk, _period in store._cache} == {ew_u15.pk}


def test_masks_of_an_older_data_state_are_never_used(users, monkeypatch):
    anonymous = users["anonymous"]
    before = _read(anonymous, "haushalte")
    shown = np.flatnonzero(before.status == Status.OK)
    block_ids = area_index().areas(Level.objects.get(key="baublock")).ids
    valid = area_index().valid_positions(Level.objects.get(key="baublock"), P2024)
    target = int(block_ids[valid[shown[0]]])
    haushalte = Indicator.objects.get(key="haushalte")
    assert Value.objects.get(indicator=haushalte, area_id=target, period=P2024).value >= 3

    # Another process imports: one household in a block that was shown.
    write_values(create_batch("korrektur.csv"), [(haushalte.pk, target, P2024, 1.0, "")])
    _like_a_new_process()
    datastate.bump()
    after = _read(anonymous, "haushalte")
    assert after.status[shown[0]] == Status.SUPPRESSED  # the stored masks were not reused
    assert ProtectionMask.objects.filter(indicator=haushalte, period=P2024).count() == 1


def test_a_changed_threshold_is_a_new_state(users):
    anonymous = users["anonymous"]
    before = _read(anonymous, "haushalte")
    Indicator.objects.filter(key="haushalte").update(min_count=40)
    families.bump()
    _like_a_new_process()
    after = _read(anonymous, "haushalte")
    assert (after.status == Status.SUPPRESSED).sum() > (before.status == Status.SUPPRESSED).sum()


def test_stored_masks_that_do_not_fit_the_areas_fail_closed(client, users):
    """A stored mask for the current state but of the wrong size is refused, never applied."""
    haushalte = Indicator.objects.get(key="haushalte")
    index = area_index()
    block = Level.objects.get(key="baublock")
    wrong = {block.id: np.zeros(3, dtype=bool)}
    # Any correct row stored earlier (save() keeps a row it finds) gives way to the wrong one.
    ProtectionMask.objects.filter(indicator=haushalte, period=P2024).delete()
    maskstore.save({haushalte.pk: wrong}, P2024, maskstore.state(index, haushalte))
    _like_a_new_process()
    query = {"indicator": "haushalte", "level": "baublock", "period": P2024.isoformat()}
    response = client.get("/api/v1/values/", query)
    assert response.status_code == 503
    assert "geschützt" in response.json()["error"]


def test_precomputing_protects_every_family_and_period_once(users, monkeypatch):
    maskstore.forget()  # the session's setup stored them as `quartier demo` does
    computed = precompute.protect_all()
    counts = Indicator.objects.filter(kind="count").count()
    assert computed >= counts  # every count at least for one period
    assert precompute.protect_all() == 0  # the second time everything is stored

    _like_a_new_process()
    _no_computing(monkeypatch)
    for key in ("ew_0_2", "haushalte", "durchschnittsalter", "sgb2_quote"):
        result = _read(users["anonymous"], key)
        assert result.shown.any()


def test_a_new_data_state_from_any_process_is_noticed(monkeypatch):
    noticed = []
    monkeypatch.setattr(datastate, "_listeners", [])
    datastate.on_change(lambda: noticed.append(True))
    datastate.bump()
    datastate.current()
    assert noticed == []  # nothing new
    create_batch("nacht.csv")  # a batch without values changes no stamp
    monkeypatch.setitem(datastate._process, "at", -1.0)  # a second later
    datastate.current()
    assert noticed == []
    # Written by "another process": its stamp committed with the values, no bump here.
    haushalte = Indicator.objects.get(key="haushalte")
    DataStamp.objects.update_or_create(indicator=haushalte, defaults={"token": 12345})
    monkeypatch.setitem(datastate._process, "at", -1.0)
    datastate.current()
    assert noticed == [True]
