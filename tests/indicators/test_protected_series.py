"""Protected series are kept between requests (issue 15: a profile page in 100 ms).

The next profile of a level reads the same series again; they are kept, keyed by
everything they are made from (indicator.protected). These tests show that the
kept series are used, and that nothing of them outlives what they were made from:
a reader who sees values unprotected never hands them to one who does not, and new
values or a new threshold show at once.
"""

from datetime import date

import numpy as np
import pytest

from quartier.indicators import disclosure, readlayer
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import Indicator, Value
from quartier.indicators.status import Status

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)
PERIODS = [date(2023, 12, 31), P2024]


@pytest.fixture
def protections(monkeypatch):
    """Every result disclosure control is applied to (indicator key, level key)."""
    calls = []
    real = disclosure.protect

    def counting(result, index, user):
        calls.append((result.indicator.key, result.level.key))
        return real(result, index, user)

    monkeypatch.setattr(disclosure, "protect", counting)
    return calls


def _series(user, key: str, level: str = "baublock", periods=PERIODS):
    reader = readlayer.Reader(user)
    return reader.series(reader.get_indicator(key), reader.level(level), periods)


def test_a_second_profile_of_a_level_protects_nothing_again(client, protections):
    assert client.get("/gebiete/sozialraum/01102/").status_code == 200
    assert len(protections) > 100
    protections.clear()
    assert client.get("/gebiete/sozialraum/01103/").status_code == 200
    assert protections == []


@pytest.mark.parametrize("first", ["admin", "analyst"])
def test_unprotected_series_never_reach_a_reader_who_sees_them_protected(users, first):
    """Kept series are keyed by whether the reader sees values unprotected."""
    order = [first, "analyst" if first == "admin" else "admin"]
    got = {role: _series(users[role], "arbeitslose") for role in order}
    for admin, analyst in zip(got["admin"], got["analyst"], strict=True):
        confidential = admin.status == Status.CONFIDENTIAL
        assert confidential.any()
        assert (analyst.status[confidential] == Status.SUPPRESSED).all()
        assert np.isnan(analyst.values[confidential]).all()
        assert not (analyst.status == Status.CONFIDENTIAL).any()
    # the same again, now from what is kept
    for role in order:
        again = _series(users[role], "arbeitslose")
        for kept, before in zip(again, got[role], strict=True):
            assert np.array_equal(kept.status, before.status)
            assert np.array_equal(kept.values, before.values, equal_nan=True)


def test_new_values_and_a_new_threshold_show_at_once(users):
    analyst = users["analyst"]
    value = (
        Value.objects.filter(
            indicator__key="arbeitslose",
            period=P2024,
            value__gte=1,
            area__level__key="baublock",
            area__valid_to__isnull=True,
        )
        .select_related("area__parent__parent")
        .first()
    )
    district = value.area.parent.parent  # the block's Stadtteil
    assert district.level.key == "stadtteil"
    before = _series(analyst, "arbeitslose", "stadtteil")[-1].value_of(district.code)
    batch = create_batch("korrektur.csv")
    write_values(batch, [(value.indicator_id, value.area_id, P2024, value.value + 500, "")])
    after = _series(analyst, "arbeitslose", "stadtteil")[-1].value_of(district.code)
    assert after == pytest.approx(before + 500)

    indicator = Indicator.objects.get(key="arbeitslose")
    indicator.min_count = 10**9  # every value is a small count now
    indicator.save()
    hidden = _series(analyst, "arbeitslose", "stadtteil")[-1]
    assert not (hidden.status == Status.OK).any()
    assert hidden.value_of(district.code) is None
