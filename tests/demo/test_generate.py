"""Musterstadt as generated in memory (no database)."""

import numpy as np
import pytest
import shapely

from quartier.demo.catalogue import SUMS
from quartier.demo.generate import DEFAULT_SEED, generate
from quartier.demo.geometry import SMALL
from quartier.demo.population import AGE_GROUPS, YEARS

RANGES = {
    "stadt": (1, 1),
    "stadtbezirk": (9, 10),
    "stadtteil": (40, 50),
    "sozialraum": (200, 250),
    "baublock": (4000, 6000),
}


def test_level_sizes(musterstadt):
    assert [lv.key for lv in musterstadt.city.levels] == list(RANGES)
    for level in musterstadt.city.levels:
        low, high = RANGES[level.key]
        assert low <= len(level) <= high, level.key


def test_codes_keep_leading_zeros_and_nest(musterstadt):
    levels = musterstadt.city.levels
    for upper, lower in zip(levels[1:-1], levels[2:], strict=True):
        assert len(set(lower.codes)) == len(lower.codes)
        for code, parent in zip(lower.codes, lower.parent, strict=True):
            assert code.startswith(upper.codes[parent])
    assert levels[1].codes[0] == "01"


def test_every_unit_is_contiguous_and_the_union_of_its_children(musterstadt):
    levels = musterstadt.city.levels
    for upper, lower in zip(levels[:-1], levels[1:], strict=True):
        assert (shapely.get_type_id(lower.polygons) == 3).all(), f"{lower.key}: not one polygon"
        for i, parent_poly in enumerate(upper.polygons):
            children = lower.polygons[lower.parent == i]
            assert len(children) >= 1
            union = shapely.union_all(children)
            assert abs(union.area - parent_poly.area) < 1e-6 * parent_poly.area
            assert shapely.symmetric_difference(union, parent_poly).area < 1e-6 * parent_poly.area


def test_blocks_tile_the_city_without_overlap(musterstadt):
    blocks = musterstadt.city.level("baublock").polygons
    city = musterstadt.city.level("stadt").polygons[0]
    assert shapely.area(blocks).sum() == pytest.approx(city.area, rel=1e-9)
    assert 100e6 < city.area < 250e6  # a city of 100–250 km²


def test_counts_are_consistent(musterstadt):
    c = musterstadt.counts
    assert c["ew_gesamt"].shape == (len(YEARS), len(musterstadt.city.level("baublock")))
    ages = sum(c[f"ew_{g}"] for g in AGE_GROUPS)
    np.testing.assert_array_equal(ages, c["ew_gesamt"])
    # The sums declared for disclosure control hold exactly.
    for total, parts in SUMS.items():
        np.testing.assert_array_equal(sum(c[p] for p in parts), c[total], err_msg=total)
    pairs = [
        ("sgb2_u15", "ew_u15"),
        ("sgb2_gesamt", "ew_u65"),
        ("arbeitslose", "ew_15_64"),
        ("hh_alleinerziehend", "hh_mit_kindern"),
        ("hh_mit_kindern", "haushalte"),
        ("auslaender", "ew_migration"),
        ("esu_uebergewicht", "esu_untersucht"),
        ("esu_sprachfoerderung", "esu_untersucht"),
        ("uebergaenge_gym", "uebergaenge"),
        ("hze_faelle", "ew_u18"),
        ("sgb2_u15", "sgb2_gesamt"),
    ]
    for num, den in pairs:
        assert (c[num] <= c[den]).all(), f"{num} > {den}"
    for key, values in c.items():
        if key != "durchschnittsalter":
            assert (values >= 0).all(), key


def test_realistic_magnitudes_and_segregation(musterstadt):
    c = musterstadt.counts
    assert 270_000 < c["ew_gesamt"][-1].sum() < 330_000
    social = musterstadt.city.level("sozialraum")
    group = musterstadt.city.level("baublock").parent
    num = np.bincount(group, c["sgb2_u15"][-1], len(social))
    den = np.bincount(group, c["ew_u15"][-1], len(social))
    poverty = num / den * 100
    assert 3 <= (poverty > 40).sum() <= 0.2 * len(social)  # a few poor Quartiere
    assert (poverty < 5).sum() >= 3  # and affluent ones
    city_rate = c["sgb2_u15"][-1].sum() / c["ew_u15"][-1].sum() * 100
    assert 15 < city_rate < 35
    tiny = (c["ew_gesamt"][-1] > 0) & (c["ew_gesamt"][-1] < 10)
    assert tiny.sum() >= 50  # disclosure control will have real work


def test_neighbouring_blocks_resemble_each_other(musterstadt):
    """A spatial pattern, not noise: adjacent blocks' poverty rates correlate."""
    c = musterstadt.counts
    rate = c["sgb2_u15"][-1] / np.maximum(c["ew_u15"][-1], 1)
    ok = c["ew_u15"][-1] >= 20
    edges = musterstadt.city.blocks.edges
    keep = ok[edges[:, 0]] & ok[edges[:, 1]]
    a, b = rate[edges[keep, 0]], rate[edges[keep, 1]]
    assert np.corrcoef(a, b)[0, 1] > 0.5


def test_facilities(musterstadt):
    city = musterstadt.city.level("stadt").polygons[0]
    for key, items in musterstadt.facilities.items():
        assert len(items) >= 3, key
        assert len({f["name"] for f in items}) == len(items), key
        for f in items:
            assert f["capacity"] > 0
            assert city.contains(shapely.Point(f["x"], f["y"]))


def test_same_seed_same_city_other_seed_other_city(musterstadt):
    assert generate(DEFAULT_SEED).digest() == musterstadt.digest()
    small = generate(7, SMALL)
    assert generate(7, SMALL).digest() == small.digest()
    assert generate(8, SMALL).digest() != small.digest()


def test_units_beyond_what_the_bounds_allow_are_an_error_not_an_endless_loop():
    """bench/big_city.py asked for 180 Stadtteile in 10 districts of at most 9: it hung."""
    from quartier.demo.geometry import allocate

    sizes = np.ones(10)
    assert allocate(90, sizes, 2, 9).tolist() == [9] * 10
    with pytest.raises(ValueError, match="180 units cannot be shared among 10 parents"):
        allocate(180, sizes, 2, 9)
    with pytest.raises(ValueError):
        allocate(15, sizes, 2, 9)


def test_a_scaled_up_city_nests_more_stadtteile_per_district():
    from quartier.demo.areas import build_areas
    from quartier.demo.geometry import Layout

    layout = Layout(blocks=1500, districts=2, quarters=30, social_areas=60, radius=2500.0)
    areas = build_areas(np.random.default_rng(7), layout)
    assert len(areas.level("stadtteil")) == 30
