"""Area typology: k-means and Ward clustering on z-standardised indicators.

Decisions (tested in ``tests/core/test_typology.py``):

* Rows with a missing value (NaN) in any indicator are excluded and get label 0;
  the clustering runs on the remaining ("usable") rows only.
* Columns are z-standardised over the usable rows with the population standard
  deviation (ddof=0, as sklearn's ``StandardScaler``). A column that is constant over
  the usable rows carries no information and its z-value is undefined, so it raises
  a ``QuartierError`` naming the column (0-based index and 1-based position) rather
  than being dropped silently: a planner who picked an indicator should learn that it
  cannot separate the areas.
* Cluster numbers are 1..k, relabelled deterministically: the largest cluster is 1;
  clusters of equal size are ordered by their profile (mean z-values), compared
  indicator by indicator. The partition itself comes unchanged from sklearn/scipy,
  so labels do not depend on the algorithm's internal cluster numbering.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from quartier.errors import QuartierError

METHODS = ("kmeans", "ward")
MIN_K, MAX_K = 2, 10


@dataclass
class Typology:
    """Result of a typology: cluster per area and the mean z-profile of every cluster.

    ``labels`` holds 1..k per area and 0 where the area was excluded (missing values);
    ``profiles[c - 1]`` is the mean z-value of cluster ``c`` for every indicator;
    ``sizes[c - 1]`` is its number of areas.
    """

    labels: np.ndarray
    profiles: np.ndarray
    sizes: list[int]
    method: str
    k: int
    seed: int

    @property
    def excluded(self) -> int:
        """Number of areas left out because of missing values."""
        return int((self.labels == 0).sum())


def standardise(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(usable, z)``: the mask of complete rows and their z-standardised values.

    Raises ``QuartierError`` if a column is constant over the usable rows.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2:
        raise QuartierError(
            "Die Typisierung braucht eine Tabelle (Gebiete × Indikatoren). / "
            "Typology needs a 2-D matrix (areas × indicators)."
        )
    usable = np.isfinite(matrix).all(axis=1)  # ±inf (e.g. a rate over 0) counts as missing
    rows = matrix[usable]
    mean = rows.mean(axis=0) if len(rows) else np.zeros(matrix.shape[1])
    sd = rows.std(axis=0) if len(rows) else np.zeros(matrix.shape[1])
    # Relative tolerance: values like 1e9 + rounding noise are still "constant".
    scale = np.maximum(np.abs(mean), 1.0)
    constant = np.flatnonzero(sd <= 1e-12 * scale)
    if len(rows) >= 2 and constant.size:  # one row is "too few", reported by the caller
        col = int(constant[0])
        raise QuartierError(
            f"Indikator in Spalte {col + 1} (Index {col}) hat in allen Gebieten denselben "
            "Wert und kann nicht zur Typisierung beitragen; bitte entfernen. / "
            f"Indicator column {col} is constant; remove it."
        )
    return usable, (rows - mean) / np.where(sd > 0, sd, 1.0)


def typology(matrix: np.ndarray, method: str = "kmeans", k: int = 5, seed: int = 42) -> Typology:
    """Cluster areas into ``k`` types on z-standardised indicators.

    ``matrix`` is (n_areas, n_indicators) with NaN for missing values. ``method`` is
    ``"kmeans"`` (sklearn ``KMeans``, ``n_init=10``, ``random_state=seed``) or ``"ward"``
    (scipy hierarchical clustering, cut into ``k`` clusters; ``seed`` is unused but kept).
    The same input and seed always give the same labels.
    """
    if method not in METHODS:
        raise QuartierError(
            f"Unbekanntes Verfahren „{method}“ (erlaubt: kmeans, ward). / Unknown method."
        )
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not MIN_K <= k <= MAX_K:
        raise QuartierError(
            f"Die Zahl der Typen muss zwischen {MIN_K} und {MAX_K} liegen. / "
            f"k must be between {MIN_K} and {MAX_K}."
        )
    usable, z = standardise(matrix)
    if len(z) < k:
        raise QuartierError(
            f"Nur {len(z)} Gebiete haben vollständige Werte – zu wenige für {k} Typen. / "
            f"Only {len(z)} complete rows for k={k}."
        )
    raw = _kmeans(z, k, seed) if method == "kmeans" else _ward(z, k)
    if np.unique(raw).size < k:
        # Ward (or k-means on many identical rows) can form fewer clusters than asked.
        raise QuartierError(
            f"Die Gebiete lassen sich nicht in {k} verschiedene Typen teilen "
            "(zu viele gleiche Werte). / Data do not support k distinct clusters."
        )
    labels_usable, profiles, sizes = _relabel(z, raw, k)
    labels = np.zeros(usable.size, dtype=np.int16)
    labels[usable] = labels_usable
    return Typology(labels, profiles, sizes, method, int(k), int(seed))


def _kmeans(z: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans  # heavy import: only when a typology is computed
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # "fewer distinct clusters than n_clusters" is turned into a German error by the caller.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(z)


def _ward(z: np.ndarray, k: int) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster, linkage

    return fcluster(linkage(z, method="ward"), t=k, criterion="maxclust")


def _relabel(z: np.ndarray, raw: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Number clusters 1..k by descending size, ties broken by the profile values."""
    ids, inverse = np.unique(raw, return_inverse=True)
    sizes = np.bincount(inverse, minlength=ids.size)
    profiles = np.vstack([z[inverse == c].mean(axis=0) for c in range(ids.size)])
    # np.lexsort sorts by the last key first: size (descending), then profile columns.
    keys = [profiles[:, j] for j in range(profiles.shape[1] - 1, -1, -1)]
    order = np.lexsort([*keys, -sizes])
    new_number = np.empty(ids.size, dtype=np.int16)
    new_number[order] = np.arange(1, ids.size + 1)
    return new_number[inverse], profiles[order], [int(s) for s in sizes[order]]
