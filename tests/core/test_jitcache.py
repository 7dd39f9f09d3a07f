"""numba's disk cache for mapclassify and esda (quartier.core.jitcache), without numba itself."""

from __future__ import annotations

import pytest

from quartier.core import jitcache


def _fake_jit(place_for_cache: bool, seen: list):
    """A stand-in for numba.njit: both of its forms, refusing ``cache=True`` like numba can."""

    def compile_(function, cache):
        seen.append(cache)
        if cache and not place_for_cache:
            raise RuntimeError("cannot cache function: no locator available for file")
        return ("compiled", function.__name__, cache)

    def njit(*args, cache=False, **options):
        if args and callable(args[0]):
            return compile_(args[0], cache)
        return lambda function: compile_(function, cache)

    return njit


def kernel(x):
    return x


@pytest.mark.parametrize("form", ["function", "signature", "options"])
def test_functions_are_compiled_with_the_cache_on(form):
    seen = []
    njit = jitcache._caching(_fake_jit(True, seen))
    made = {
        "function": lambda: njit(kernel),
        "signature": lambda: njit("f8(f8)")(kernel),
        "options": lambda: njit(fastmath=True)(kernel),
    }[form]()
    assert made == ("compiled", "kernel", True) and seen == [True]


@pytest.mark.parametrize("form", ["function", "signature"])
def test_without_a_place_for_the_cache_functions_compile_as_before(form):
    seen = []
    njit = jitcache._caching(_fake_jit(False, seen))
    made = njit(kernel) if form == "function" else njit("f8(f8)")(kernel)
    assert made == ("compiled", "kernel", False) and seen == [True, False]


def test_a_caller_that_says_cache_false_is_obeyed():
    seen = []
    njit = jitcache._caching(_fake_jit(True, seen))
    assert njit(kernel, cache=False) == ("compiled", "kernel", False)


def test_enabling_twice_wraps_numba_once():
    import numba

    jitcache.enable()
    once = numba.njit
    jitcache.enable()
    assert numba.njit is once and once.caches_on_disk
