"""Computed values are kept per indicator definition, level, period and area index.

A profile needs every indicator over every period at its level; the next profile
of the same level needs the same results, so they are computed once per data
state — and never served after the stored values or the definition changed.
"""

from datetime import date

import numpy as np
import pytest

from quartier.indicators import compute as compute_module
from quartier.indicators import readlayer
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import Indicator
from quartier.spatial.models import Area, Level

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)


@pytest.fixture
def computations(monkeypatch):
    """Count the real computations behind compute()."""
    calls = []
    real = compute_module._compute

    def counting(index, indicator, level, period):
        calls.append((indicator.key, level.key, period))
        return real(index, indicator, level, period)

    monkeypatch.setattr(compute_module, "_compute", counting)
    return calls


def test_a_second_profile_of_the_level_computes_nothing(client, computations):
    codes = list(
        Area.objects.filter(level__key="stadtteil", valid_to__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)[:2]
    )
    assert client.get(f"/gebiete/stadtteil/{codes[0]}/").status_code == 200
    first = len(computations)
    assert first > 100  # every public indicator over every period, at the level and above
    assert client.get(f"/gebiete/stadtteil/{codes[1]}/").status_code == 200
    assert len(computations) == first


def test_new_values_and_a_changed_definition_are_computed_again(users, computations):
    level = Level.objects.get(key="stadtbezirk")
    ind = Indicator.objects.get(key="ew_gesamt")
    before = readlayer.area_values(users["admin"], ind, level, P2024)
    block = Area.objects.filter(level__key="baublock", valid_to__isnull=True).first()
    batch = create_batch("korrektur.csv")
    old = readlayer.area_values(users["admin"], ind, Level.objects.get(key="baublock"), P2024)
    write_values(batch, [(ind.id, block.id, P2024, old.value_of(block.code) + 1000, "")])
    after = readlayer.area_values(users["admin"], ind, level, P2024)
    assert np.nansum(after.values) == pytest.approx(np.nansum(before.values) + 1000)

    rate = Indicator.objects.get(key="kinderarmut")
    shown = readlayer.area_values(users["admin"], rate, level, P2024)
    Indicator.objects.filter(pk=rate.pk).update(factor=1000.0)
    rate.refresh_from_db()
    tenfold = readlayer.area_values(users["admin"], rate, level, P2024)
    ok = shown.shown & tenfold.shown
    assert np.allclose(tenfold.values[ok], shown.values[ok] * 10)


def test_shared_results_cannot_be_changed_by_a_caller(users):
    level = Level.objects.get(key="stadtteil")
    ind = Indicator.objects.get(key="ew_gesamt")
    index = readlayer.reader(users["admin"]).index
    result = compute_module.compute(index, ind, level, P2024)
    with pytest.raises(ValueError):
        result.values[0] = -1
    assert compute_module.compute(index, ind, level, P2024) is result
