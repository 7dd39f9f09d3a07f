"""A page of features costs O(page): only its geometries and values are read.

The values read for a page alone must be exactly those of the whole level cut
to the page — suppressed cells included, since protection is still computed
over the whole level.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from quartier.indicators import compute, readlayer, store
from quartier.indicators.models import Indicator, Value
from quartier.indicators.status import Status
from quartier.ogc import geometry
from quartier.spatial.index import area_index

pytestmark = pytest.mark.django_db
LATEST = date(2024, 12, 31)


@pytest.fixture
def cold():
    """Nothing in memory: geometry, stored values and computed results are read anew."""
    geometry.clear()
    store.clear()
    yield
    geometry.clear()


def test_a_page_parses_only_its_own_geometries_and_computes_no_whole_level(ogc, cold):
    ogc("collections/baublock/items?limit=1")  # protection masks: computed once per data state
    geometry.clear()
    store.clear()
    doc = ogc("collections/baublock/items?limit=3&offset=10").json()
    assert doc["numberReturned"] == 3 and doc["numberMatched"] > 500
    index = area_index()
    level = index.level("baublock")
    shapes = geometry.level_shapes(level, index)
    assert len(shapes._geoms) == 3
    ids = index.areas(level).ids[sorted(shapes._geoms)]
    codes = [index.areas(level).codes[i] for i in sorted(shapes._geoms)]
    assert codes == [f["id"] for f in doc["features"]] and ids.size == 3
    # The level's whole result was not computed for the page: it is not kept anywhere.
    indicator = Indicator.objects.get(key="ew_gesamt")
    key = (*compute.definition(indicator), level.id, date.fromisoformat(doc["period"]))
    assert store.peek((*key, index.version)) is None


def test_a_bbox_around_everything_tests_no_polygon_and_parses_the_page_only(ogc, cold):
    box = "-180,-90,180,90"
    doc = ogc(f"collections/baublock/items?limit=5&bbox={box}&properties=ew_gesamt").json()
    index = area_index()
    level = index.level("baublock")
    assert doc["numberMatched"] == index.valid_positions(level, LATEST).size
    assert len(geometry.level_shapes(level, index)._geoms) == 5


@pytest.mark.parametrize("level_key", ["baublock", "sozialraum"])
@pytest.mark.parametrize("staff", [False, True])
def test_values_of_some_rows_are_the_whole_levels_cut(level_key, staff, users, cold):
    user = users["admin"] if staff else users["anonymous"]
    index = area_index()
    level = index.level(level_key)
    n = index.valid_positions(level, LATEST).size
    rows = np.sort(np.random.default_rng(7).choice(n, size=min(60, n), replace=False))
    seen = set()
    for indicator in readlayer.visible_indicators(user):
        store.clear()  # first the page alone, from the database
        part = readlayer.Reader(user, index).values(indicator, level, LATEST, rows)
        whole = readlayer.Reader(user, index).values(indicator, level, LATEST)
        assert part.codes == [whole.codes[i] for i in rows]
        assert np.array_equal(part.area_ids, whole.area_ids[rows])
        assert np.array_equal(part.status, whole.status[rows]), indicator.key
        assert np.array_equal(part.values, whole.values[rows], equal_nan=True), indicator.key
        seen.update(Status(s) for s in part.status.tolist())
    assert Status.OK in seen
    assert (Status.CONFIDENTIAL if staff else Status.SUPPRESSED) in seen


def test_stored_periods_are_those_of_the_stored_values():
    readlayer.stored_periods.cache_clear()
    found = readlayer.stored_periods()
    want: dict[int, list[date]] = {}
    for ind, period in Value.objects.values_list("indicator_id", "period").distinct():
        want.setdefault(ind, []).append(period)
    assert found == {ind: sorted(periods) for ind, periods in want.items()}
