"""Choropleth classification with mapclassify, made robust for real small-area data.

Classes are *upper-inclusive* as in mapclassify: class j holds values
``lower_j < y <= upper_j``; the first class also holds its lower bound (the
minimum). Missing and suppressed values get class -1 and are never used to
compute breaks; so are infinite values, which no class could hold. Edge cases
handled here: no values, all values equal, fewer distinct values than classes
(also in the sample natural breaks run on), a constant standard deviation,
manual breaks outside the data range, and (for change maps) a break forced at
zero. Whatever the data, the result is a classification, never an error: only
bad parameters raise :class:`ClassificationError`.

Quantiles on data with one very frequent value (e.g. 0 in most blocks) collapse:
several quantiles fall on that value and only two or three classes remain. Then
the frequent value gets a class of its own and the other values are divided
into quantiles; :attr:`Classification.fallback` says so, for the legend.

Quantiles and standard deviations are computed here by mapclassify's own
definitions (:func:`quantile_breaks`, :func:`std_mean_breaks`; tests compare
them with mapclassify bit for bit): importing mapclassify loads scipy.stats,
scikit-learn, pandas and matplotlib — 4 to 7 s of CPU that a new server process
would otherwise spend before its first map. Natural breaks (Fisher-Jenks) come
from mapclassify, imported on first use or when the process is idle
(:mod:`quartier.warmup`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

METHODS = ("quantiles", "natural_breaks", "equal_interval", "std_mean", "manual")
DEFAULT_SD_MULTIPLES = (-1.0, 1.0, 1.5)  # Berlin MSS: < -1, -1..+1, +1..+1.5, > +1.5 SD
MIN_CLASSES, MAX_CLASSES = 3, 9
# Fisher-Jenks is O(k·n²); above this many values it runs on evenly spaced
# quantiles of the data, which keeps the result deterministic.
JENKS_SAMPLE = 1200


@dataclass(frozen=True)
class Classification:
    """Breaks and the class of every value (-1 for no value)."""

    method: str
    lower: float | None
    uppers: list[float]
    classes: np.ndarray
    counts: list[int] = field(default_factory=list)
    # Why the classes differ from what was asked (None: as asked), see TiesFallback.
    fallback: TiesFallback | None = None

    @property
    def k(self) -> int:
        """Number of classes actually formed."""
        return len(self.uppers)

    def bounds(self) -> list[tuple[float, float]]:
        """(lower, upper) of each class (none when no value is shown at all)."""
        if not self.uppers:
            return []
        lowers = [self.lower, *self.uppers[:-1]]
        return list(zip(lowers, self.uppers, strict=True))


@dataclass(frozen=True)
class TiesFallback:
    """Quantiles collapsed on a frequent value: it became a class of its own.

    ``count`` of ``total`` values equal ``value``; quantiles gave only
    ``collapsed`` classes instead of the ``requested`` ones; the other values are
    divided into quantiles around the value's class.
    """

    value: float
    count: int
    total: int
    requested: int
    collapsed: int


class ClassificationError(ValueError):
    """Bad classification parameters (shown to the user)."""


def classify(
    values: np.ndarray,
    method: str = "quantiles",
    k: int = 5,
    *,
    manual_breaks: list[float] | None = None,
    sd_multiples: list[float] | None = None,
    zero_break: bool = False,
) -> Classification:
    """Classify ``values`` (NaN = no value) into at most ``k`` classes."""
    if method not in METHODS:
        raise ClassificationError(f"Unbekannte Klassifikation „{method}“.")
    if not MIN_CLASSES <= k <= MAX_CLASSES and method not in ("manual", "std_mean"):
        raise ClassificationError(
            f"Die Klassenzahl muss zwischen {MIN_CLASSES} und {MAX_CLASSES} liegen."
        )
    values = np.asarray(values, dtype=np.float64)
    valid = np.isfinite(values)
    y = values[valid]
    if y.size == 0:
        return Classification(method, None, [], np.full(values.size, -1, dtype=np.int16), [])
    distinct, frequency = np.unique(y, return_counts=True)
    fallback = None
    if distinct.size == 1:
        uppers = [float(distinct[0])]
    elif distinct.size <= k and method not in ("manual", "std_mean"):
        uppers = [float(v) for v in distinct]  # one class per distinct value
    else:
        with warnings.catch_warnings():  # mapclassify warns about ties; fewer classes are fine
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)  # its fit statistics may overflow
            uppers = _uppers(y, method, k, manual_breaks, sd_multiples)
            if method == "quantiles" and len(uppers) < k:
                uppers, fallback = _quantiles_around_ties(y, k, distinct, frequency, len(uppers))
    if zero_break and y.min() < 0 < y.max() and 0.0 not in uppers:
        uppers = sorted([*uppers, 0.0])
    classes = np.full(values.size, -1, dtype=np.int16)
    classes[valid] = np.searchsorted(np.asarray(uppers), y, side="left")
    counts = np.bincount(classes[valid], minlength=len(uppers)).tolist()
    return Classification(method, float(y.min()), uppers, classes, counts, fallback)


def _quantiles_around_ties(y, k, distinct, frequency, collapsed):
    """The most frequent value as a class of its own, quantiles below and above it.

    The ``k - 1`` other classes are shared between the values below and above
    the frequent value in proportion to their numbers (at least one for a side
    that has values). Returns the uppers and the :class:`TiesFallback`.
    """
    tied = float(distinct[np.argmax(frequency)])
    below, above = y[y < tied], y[y > tied]
    rest = k - 1
    k_below = 0 if below.size == 0 else max(1, round(rest * below.size / (below.size + above.size)))
    k_below = min(k_below, rest - (1 if above.size else 0))
    k_above = rest - k_below if above.size else 0
    uppers = {tied}
    for part, parts in ((below, k_below), (above, k_above)):
        if part.size and parts:
            bins = quantile_breaks(part, k=min(parts, np.unique(part).size))
            uppers.update(float(b) for b in bins)
    count = int(frequency.max())
    return sorted(uppers), TiesFallback(tied, count, int(y.size), k, collapsed)


def _natural_breaks(y: np.ndarray, k: int, mapclassify) -> np.ndarray:
    """Fisher-Jenks breaks; on large data computed on quantiles, then refined.

    Each break found on the quantile sample lies between two neighbouring
    sample points; within that stretch of the full data it is moved to the
    value before the widest gap, where the exact method would put it.
    """
    if y.size <= JENKS_SAMPLE:
        return mapclassify.FisherJenks(y, k=k).bins
    ordered = np.sort(y)
    sample = np.quantile(ordered, np.linspace(0, 1, JENKS_SAMPLE))
    # Data dominated by a few values (e.g. mostly zeros) can have more distinct values
    # than classes, yet fewer in the sample: then fewer classes, as with ties elsewhere.
    # The sample always holds the minimum and the maximum, so at least two remain.
    k = min(k, np.unique(sample).size)
    refined = []
    for b in mapclassify.FisherJenks(sample, k=k).bins[:-1]:
        i = int(np.searchsorted(sample, b, side="right"))
        upper = sample[i] if i < sample.size else b
        stretch = ordered[(ordered >= b) & (ordered <= upper)]
        refined.append(float(stretch[np.argmax(np.diff(stretch))]) if stretch.size > 1 else b)
    return np.array([*refined, ordered[-1]])


def _equal_interval(y: np.ndarray, k: int) -> np.ndarray:
    """``k`` classes of equal width from the minimum to the maximum.

    The definition of mapclassify's EqualInterval, computed without its
    ``np.arange`` (which fails when the width is below the values' precision or
    the range overflows); weights of the two ends keep every break finite.
    """
    bottom, top = float(y.min()), float(y.max())
    share = np.arange(1, k + 1) / k
    return bottom * (1 - share) + top * share


def quantile_breaks(y: np.ndarray, k: int) -> np.ndarray:
    """The upper bounds of ``k`` quantile classes of ``y``, as mapclassify's ``Quantiles``.

    Its definition: the scores at the percentiles 100/k, 200/k, … 100 by scipy's
    ``scoreatpercentile`` (linear interpolation between the two neighbouring
    sorted values, weighted by the fraction of the index), duplicates removed —
    so ties give fewer classes. Computed in the same floating-point steps, so
    the breaks are identical to the last bit (class membership depends on it).
    """
    ordered = np.sort(np.asarray(y, dtype=np.float64).ravel())
    width = 100.0 / k
    percents = np.arange(width, 100 + width, width)
    if percents[-1] > 100.0:
        percents[-1] = 100.0
    index = percents / 100.0 * (ordered.size - 1)
    below = index.astype(np.int64)  # int(): the index is never negative
    above = np.minimum(below + 1, ordered.size - 1)
    weight_below = (below + 1) - index
    weight_above = index - below
    scores = (ordered[below] * weight_below + ordered[above] * weight_above) / (
        weight_below + weight_above
    )
    whole = below == index
    scores[whole] = ordered[below[whole]]
    return np.unique(scores)


def std_mean_breaks(y: np.ndarray, multiples: list[float]) -> np.ndarray:
    """Breaks at the mean plus multiples of the standard deviation (mapclassify's ``StdMean``).

    The sample standard deviation (ddof=1), as Berlin's MSS uses it; the maximum
    closes the last class when it lies above the last break.
    """
    y = np.asarray(y, dtype=np.float64)
    spread = y.std(ddof=1)
    mean = y.mean()
    cuts = [mean + spread * w for w in multiples]
    top = y.max()
    if cuts[-1] < top:
        cuts.append(top)
    return np.array(cuts)


def _uppers(y, method, k, manual_breaks, sd_multiples) -> list[float]:
    top = float(y.max())
    if method == "quantiles":
        bins = quantile_breaks(y, k)
    elif method == "equal_interval":
        bins = _equal_interval(y, k)
    elif method == "natural_breaks":
        from quartier.core import jitcache

        # imported on first use: its imports take seconds (see the module's docstring)
        bins = _natural_breaks(y, k, jitcache.mapclassify())
    elif method == "std_mean":
        multiples = sorted(sd_multiples or DEFAULT_SD_MULTIPLES)
        if len(multiples) + 1 > MAX_CLASSES:
            raise ClassificationError(
                f"Höchstens {MAX_CLASSES - 1} Vielfache der Standardabweichung."
            )
        if float(np.std(y)) == 0.0:
            return [top]
        bins = std_mean_breaks(y, multiples)
    else:
        breaks = sorted({float(b) for b in (manual_breaks or [])})
        if not breaks:
            raise ClassificationError("Bitte mindestens eine Klassengrenze angeben.")
        if len(breaks) + 1 > MAX_CLASSES:
            raise ClassificationError(f"Höchstens {MAX_CLASSES - 1} Klassengrenzen.")
        bins = np.array(breaks)
    # Breaks outside the data range would only make empty, oddly bounded classes.
    bottom = float(y.min())
    uppers = sorted({float(b) for b in bins if bottom <= b < top})
    return [*uppers, top]


def classify_categories(values: np.ndarray, codes: list[float]) -> Classification:
    """One class per category code (for types and index classes); other values get -1."""
    values = np.asarray(values, dtype=np.float64)
    codes = [float(c) for c in codes]
    classes = np.full(values.size, -1, dtype=np.int16)
    for i, code in enumerate(codes):
        classes[values == code] = i
    counts = [int((classes == i).sum()) for i in range(len(codes))]
    lower = codes[0] if codes else None
    return Classification("categories", lower, codes, classes, counts)
