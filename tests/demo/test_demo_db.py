"""Acceptance checks of Musterstadt as stored in the database and read through the read layer."""

from datetime import date

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from quartier.indicators import readlayer
from quartier.indicators.models import Indicator, Value
from quartier.spatial.models import Area, Level

pytestmark = pytest.mark.django_db
PERIODS = [date(y, 12, 31) for y in range(2014, 2025)]
AGE_KEYS = [
    "ew_0_2",
    "ew_3_5",
    "ew_6_9",
    "ew_10_14",
    "ew_15_17",
    "ew_18_24",
    "ew_25_64",
    "ew_65plus",
]


def test_every_area_lies_within_its_parent():
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    rows = list(Area.objects.values_list("id", "parent_id", "geometry", "level__key"))
    geoms = {
        pk: shapely.transform(
            shapely.from_wkb(bytes(wkb)),
            lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])),
        )
        for pk, _parent, wkb, _level in rows
    }
    checked = 0
    for pk, parent, _wkb, level in rows:
        if parent is None:
            assert level == "stadt"
            continue
        child = geoms[pk]
        share = shapely.intersection(child, geoms[parent]).area / child.area
        assert share >= 0.99, (pk, share)
        checked += 1
    assert checked == len(rows) - 1


def test_areas_record_source_crs_and_area():
    block = Area.objects.filter(level__key="baublock").first()
    assert block.source_crs == "EPSG:25832"
    assert block.area_m2 > 0
    lon, lat = block.shape.centroid.x, block.shape.centroid.y
    assert 6 < lon < 9 and 50 < lat < 53  # NRW, in EPSG:4326


def test_age_groups_sum_to_total_in_every_area_and_year(users):
    admin = users["admin"]
    indicators = {i.key: i for i in Indicator.objects.filter(key__in=[*AGE_KEYS, "ew_gesamt"])}
    for level in Level.objects.all():
        for period in PERIODS:
            total = readlayer.area_values(admin, indicators["ew_gesamt"], level, period)
            parts = [
                readlayer.area_values(admin, indicators[k], level, period).values for k in AGE_KEYS
            ]
            np.testing.assert_array_equal(np.sum(parts, axis=0), total.values)
            assert not np.isnan(total.values).any()


def test_stadtteil_sgb2_rate_is_ratio_of_block_sums_not_mean_of_rates(users):
    user = users["anonymous"]
    rate = Indicator.objects.get(key="sgb2_quote")
    stadtteil = Level.objects.get(key="stadtteil")
    period = PERIODS[-1]
    result = readlayer.area_values(user, rate, stadtteil, period)
    assert result.source_level.key == "baublock"
    differs = 0
    for area in Area.objects.filter(level=stadtteil)[:12]:
        blocks = Area.objects.filter(parent__parent=area, level__key="baublock")
        num = dict(
            Value.objects.filter(
                indicator__key="sgb2_gesamt", period=period, area__in=blocks
            ).values_list("area_id", "value")
        )
        den = dict(
            Value.objects.filter(
                indicator__key="ew_u65", period=period, area__in=blocks
            ).values_list("area_id", "value")
        )
        expected = sum(num.values()) / sum(den.values()) * 100
        got = result.values[result.codes.index(area.code)]
        assert got == pytest.approx(expected, rel=1e-12)
        block_rates = [num[b] / den[b] * 100 for b in num if den[b] > 0]
        if abs(np.mean(block_rates) - expected) > 0.1:
            differs += 1
    assert differs >= 10  # the mean of block rates is a different (wrong) number


def test_city_total_equals_sum_over_blocks(users, musterstadt):
    ind = Indicator.objects.get(key="ew_gesamt")
    total = readlayer.total_value(users["anonymous"], ind, PERIODS[-1])
    assert total == musterstadt.counts["ew_gesamt"][-1].sum()


def test_mean_age_is_weighted_by_residents(users, musterstadt):
    age = Indicator.objects.get(key="durchschnittsalter")
    city = readlayer.total_value(users["anonymous"], age, PERIODS[0])
    c = musterstadt.counts
    w, a = c["ew_gesamt"][0], c["durchschnittsalter"][0]
    ok = ~np.isnan(a) & (w > 0)
    assert city == pytest.approx((a[ok] * w[ok]).sum() / w[ok].sum())
