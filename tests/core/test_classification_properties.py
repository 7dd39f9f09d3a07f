"""Properties of every classification: any data a map can show gives classes, never an error.

Found in a load test: a level whose values had few distinct values made natural
breaks fail (``ValueError`` from mapclassify), and the map answered 500. These
properties hold for no values, one value, a few distinct values, all values
equal, huge and tiny spreads, with missing values mixed in — for every method
and every allowed number of classes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from quartier.core.classification import (
    JENKS_SAMPLE,
    MAX_CLASSES,
    METHODS,
    MIN_CLASSES,
    classify,
    quantile_breaks,
    std_mean_breaks,
)

NAN = np.nan
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
small_ints = st.integers(-3, 3).map(float)  # few distinct values, many ties


@st.composite
def map_values(draw) -> np.ndarray:
    """Values of a level as the read layer gives them: numbers, NaN for not shown."""
    pool = draw(st.lists(st.one_of(finite, small_ints), min_size=1, max_size=8))
    size = draw(st.integers(0, 3 * JENKS_SAMPLE))
    picks = draw(st.lists(st.integers(0, len(pool)), min_size=size, max_size=size))
    return np.array([pool[i] if i < len(pool) else NAN for i in picks], dtype=float)


def check(values: np.ndarray, method: str, k: int, **options) -> None:
    c = classify(values, method, k, **options)
    valid = ~np.isnan(values)
    y = values[valid]
    assert c.classes.shape == values.shape
    assert (c.classes[~valid] == -1).all()
    assert sum(c.counts) == y.size and len(c.counts) == c.k == len(c.bounds())
    if y.size == 0:
        assert c.k == 0 and c.lower is None
        return
    assert c.uppers == sorted(set(c.uppers)) and c.uppers[-1] == y.max()
    assert c.lower == y.min() and (c.classes[valid] >= 0).all()
    uppers = np.asarray(c.uppers)
    assert (y <= uppers[c.classes[valid]]).all()  # upper-inclusive classes …
    above = c.classes[valid] > 0
    assert (y[above] > uppers[c.classes[valid][above] - 1]).all()  # … above the previous upper


@settings(max_examples=150, deadline=None)
@given(
    values=map_values(),
    method=st.sampled_from(METHODS),
    k=st.integers(MIN_CLASSES, MAX_CLASSES),
    zero_break=st.booleans(),
)
@example(values=np.full(5, NAN), method="quantiles", k=5, zero_break=False)
@example(values=np.array([NAN, 7.0, NAN]), method="natural_breaks", k=5, zero_break=False)
@example(  # the sample natural breaks run on had fewer distinct values than classes
    values=np.r_[np.zeros(4990), np.arange(1.0, 11.0)],
    method="natural_breaks",
    k=5,
    zero_break=False,
)
@example(values=np.array([-1e308, 1e308, 0.0, 1.0]), method="equal_interval", k=5, zero_break=True)
def test_every_method_classifies_any_values(values, method, k, zero_break):
    check(
        values,
        method,
        k,
        manual_breaks=[-1.0, 0.5, 2.0],
        sd_multiples=[-1.0, 1.0, 1.5],
        zero_break=zero_break,
    )


# Quantiles and standard deviations are computed by mapclassify's definitions without
# importing it (seconds of a new server's start); the breaks must be mapclassify's to the
# last bit, because a value equal to a break belongs to the class below it.
ratios = st.floats(0, 100, allow_nan=False, width=64)  # shares in %, the common case
samples = st.one_of(
    st.lists(finite, min_size=2, max_size=400),
    st.lists(small_ints, min_size=2, max_size=400),  # ties
    st.lists(ratios, min_size=2, max_size=2000),
    st.lists(st.integers(0, 50).map(float), min_size=2, max_size=2000),  # counts
).map(lambda values: np.array(values, dtype=float))


@settings(max_examples=300, deadline=None)
@given(y=samples, k=st.integers(2, MAX_CLASSES))
@example(y=np.arange(1000, dtype=float), k=4)
@example(y=np.arange(1000, dtype=float), k=3)  # 100/3 does not add up to 100 exactly
@example(y=np.array([0.1, 0.2, 0.3, 0.7, 0.9, 1.3, 2.2]), k=6)
def test_quantile_breaks_are_mapclassifys(y, k):
    from quartier.core import jitcache

    expected = jitcache.mapclassify().Quantiles(y, k=k).bins
    assert np.array_equal(quantile_breaks(y, k), expected)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # infinite spreads: NaN breaks, both
@settings(max_examples=300, deadline=None)
@given(
    y=samples.filter(lambda y: np.ptp(y) < 1e300),  # mapclassify overflows beyond
    multiples=st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=8, unique=True),
)
@example(y=np.array([1.0, 2.0, 4.0, 8.0, 16.0]), multiples=[-1.0, 1.0, 1.5])
def test_std_mean_breaks_are_mapclassifys(y, multiples):
    from quartier.core import jitcache

    multiples = sorted(multiples)
    expected = jitcache.mapclassify().StdMean(y, multiples=multiples).bins
    assert np.array_equal(std_mean_breaks(y, multiples), expected, equal_nan=True)


def test_classifying_for_a_map_does_not_import_mapclassify():
    """A new server process draws its first map without mapclassify's imports (seconds)."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from quartier.core.classification import classify\n"
        "y = np.r_[np.zeros(50), np.arange(200.0)]\n"
        "for method in ('quantiles', 'equal_interval', 'std_mean'):\n"
        "    classify(y, method, 5)\n"
        "classify(y, 'manual', 5, manual_breaks=[1, 10])\n"
        "print('mapclassify' in sys.modules, 'scipy.stats' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
