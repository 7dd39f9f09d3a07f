"""Spatial autocorrelation: queen contiguity, global Moran's I and local Moran (LISA).

The statistics come from esda/libpysal (ARCHITECTURE.md, principle 7); this module
only prepares the weights and makes real data safe:

* Areas with a missing value (NaN) and areas without a neighbour that has a value
  ("islands") are left out: the row-standardised weights are built on the remaining
  areas only, so an island neither crashes libpysal nor gets a meaningless zero lag.
  Excluded areas get NaN statistics and the quadrant ``""``.
* LISA quadrants are strings: ``"HH"``, ``"LL"``, ``"HL"``, ``"LH"`` for areas significant
  at ``significance`` (esda's one-sided pseudo p-value ``p_sim`` ≤ significance), ``"ns"`` for
  not significant and ``""`` for excluded areas.
* Results are reproducible for a given seed. ``esda.Moran`` draws its permutations
  from numpy's global random state, so that state is seeded under a lock and restored.

esda's conditional randomisation is compiled by numba on first use (10–30 s of
CPU; it takes a compiled function as an argument, which numba cannot keep in its
disk cache, :mod:`~quartier.core.jitcache`); a server calls :func:`warm_up` when
it is idle.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass

import numpy as np
import shapely

from quartier.core import jitcache
from quartier.errors import QuartierError

QUADRANTS = ("HH", "LH", "LL", "HL")  # esda's (PySAL) numbering q = 1, 2, 3, 4
NOT_SIGNIFICANT = "ns"
EXCLUDED = ""
MIN_AREAS = 3
MAX_PERMUTATIONS = 9999
_GLOBAL_RNG_LOCK = threading.Lock()


@dataclass
class MoranResult:
    """Global Moran's I with its permutation test.

    ``p_value`` is esda's one-sided pseudo p-value ``p_sim`` and ``z`` the z-value of I
    against the permutation distribution (``z_sim``); ``areas`` is the number of areas
    used (without missing values and islands).
    """

    I: float  # noqa: E741  (the statistic's name)
    expected: float
    p_value: float
    z: float
    permutations: int
    areas: int = 0


@dataclass
class LisaResult:
    """Local Moran per area; NaN / ``""`` where an area was excluded.

    ``quadrant`` holds ``"HH"``, ``"LL"``, ``"HL"``, ``"LH"`` (significant), ``"ns"``
    (not significant) or ``""`` (missing value or no neighbour with a value).
    """

    local_i: np.ndarray
    p_values: np.ndarray
    quadrant: np.ndarray
    significance: float
    permutations: int = 0

    @property
    def included(self) -> np.ndarray:
        """True for the areas that took part in the analysis."""
        return self.quadrant != EXCLUDED


def queen_neighbours(polygons: np.ndarray, tolerance: float = 0.0) -> list[list[int]]:
    """Queen contiguity: for every polygon the sorted positions of the polygons it touches.

    Two areas are neighbours when their geometries share at least one point (edge or
    corner) or overlap. On clean topology this equals libpysal's vertex-based
    ``Queen``; it additionally finds neighbours whose common border has a vertex on
    only one side (T-junctions) or slivers, as in many municipal shapefiles. With
    ``tolerance`` > 0 areas closer than that distance (in CRS units) also count,
    which bridges small digitising gaps. Empty or missing geometries have no neighbours.
    """
    geoms = np.asarray(polygons, dtype=object)
    tree = shapely.STRtree(geoms)
    if tolerance > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=tolerance)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    # Symmetrise: a predicate evaluated on imperfect geometry must not give a one-way link.
    pairs = np.unique(np.concatenate([np.c_[left, right], np.c_[right, left]]), axis=0)
    out: list[list[int]] = [[] for _ in range(len(geoms))]
    starts = np.searchsorted(pairs[:, 0], np.arange(len(geoms) + 1))
    for i in range(len(geoms)):
        out[i] = pairs[starts[i] : starts[i + 1], 1].tolist()
    return out


def _prepare(values, neighbours) -> tuple[np.ndarray, np.ndarray, object]:
    """Return (y, positions of used areas, row-standardised libpysal W on them)."""
    y = np.asarray(values, dtype=np.float64).ravel()
    if len(neighbours) != y.size:
        raise QuartierError(
            f"{y.size} Werte, aber Nachbarschaften für {len(neighbours)} Gebiete. / "
            "values and neighbours differ in length."
        )
    kept = _usable_neighbours(np.isfinite(y), neighbours)  # ±inf counts as missing
    used = np.fromiter(kept, dtype=np.int64, count=len(kept))
    if used.size < MIN_AREAS:
        raise QuartierError(
            f"Nur {used.size} Gebiete mit Wert und Nachbarn – zu wenige für die "
            "Autokorrelation. / Too few areas with values and neighbours."
        )
    if np.ptp(y[used]) == 0:
        raise QuartierError(
            "Alle Gebiete haben denselben Wert; die Autokorrelation ist nicht definiert. / "
            "All values are equal."
        )
    position = np.full(y.size, -1, dtype=np.int64)
    position[used] = np.arange(used.size)
    return y[used], used, _weights(kept, position)


def _usable_neighbours(has_value: np.ndarray, neighbours) -> dict[int, list[int]]:
    """Neighbour lists restricted to areas with a value and at least one such neighbour."""
    n = has_value.size
    kept: dict[int, list[int]] = {}
    for i in np.flatnonzero(has_value):
        nbs = [int(j) for j in neighbours[i] if j != i]
        if any(not 0 <= j < n for j in nbs):
            raise QuartierError(
                "Die Nachbarschaften verweisen auf unbekannte Gebiete. / Neighbour out of range."
            )
        nbs = [j for j in nbs if has_value[j]]
        if nbs:  # an area whose neighbours all lack values is an island here
            kept[int(i)] = nbs
    # With one-sided neighbour lists, dropping an island can strand another area; repeat
    # until stable (for symmetric lists, such as queen contiguity, one pass suffices).
    while any(j not in kept for nbs in kept.values() for j in nbs):
        kept = {i: [j for j in nbs if j in kept] for i, nbs in kept.items()}
        kept = {i: nbs for i, nbs in kept.items() if nbs}
    return kept


def _weights(kept: dict[int, list[int]], position: np.ndarray):
    jitcache.enable()  # before libpysal and esda are imported: their numba code is cached
    from libpysal.weights import W  # heavy import: only when a statistic is computed

    renumbered = {int(position[i]): [int(position[j]) for j in nbs] for i, nbs in kept.items()}
    # W has no islands (removed above); silencing only hides libpysal's note that the
    # areas form several disconnected groups, which is normal for a city with rivers.
    w = W(renumbered, silence_warnings=True)
    w.transform = "r"
    return w


def _check_permutations(permutations: int) -> None:
    if not 1 <= permutations <= MAX_PERMUTATIONS:
        raise QuartierError(
            f"Die Zahl der Permutationen muss zwischen 1 und {MAX_PERMUTATIONS} liegen. / "
            "permutations out of range."
        )


def moran(values, neighbours, permutations: int = 999, seed: int = 42) -> MoranResult:
    """Global Moran's I (esda.Moran) on row-standardised queen weights.

    ``values`` has one entry per area (NaN = missing); ``neighbours`` is the output of
    :func:`queen_neighbours` (or any symmetric neighbour lists). Missing values and
    islands are left out (see the module docstring).
    """
    _check_permutations(permutations)
    y, used, w = _prepare(values, neighbours)
    from esda.moran import Moran

    with _GLOBAL_RNG_LOCK:
        state = np.random.get_state()
        np.random.seed(seed)
        try:
            result = Moran(y, w, transformation="r", permutations=permutations)
        finally:
            np.random.set_state(state)  # do not disturb other users of the global RNG
    return MoranResult(
        I=float(result.I),
        expected=float(result.EI),
        p_value=float(result.p_sim),
        z=float(result.z_sim),
        permutations=int(permutations),
        areas=int(used.size),
    )


def lisa(
    values, neighbours, permutations: int = 999, significance: float = 0.05, seed: int = 42
) -> LisaResult:
    """Local Moran (esda.Moran_Local) with quadrants HH/LL/HL/LH, ``"ns"`` and ``""``.

    An area is significant when its pseudo p-value (esda ``p_sim``) is ≤ ``significance``.
    """
    _check_permutations(permutations)
    if not 0 < significance < 1:
        raise QuartierError(
            "Das Signifikanzniveau muss zwischen 0 und 1 liegen. / significance out of range."
        )
    y, used, w = _prepare(values, neighbours)
    from esda.moran import Moran_Local

    # n_jobs=1: esda's parallel path starts worker processes, too costly per request.
    # keep_simulations stays True: without it esda returns p-values as float32, and
    # 0.05 becomes 0.0500000007 > 0.05, which would flip areas to "not significant".
    with warnings.catch_warnings():
        # esda announces a future change of the default alternative; Moran_Local offers no
        # argument to choose it, and with keep_simulations it recomputes p_sim itself with
        # its documented one-sided rule (esda's "directed"), so the notice does not apply.
        warnings.simplefilter("ignore", DeprecationWarning)
        # esda's z_sim (not used here) is 0/0 where the simulated local I has no spread.
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        result = Moran_Local(
            y, w, transformation="r", permutations=permutations, n_jobs=1, seed=seed
        )
    n = np.asarray(values).size
    local_i = np.full(n, np.nan)
    p_values = np.full(n, np.nan)
    quadrant = np.full(n, EXCLUDED, dtype="<U2")
    local_i[used] = result.Is
    p_values[used] = result.p_sim
    labels = np.asarray(QUADRANTS)[np.asarray(result.q, dtype=np.int64) - 1]
    quadrant[used] = np.where(result.p_sim <= significance, labels, NOT_SIGNIFICANT)
    return LisaResult(local_i, p_values, quadrant, float(significance), int(permutations))


def warm_up() -> None:
    """Import esda/libpysal and compile esda's numba code once (call at server start)."""
    # A 4 × 4 grid of unit squares: small, but every code path of moran/lisa runs.
    squares = [shapely.box(x, y, x + 1, y + 1) for y in range(4) for x in range(4)]
    neighbours = queen_neighbours(np.asarray(squares, dtype=object))
    values = np.arange(16, dtype=np.float64) % 5
    moran(values, neighbours, permutations=9)
    lisa(values, neighbours, permutations=9)
