"""numba's compile cache on disk for the libraries that compile with numba.

mapclassify compiles its Fisher-Jenks kernel when it is imported (about 3 s of
CPU on a 2-core machine, paid by every new server process before its first
map), esda its statistics on first use; neither asks numba to keep the machine
code. After :func:`enable`, numba's ``njit`` and ``jit`` cache by default, so a
process loads what an earlier one compiled (0.2 s instead of 3 s for
mapclassify). numba keeps the cache beside the library's sources, or — when
those are read-only — in ``NUMBA_CACHE_DIR`` or the user's cache directory, and
compiles again when a source file or numba itself changes. What numba cannot
cache (esda's randomisation takes a compiled function as an argument) still
compiles in every process, as before.

Call :func:`enable` before importing mapclassify, esda or libpysal: the
decorators run when those modules are imported.
"""

from __future__ import annotations

import functools
import inspect
import threading
import warnings

_lock = threading.Lock()


def _caching(decorator):
    """``decorator`` (numba's njit or jit) with ``cache=True`` unless the caller says otherwise.

    numba refuses to cache (RuntimeError) when it finds no writable directory for the
    cache; then the function is compiled as it would have been without this module.
    """

    @functools.wraps(decorator)
    def with_cache(*args, **kwargs):
        if "cache" in kwargs:
            return decorator(*args, **kwargs)
        try:
            made = decorator(*args, cache=True, **kwargs)
        except RuntimeError:  # njit(function): no place for the cache
            return decorator(*args, **kwargs)
        if not inspect.isfunction(made):
            return made  # a dispatcher: the function was given
        # A decorator waiting for its function (njit(signature) or njit(**options)).

        def apply(function):
            try:
                return made(function)
            except RuntimeError:
                return decorator(*args, **kwargs)(function)

        return apply

    with_cache.caches_on_disk = True
    return with_cache


def enable() -> None:
    """Make numba's ``njit`` and ``jit`` keep compiled code on disk unless told otherwise."""
    import numba
    from numba.core.errors import NumbaWarning

    with _lock:
        if getattr(numba.njit, "caches_on_disk", False):
            return
        numba.njit = _caching(numba.njit)
        numba.jit = _caching(numba.jit)
        # "Cannot cache compiled function …": such functions compile as before; say it once.
        warnings.filterwarnings("ignore", "Cannot cache compiled function", NumbaWarning)


def mapclassify():
    """The mapclassify module, imported with the compile cache on."""
    enable()
    import mapclassify

    return mapclassify
