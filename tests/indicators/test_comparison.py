"""Change between periods and rank: one rule, the same numbers on map, table, profile and API."""

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser

from quartier.explorer.mapdata import compute_view, parse_view
from quartier.explorer.profile import indicator_row
from quartier.explorer.tables import table_rows
from quartier.indicators import comparison, readlayer
from quartier.indicators.models import Indicator
from quartier.indicators.status import Status
from quartier.spatial.models import Area, Level

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)


def _status_word(data: dict, i: int) -> str:
    return data["statuses"][data["status"][i] if data["status"] else "0"]["word"]


def test_map_and_profile_give_the_same_change_for_the_same_area(client):
    """The profile's change is the one since the period before, by the map's rule.

    It used to subtract the latest earlier *shown* value: for a block whose previous
    value is hidden it showed a change over two years where the map shows none.
    """
    anonymous = AnonymousUser()
    indicator = Indicator.objects.get(key="sgb2_u15")
    level = Level.objects.get(key="baublock")
    periods = readlayer.periods_by_indicator(anonymous)[indicator.id]
    now, before, older = readlayer.series(anonymous, indicator, level, periods[-1:-4:-1])
    tricky = [
        code
        for code in now.codes
        if now.status_of(code) == Status.OK
        and before.status_of(code) == Status.SUPPRESSED
        and older.status_of(code) == Status.OK
    ]
    plain = [c for c in now.codes if now.status_of(c) == before.status_of(c) == Status.OK]
    assert tricky and plain
    query = f"ebene=baublock&indikator=sgb2_u15&stichtag={periods[-1]}&vergleich={periods[-2]}"
    data = client.get(f"/karte/werte/?{query}").json()
    position = {code: i for i, code in enumerate(now.codes)}
    for code in tricky[:3] + plain[:3]:
        area = Area.objects.select_related("level", "parent__level").get(level=level, code=code)
        row = indicator_row(anonymous, indicator, area, periods)
        i = position[code]
        assert row.change_status.word == _status_word(data, i), code
        assert row.change == data["values"][i], code
        assert row.change_since == (periods[-2] if row.change is not None else row.change_since)
    api = client.get(f"/api/v1/profiles/baublock/{tricky[0]}/").json()
    entry = next(r for r in api["indicators"] if r["indicator"] == "sgb2_u15")
    assert entry["change"] is None and entry["change_status"] == "suppressed"
    assert entry["change_since"] == periods[-2].isoformat()


def test_a_change_needs_the_same_area_version_and_two_shown_values():
    anonymous = AnonymousUser()
    indicator = Indicator.objects.get(key="ew_gesamt")
    level = Level.objects.get(key="stadtbezirk")
    now, before = readlayer.series(anonymous, indicator, level, [P2024, date(2019, 12, 31)])
    ids, status = before.area_ids.copy(), before.status.copy()
    ids[0] = 10**9  # area 0 got new boundaries: another version, the same code
    status[1] = Status.SUPPRESSED
    status[2] = Status.CONFIDENTIAL
    status[3] = Status.MISSING
    change = comparison.change(now, replace(before, area_ids=ids, status=status))
    assert change.codes == now.codes
    assert list(change.status[:5]) == [
        Status.MISSING,
        Status.SUPPRESSED,
        Status.CONFIDENTIAL,
        Status.MISSING,
        Status.OK,
    ]
    assert np.isnan(change.values[:2]).all() and np.isnan(change.values[3])
    assert change.values[2] == now.values[2] - before.values[2]
    assert change.values[4] == now.values[4] - before.values[4]


def test_ranks_share_ties_and_count_only_shown_values():
    values = np.array([5.0, 3.0, 3.0, 1.0, 9.0, np.nan, 4.0])
    status = np.array([0, 0, 0, 0, 2, 1, 3], dtype=np.uint8)  # 9 hidden, 4 confidential
    assert comparison.ranks(values, status).tolist() == [1, 3, 3, 5, 0, 0, 2]


def test_table_profile_side_panel_and_api_give_the_same_rank(client):
    anonymous = AnonymousUser()
    indicator = Indicator.objects.get(key="kinderarmut")
    level = Level.objects.get(key="sozialraum")
    view = parse_view(anonymous, {"ebene": "sozialraum", "indikator": "kinderarmut"})
    table = {row.code: (row.rank, row.status) for row in table_rows(compute_view(anonymous, view))}
    result = readlayer.area_values(anonymous, indicator, level, view.period)
    ranked = readlayer.Reader.ranks(result)
    assert [table[code][0] or 0 for code in result.codes] == ranked.tolist()
    assert {s for _r, s in table.values()} >= {Status.OK, Status.SUPPRESSED}
    periods = readlayer.periods_by_indicator(anonymous)[indicator.id]
    for code in [result.codes[int(np.argmax(ranked == 1))], result.codes[-1]]:
        area = Area.objects.select_related("level", "parent__level").get(level=level, code=code)
        row = indicator_row(anonymous, indicator, area, periods)
        assert (row.rank, row.rank_of) == (table[code][0], int((ranked > 0).sum()))
        panel = client.get(f"/karte/gebiet/sozialraum/{code}/?indikator=kinderarmut").json()
        assert panel["current"]["rank"] == row.rank
    api = client.get(f"/api/v1/profiles/sozialraum/{result.codes[0]}/").json()
    entry = next(r for r in api["indicators"] if r["indicator"] == "kinderarmut")
    assert entry["rank"] == table[result.codes[0]][0]


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_one_area_s_change_is_the_level_s_change_of_that_area(users, role):
    """The profile asks :func:`comparison.change_of` per area: the same rule as the map's."""
    indicator = Indicator.objects.get(key="sgb2_u15")
    level = Level.objects.get(key="baublock")
    periods = readlayer.periods_by_indicator(users[role])[indicator.id]
    now, before = readlayer.series(users[role], indicator, level, [periods[-1], periods[0]])
    whole = comparison.change(now, before)
    assert len({Status(s) for s in whole.status}) >= 2
    for code in [*now.codes, "gibt-es-nicht"]:
        value, status = comparison.change_of(now, before, code)
        assert status == whole.status_of(code)
        assert value == whole.value_of(code)
