"""Typology (k-means, Ward) against sklearn/scipy called directly, on real Berlin MSS data."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quartier.core.typology import typology
from quartier.errors import QuartierError

MSS = (
    Path(__file__).resolve().parents[3]
    / "shared/data/berlin-mss-2021/mss_2021_index_indikatoren.csv"
)
COLUMNS = ["S1", "S3", "S4", "D1", "D3", "D4"]


@pytest.fixture(scope="module")
def mss_matrix():
    table = pd.read_csv(MSS, dtype={"PLR_ID": str})
    matrix = table[COLUMNS].to_numpy(dtype=float)
    matrix[matrix == -9999] = np.nan  # the MSS marks missing values with -9999
    return matrix


def _reference_z(matrix):
    rows = matrix[~np.isnan(matrix).any(axis=1)]
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit_transform(rows)


def _same_partition(a, b):
    """True if a and b group the items identically (labels may be renamed)."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_kmeans_matches_sklearn_up_to_relabelling(mss_matrix):
    from sklearn.cluster import KMeans

    result = typology(mss_matrix, "kmeans", k=6, seed=7)
    expected = KMeans(n_clusters=6, random_state=7, n_init=10).fit_predict(_reference_z(mss_matrix))
    usable = ~np.isnan(mss_matrix).any(axis=1)
    assert _same_partition(result.labels[usable], expected)
    assert (result.labels[~usable] == 0).all() and (result.labels[usable] > 0).all()


def test_ward_matches_scipy_up_to_relabelling(mss_matrix):
    from scipy.cluster.hierarchy import fcluster, linkage

    result = typology(mss_matrix, "ward", k=5)
    expected = fcluster(linkage(_reference_z(mss_matrix), method="ward"), 5, "maxclust")
    usable = ~np.isnan(mss_matrix).any(axis=1)
    assert _same_partition(result.labels[usable], expected)
    assert result.method == "ward" and result.k == 5


def test_profiles_sizes_and_label_order(mss_matrix):
    result = typology(mss_matrix, "kmeans", k=4)
    usable = ~np.isnan(mss_matrix).any(axis=1)
    z = _reference_z(mss_matrix)
    labels = result.labels[usable]
    assert sorted(set(labels.tolist())) == [1, 2, 3, 4]
    assert result.sizes == [int((labels == c).sum()) for c in (1, 2, 3, 4)]
    assert result.sizes == sorted(result.sizes, reverse=True)  # 1 = largest type
    assert result.profiles.shape == (4, len(COLUMNS))
    for c in (1, 2, 3, 4):
        np.testing.assert_allclose(result.profiles[c - 1], z[labels == c].mean(axis=0), atol=1e-12)
    assert result.excluded == int((~usable).sum()) == 6


def test_reproducible_with_same_seed(mss_matrix):
    first = typology(mss_matrix, "kmeans", k=5, seed=3)
    second = typology(mss_matrix, "kmeans", k=5, seed=3)
    assert np.array_equal(first.labels, second.labels)
    assert np.array_equal(first.profiles, second.profiles)


def test_labels_follow_the_areas_not_the_row_order(mss_matrix):
    # Ward has no randomness: shuffling the rows must give every area the same type number.
    rng = np.random.default_rng(0)
    order = rng.permutation(len(mss_matrix))
    plain = typology(mss_matrix, "ward", k=6)
    shuffled = typology(mss_matrix[order], "ward", k=6)
    assert np.array_equal(plain.labels[order], shuffled.labels)


def test_equal_sizes_are_ordered_by_profile():
    # Two well separated groups of equal size: the one with the lower first indicator is 1.
    matrix = np.array([[10.0, 10.0], [10.1, 10.2], [0.0, 0.0], [0.1, 0.2]])
    for method in ("kmeans", "ward"):
        result = typology(matrix, method, k=2)
        assert result.labels.tolist() == [2, 2, 1, 1], method
        assert result.sizes == [2, 2]
        assert result.profiles[0, 0] < result.profiles[1, 0]


def test_missing_rows_are_excluded_and_do_not_influence_others(mss_matrix):
    usable = ~np.isnan(mss_matrix).any(axis=1)
    full = typology(mss_matrix, "ward", k=4)
    only_usable = typology(mss_matrix[usable], "ward", k=4)
    assert np.array_equal(full.labels[usable], only_usable.labels)
    assert np.array_equal(full.labels[~usable], np.zeros((~usable).sum()))


def test_constant_column_is_an_error_naming_the_column():
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(30, 3))
    matrix[:, 2] = 4.2
    with pytest.raises(QuartierError, match=r"Spalte 3 \(Index 2\)"):
        typology(matrix, "kmeans", k=3)


def test_column_constant_among_complete_rows_is_an_error():
    # Only the row excluded for a missing value differs, so over the usable rows SD = 0.
    rng = np.random.default_rng(2)
    matrix = rng.normal(size=(20, 2))
    matrix[:, 0] = 1.0
    matrix[0] = [5.0, np.nan]
    with pytest.raises(QuartierError, match="Index 0"):
        typology(matrix, "ward", k=2)


@pytest.mark.parametrize("k", [0, 1, 11, 2.5, True])
def test_k_out_of_range(k):
    matrix = np.random.default_rng(3).normal(size=(50, 2))
    with pytest.raises(QuartierError, match="zwischen 2 und 10"):
        typology(matrix, "kmeans", k=k)


def test_k_larger_than_usable_rows():
    matrix = np.random.default_rng(4).normal(size=(6, 2))
    matrix[:3, 1] = np.nan
    with pytest.raises(QuartierError, match="Nur 3 Gebiete"):
        typology(matrix, "kmeans", k=4)
    assert typology(matrix, "kmeans", k=3).labels.tolist()[:3] == [0, 0, 0]


def test_too_few_distinct_rows_for_k():
    matrix = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5)
    for method in ("kmeans", "ward"):
        with pytest.raises(QuartierError, match="nicht in 3"):
            typology(matrix, method, k=3)


def test_unknown_method_and_bad_shape():
    with pytest.raises(QuartierError, match="Verfahren"):
        typology(np.ones((5, 2)), "dbscan", k=2)
    with pytest.raises(QuartierError, match="Tabelle"):
        typology(np.ones(5), "kmeans", k=2)
