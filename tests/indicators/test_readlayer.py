from datetime import date

import numpy as np
import pytest

from quartier.errors import NotFound
from quartier.indicators import readlayer
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import Indicator, Kind
from quartier.indicators.status import Status
from quartier.spatial.models import Area, Level

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)


def keys(user):
    return set(readlayer.visible_indicators(user).values_list("key", flat=True))


def test_visibility_per_role(users):
    public = keys(users["anonymous"])
    internal = keys(users["analyst"])
    assert "ew_gesamt" in public and "kinderarmut" in public
    assert "quote_uebergewicht" not in public and "quote_uebergewicht" in internal
    assert "hze_faelle" not in internal
    assert "hze_faelle" in keys(users["steward"])  # member of the Jugendamt
    assert keys(users["admin"]) == set(Indicator.objects.values_list("key", flat=True))


def test_invisible_indicator_looks_like_a_missing_one(users):
    with pytest.raises(NotFound) as hidden:
        readlayer.get_indicator(users["analyst"], "hze_faelle")
    with pytest.raises(NotFound) as missing:
        readlayer.get_indicator(users["analyst"], "gibt_es_nicht")
    assert "Hilfen" not in hidden.value.message
    assert type(hidden.value) is type(missing.value)
    hze = Indicator.objects.get(key="hze_faelle")
    with pytest.raises(NotFound):
        readlayer.area_values(users["anonymous"], hze, Level.objects.get(key="stadtteil"), P2024)


def test_periods_for_visible_indicators(users):
    periods = readlayer.periods_by_indicator(users["anonymous"])
    kinderarmut = Indicator.objects.get(key="kinderarmut")
    assert len(periods[kinderarmut.id]) == 11
    hidden = Indicator.objects.get(key="hze_quote")
    assert hidden.id not in periods


def test_values_stored_at_a_level_win_over_aggregation(users):
    level = Level.objects.get(key="stadtbezirk")
    ind = Indicator.objects.get(key="ew_gesamt")
    before = readlayer.area_values(users["anonymous"], ind, level, P2024)
    first = Area.objects.get(level=level, code=before.codes[0])
    batch = create_batch("amtliche Bezirkszahlen.csv")
    write_values(batch, [(ind.id, first.id, P2024, 12345.0, "")])
    after = readlayer.area_values(users["anonymous"], ind, level, P2024)
    assert after.source_level is None and after.values[0] == 12345.0
    assert np.isnan(after.values[1:]).all()  # only that one was delivered at this level


def test_non_additive_values_are_not_aggregated_without_weight(users):
    age = Indicator.objects.get(key="durchschnittsalter")
    level = Level.objects.get(key="stadtteil")
    weighted = readlayer.area_values(users["anonymous"], age, level, P2024)
    assert not np.isnan(weighted.values).any()
    Indicator.objects.filter(pk=age.pk).update(weight=None)
    age.refresh_from_db()
    unweighted = readlayer.area_values(users["anonymous"], age, level, P2024)
    assert np.isnan(unweighted.values).all()
    assert age.kind == Kind.OTHER


def test_missing_period_gives_missing_values(users):
    ind = Indicator.objects.get(key="ew_gesamt")
    level = Level.objects.get(key="stadtteil")
    result = readlayer.area_values(users["anonymous"], ind, level, date(1999, 12, 31))
    assert len(result) == 45
    assert (result.status == Status.MISSING).all()


def test_boundary_versions_follow_the_period(users):
    """An area version valid only from 2020 gets no values before that."""
    ind = Indicator.objects.get(key="ew_gesamt")
    level = Level.objects.get(key="stadtbezirk")
    area = Area.objects.filter(level=level).first()
    Area.objects.filter(pk=area.pk).update(valid_from=date(2020, 1, 1))
    early = readlayer.area_values(users["anonymous"], ind, level, date(2018, 12, 31))
    late = readlayer.area_values(users["anonymous"], ind, level, P2024)
    assert area.code not in early.codes and area.code in late.codes
