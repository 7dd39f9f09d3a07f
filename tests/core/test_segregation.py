"""Segregation indices against PySAL's `segregation` package."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quartier.core.segregation import by_parent, segregation_indices
from quartier.errors import QuartierError

POPULATION = (
    Path(__file__).resolve().parents[3]
    / "shared/data/berlin-einwohner-plr-2024/berlin-lor-population-2024-02-t1-planning-areas.csv"
)


def _pysal(group, total):
    """(D, xPx, xPy) from segregation.singlegroup on the areas with total > 0."""
    from segregation.singlegroup import Dissim, Interaction, Isolation

    frame = pd.DataFrame({"group": group, "total": total})
    frame = frame[frame["total"] > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package warns about optional dependencies
        return tuple(
            index(frame, "group", "total").statistic for index in (Dissim, Isolation, Interaction)
        )


def _musterstadt_like(seed, n=400):
    """Counts with a spatial gradient in the group share, a few empty areas."""
    rng = np.random.default_rng(seed)
    x = rng.random(n)
    total = rng.poisson(rng.lognormal(5, 1, n)).astype(float)
    total[rng.choice(n, 5, replace=False)] = 0
    share = 0.05 + 0.4 * x**2  # poor on one side of town
    group = rng.binomial(total.astype(int), share).astype(float)
    return group, total


@pytest.fixture(scope="module")
def berlin():
    return pd.read_csv(POPULATION, dtype={"id": str, "district_id": str})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_counts_match_pysal(seed):
    group, total = _musterstadt_like(seed)
    result = segregation_indices(group, total)
    d, xpx, xpy = _pysal(group, total)
    assert result.dissimilarity == pytest.approx(d, rel=1e-12)
    assert result.isolation == pytest.approx(xpx, rel=1e-12)
    assert result.interaction == pytest.approx(xpy, rel=1e-12)
    assert result.areas == 395
    assert result.group_total == group.sum() and result.total == total.sum()
    assert 0.05 < result.dissimilarity < 0.6  # the gradient makes it clearly non-zero


def test_berlin_foreigners_match_pysal(berlin):
    assert berlin["id"].iloc[0] == "01100101"  # leading zero kept
    group = berlin["inhabitants_foreigners"].to_numpy(dtype=float)
    total = berlin["inhabitants"].to_numpy(dtype=float)
    result = segregation_indices(group, total)
    d, xpx, xpy = _pysal(group, total)
    assert result.dissimilarity == pytest.approx(d, rel=1e-12)
    assert result.isolation == pytest.approx(xpx, rel=1e-12)
    assert result.interaction == pytest.approx(xpy, rel=1e-12)
    assert result.areas == 540  # two Planungsräume without inhabitants are ignored
    assert 0.15 < result.dissimilarity < 0.3


def test_by_district_matches_pysal_per_district(berlin):
    codes, parent = np.unique(berlin["district_id"], return_inverse=True)
    group = berlin["inhabitants_foreigners"].to_numpy(dtype=float)
    total = berlin["inhabitants"].to_numpy(dtype=float)
    results = by_parent(group, total, parent, len(codes))
    assert len(results) == 12
    for p, result in enumerate(results):
        d, xpx, xpy = _pysal(group[parent == p], total[parent == p])
        assert result.dissimilarity == pytest.approx(d, rel=1e-12), codes[p]
        assert result.isolation == pytest.approx(xpx, rel=1e-12), codes[p]
        assert result.interaction == pytest.approx(xpy, rel=1e-12), codes[p]
        assert result.areas == int(((parent == p) & (total > 0)).sum())


def test_hand_computed_extremes():
    apart = segregation_indices(np.array([10.0, 0]), np.array([10.0, 30]))
    assert (apart.dissimilarity, apart.isolation, apart.interaction) == (1.0, 1.0, 0.0)
    even = segregation_indices(np.array([1.0, 2, 3]), np.array([10.0, 20, 30]))
    assert even.dissimilarity == pytest.approx(0.0, abs=1e-15)
    assert even.isolation == pytest.approx(0.1) and even.interaction == pytest.approx(0.9)


def test_missing_and_empty_areas_are_ignored():
    group = np.array([5.0, 1, np.nan, 0, 7])
    total = np.array([10.0, 20, 30, 0, np.nan])
    assert segregation_indices(group, total) == segregation_indices(group[:2], total[:2])
    assert segregation_indices(group, total).areas == 2


def test_all_zero_totals_give_nan_not_an_error():
    result = segregation_indices(np.zeros(4), np.zeros(4))
    assert result.areas == 0 and result.total == 0
    assert np.isnan([result.dissimilarity, result.isolation, result.interaction]).all()


def test_group_absent_or_everyone_in_group():
    nobody = segregation_indices(np.zeros(3), np.array([5.0, 6, 7]))
    assert np.isnan([nobody.dissimilarity, nobody.isolation, nobody.interaction]).all()
    everyone = segregation_indices(np.array([5.0, 6]), np.array([5.0, 6]))
    assert np.isnan(everyone.dissimilarity)
    assert everyone.isolation == pytest.approx(1.0) and everyone.interaction == 0.0


def test_by_parent_with_an_empty_parent():
    group, total = _musterstadt_like(4, n=60)
    parent = np.repeat([0, 2], 30)  # parent 1 has no areas
    results = by_parent(group, total, parent, 3)
    assert results[1].areas == 0 and np.isnan(results[1].dissimilarity)
    assert results[0] == segregation_indices(group[:30], total[:30])
    assert results[2] == segregation_indices(group[30:], total[30:])


def test_invalid_input():
    with pytest.raises(QuartierError, match="größer als die Gesamtzahl"):
        segregation_indices(np.array([1.0, 5]), np.array([2.0, 4]))
    with pytest.raises(QuartierError, match="negativ"):
        segregation_indices(np.array([1.0, -1]), np.array([2.0, 4]))
    with pytest.raises(QuartierError, match="je Gebiet"):
        segregation_indices(np.array([1.0]), np.array([2.0, 4]))
    with pytest.raises(QuartierError, match="Zuordnung"):
        by_parent(np.array([1.0, 1]), np.array([2.0, 4]), np.array([0, 3]), 2)
