"""Protected series kept between requests, for the read layer only.

A profile asks for every visible indicator over every period at three levels
(the area's, its parent's, the city's): more than a thousand results, each
computed (cached by :mod:`~.compute`) and then protected (masks cached by
:mod:`~.disclosure`). Working out both cache keys and applying the mask per
result took most of a profile page (issue 15: a profile page in 100 ms), and the
next profile of the same level asks the same again.

So the protected results of a whole series are kept (in :func:`store.remembered`,
within its memory bound), keyed by everything they are made from:

* the indicator's definition (:func:`compute.definition`) and its ``confidential`` flag,
* the level, the periods and the pinned area index,
* the data state (every indicator's stamp: any write of values is a new key),
* the version of sums, thresholds and mask inputs (:func:`families.relations`,
  which covers what masks are computed from),
* whether the user sees the values unprotected (the only thing of the user
  :func:`disclosure.protect` reads), and
* a generation that :func:`disclosure.clear` raises with the masks it forgets.

Nothing built under a stale data state is kept (``store.remembered``). Results
carry a ``memo`` shared by every copy of them, for what is derived from their
values alone (e.g. ranks).
"""

from __future__ import annotations

import itertools
from datetime import date

from quartier.indicators import datastate, families, store
from quartier.indicators.compute import AreaValues, definition
from quartier.indicators.models import Indicator
from quartier.spatial.index import AreaIndex
from quartier.spatial.models import Level

# Raised by :func:`forget`: every key made before is never asked for again.
_generation = itertools.count()
_current = [next(_generation)]


def forget() -> None:
    """Never use the series kept so far (the protection masks were forgotten)."""
    _current[0] = next(_generation)


def generation() -> int:
    """The generation of kept series: moves on whenever protection masks were forgotten."""
    return _current[0]


def key(
    index: AreaIndex, indicator: Indicator, level: Level, periods: list[date], unprotected: bool
) -> tuple:
    """The cache key of ``indicator``'s protected series (see the module's docstring)."""
    return (
        "protected",
        definition(indicator),
        indicator.confidential,
        unprotected,
        level.id,
        tuple(periods),
        index.version,
        datastate.current().version,
        families.relations().version,
        _current[0],
    )


def remembered(cache_key: tuple, indicator: Indicator, build) -> list[AreaValues]:
    """``build()``'s protected results for ``cache_key``, naming ``indicator``.

    ``build`` returns (computed, protected) result pairs; only the arrays protection
    made anew count against the memory bound (the others are the computed results').
    """
    results = store.remembered(cache_key, lambda: _kept(build()), _new_bytes)
    return [r if r.indicator is indicator else _named(r, indicator) for r in results]


def memo(result: AreaValues) -> dict:
    """A dict shared by ``result`` and every copy of it (empty for results not kept here)."""
    return result.__dict__.get("memo", {})


def _kept(pairs: list[tuple[AreaValues, AreaValues]]) -> tuple[AreaValues, ...]:
    out = []
    for computed, protected in pairs:
        result = _named(protected, protected.indicator)  # never mark another cache's object
        new = 0
        for name in ("values", "status", "complete", "area_ids", "numerator", "denominator"):
            array = getattr(result, name)
            if array is not None and array is not getattr(computed, name):
                array.flags.writeable = False  # shared between requests: nobody changes it
                new += array.nbytes
        result.__dict__["memo"] = {}
        result.__dict__["new_bytes"] = new
        result.confidential  # noqa: B018  (cached_property, worked out once for all copies)
        out.append(result)
    return tuple(out)


def _new_bytes(results: tuple[AreaValues, ...]) -> int:
    return sum(r.__dict__["new_bytes"] for r in results) + 200 * len(results)


def _named(result: AreaValues, indicator: Indicator) -> AreaValues:
    """``result`` naming ``indicator`` (its name or unit may have been edited): a shallow copy."""
    copy = object.__new__(AreaValues)
    copy.__dict__.update(result.__dict__)
    copy.__dict__["indicator"] = indicator
    return copy
