"""Composite social indices ("gestuftes Indexverfahren") — plain numpy, no Django.

An index combines several indicators per area in four steps:

1. standardise every component over the areas that take part ("z", "minmax" or "rank");
2. combine the standardised components (weighted sum or weighted mean);
3. optionally z-standardise the combined score again (the Berlin MSS does);
4. classify the score: by standard deviations with explicit boundary rules, by quantiles,
   or not at all.

Areas that take part
    An area takes part when it is not excluded by the caller (e.g. "fewer than 300
    residents") and has a finite value for every component. All statistics (mean, SD,
    min, max, ranks) use only these areas; the others get score NaN and class 0. A
    missing component is never imputed, because any imputed value would shift the mean
    and SD of every other area.

Standard deviation
    ``ddof=0`` (population SD, divisor n) is the default. Evidence from the publisher's own
    single-indicator classes of the Berlin MSS 2021 is documented in
    :mod:`quartier.core.mss`: ddof=0 reproduces 9,646 of 9,648 published classes, ddof=1
    only 9,639.

Constant component
    A component with the same value in every participating area has SD 0 (or range 0), so
    its z-score (min-max value) is undefined. We raise :class:`QuartierError` naming the
    indicator instead of silently treating it as 0: a constant indicator almost always
    means a data error (a wrong import, a filter that removed all variation), and an index
    quietly built from fewer components would be misleading. Rank standardisation is
    defined for ties (every area gets 0.5) and does not raise.

Boundary rules of SD classes
    ``inclusive`` holds one entry per class saying which of its own bounds the class
    contains: ``"left"`` (lower ≤ x < upper), ``"right"`` (lower < x ≤ upper),
    ``"both"`` or ``"neither"``. The open ends −∞ and +∞ are never reached, so their side
    does not matter. At every break exactly one of the two neighbouring classes must
    contain it, otherwise a value on the break would get no class or two classes; this is
    checked. The MSS rules "x < −1 | −1 ≤ x ≤ +1 | +1 < x ≤ +1.5 | x > +1.5" are
    ``breaks=(-1, 1, 1.5)``, ``inclusive=("left", "both", "right", "right")``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from quartier.errors import QuartierError

STANDARDISE_METHODS = ("z", "minmax", "rank")
COMBINE_METHODS = ("sum", "mean")
CLASSIFY_METHODS = ("sd", "quantiles", "none")
SIDES = ("left", "right", "both", "neither")
# Values closer than this to a break (in SD units) count as lying on it: standardising
# data whose z-score is exactly 1 in theory can give 0.9999999999999998 in floating point,
# and such noise must not decide a class. Real MSS values lie at least 6e-5 SD from a break.
BOUNDARY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Component:
    """One indicator in an index: its key, its direction and its weight.

    ``direction`` is +1 when a higher value means more need (the index rises with it) and
    -1 when the indicator is reversed (e.g. an employment rate in a deprivation index).
    """

    key: str
    direction: int = 1
    weight: float = 1.0


@dataclass(frozen=True)
class IndexSpec:
    """How an index is built from its components (see the module docstring)."""

    components: tuple[Component, ...]
    standardise: str = "z"
    combine: str = "sum"
    restandardise: bool = True
    classify: str = "sd"
    sd_breaks: tuple[float, ...] = (-1.0, 1.0, 1.5)
    inclusive: tuple[str, ...] = ("left", "both", "right", "right")
    quantiles: int = 4
    labels: tuple[str, ...] = ()
    ddof: int = 0


@dataclass
class IndexResult:
    """Score and class of every area, plus the statistics needed to explain them.

    ``score`` is the final index (re-standardised when the spec says so); ``raw`` is the
    combined score before re-standardisation (the MSS "Statussumme"); ``mean`` and ``sd``
    describe ``raw`` over the participating areas. ``classes`` are 1..k, 0 for areas
    without a class. ``standardised`` holds each component after standardisation and
    direction (the published "z-Werte").
    """

    score: np.ndarray
    classes: np.ndarray
    labels: list[str]
    included: np.ndarray
    mean: float
    sd: float
    raw: np.ndarray = field(default_factory=lambda: np.empty(0))
    standardised: dict[str, np.ndarray] = field(default_factory=dict)

    def class_labels(self) -> list[str | None]:
        """The label of every area's class, ``None`` for areas without a class."""
        return [self.labels[c - 1] if c > 0 else None for c in self.classes.tolist()]

    def counts(self) -> dict[str, int]:
        """How many areas fall into each class, in class order."""
        return {lab: int((self.classes == i + 1).sum()) for i, lab in enumerate(self.labels)}


def _participants(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    ok = np.isfinite(values)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != values.shape:
            raise QuartierError("Die Gebietsauswahl passt nicht zur Zahl der Werte.")
        ok &= mask
    return ok


def standardise(
    values: np.ndarray,
    method: str,
    ddof: int = 0,
    mask: np.ndarray | None = None,
    *,
    name: str = "",
) -> np.ndarray:
    """Standardise ``values`` over the areas in ``mask`` that have a finite value.

    ``"z"``: (x − mean) / SD with the given ``ddof``; ``"minmax"``: (x − min) / (max − min),
    range 0..1; ``"rank"``: (rank − 1) / (n − 1) with average ranks for ties, range 0..1.
    Areas outside the mask or without a value get NaN. ``name`` names the indicator in
    error messages.
    """
    if method not in STANDARDISE_METHODS:
        raise QuartierError(f"Unbekannte Standardisierung „{method}“ (z, minmax oder rank).")
    x = np.asarray(values, dtype=np.float64)
    ok = _participants(x, mask)
    prefix = f"„{name}“: " if name else ""
    if ok.sum() < 2:
        raise QuartierError(
            f"{prefix}Für eine Standardisierung sind mindestens zwei Gebiete nötig."
        )
    y = x[ok]
    if method == "z":
        spread = float(np.std(y, ddof=ddof))
        scaled = (y - y.mean()) / spread if spread > 0 else None
    elif method == "minmax":
        spread = float(y.max() - y.min())
        scaled = (y - y.min()) / spread if spread > 0 else None
    else:
        from scipy.stats import rankdata

        scaled = (rankdata(y, method="average") - 1.0) / (y.size - 1)
    if scaled is None:
        raise QuartierError(
            f"{prefix}Alle betrachteten Gebiete haben denselben Wert; "
            "eine Standardisierung ist dann nicht definiert."
        )
    out = np.full(x.shape, np.nan)
    out[ok] = scaled
    return out


def _check_spec(spec: IndexSpec) -> None:
    if not spec.components:
        raise QuartierError("Ein Index braucht mindestens einen Indikator.")
    keys = [c.key for c in spec.components]
    if len(set(keys)) != len(keys):
        raise QuartierError("Jeder Indikator darf im Index nur einmal vorkommen.")
    for c in spec.components:
        if c.direction not in (1, -1):
            raise QuartierError(f"„{c.key}“: Die Richtung muss +1 oder −1 sein.")
        if not np.isfinite(c.weight) or c.weight < 0:
            raise QuartierError(f"„{c.key}“: Das Gewicht muss eine Zahl ≥ 0 sein.")
    if sum(c.weight for c in spec.components) <= 0:
        raise QuartierError("Mindestens ein Indikator braucht ein Gewicht über 0.")
    if spec.combine not in COMBINE_METHODS:
        raise QuartierError(f"Unbekannte Verknüpfung „{spec.combine}“ (sum oder mean).")
    if spec.classify not in CLASSIFY_METHODS:
        raise QuartierError(f"Unbekannte Klassenbildung „{spec.classify}“.")
    k = _class_count(spec)
    if spec.labels and len(spec.labels) != k:
        raise QuartierError(
            f"Es werden {k} Klassenbezeichnungen benötigt, nicht {len(spec.labels)}."
        )


def _class_count(spec: IndexSpec) -> int:
    if spec.classify == "sd":
        return len(spec.sd_breaks) + 1
    if spec.classify == "quantiles":
        return spec.quantiles
    return 0


def _stack(values: dict[str, np.ndarray], spec: IndexSpec) -> dict[str, np.ndarray]:
    arrays = {}
    for c in spec.components:
        if c.key not in values:
            raise QuartierError(f"Für den Indikator „{c.key}“ fehlen die Werte.")
        arrays[c.key] = np.asarray(values[c.key], dtype=np.float64)
    sizes = {a.shape for a in arrays.values()}
    if len(sizes) != 1 or len(next(iter(sizes))) != 1:
        raise QuartierError("Alle Indikatoren brauchen je einen Wert für dieselben Gebiete.")
    return arrays


def _oriented(z: np.ndarray, direction: int, method: str) -> np.ndarray:
    """Apply the direction: −z for z-scores, 1 − v for the 0..1 scales (keeps their range)."""
    if direction == 1:
        return z
    return -z if method == "z" else 1.0 - z


def compute_index(
    values: dict[str, np.ndarray], spec: IndexSpec, exclude: np.ndarray | None = None
) -> IndexResult:
    """Build the index ``spec`` from ``values`` (indicator key → array over areas, NaN = missing).

    Areas with ``exclude[i]`` True or any missing component take no part: they are left
    out of every statistic and get score NaN and class 0.
    """
    _check_spec(spec)
    arrays = _stack(values, spec)
    n = next(iter(arrays.values())).size
    included = np.ones(n, dtype=bool)
    if exclude is not None:
        exclude = np.asarray(exclude, dtype=bool)
        if exclude.shape != (n,):
            raise QuartierError("Die Ausschlussliste passt nicht zur Zahl der Gebiete.")
        included &= ~exclude
    for a in arrays.values():
        included &= np.isfinite(a)
    parts = {
        c.key: _oriented(
            standardise(arrays[c.key], spec.standardise, spec.ddof, included, name=c.key),
            c.direction,
            spec.standardise,
        )
        for c in spec.components
    }
    raw = sum(c.weight * parts[c.key] for c in spec.components)
    if spec.combine == "mean":
        raw = raw / sum(c.weight for c in spec.components)
    mean, sd = float(raw[included].mean()), float(raw[included].std(ddof=spec.ddof))
    score = (
        standardise(raw, "z", spec.ddof, included, name="Indexsumme") if spec.restandardise else raw
    )
    classes = _classes(score, included, spec)
    labels = list(spec.labels) or [f"Klasse {i}" for i in range(1, _class_count(spec) + 1)]
    return IndexResult(score, classes, labels, included, mean, sd, raw, parts)


def _classes(score: np.ndarray, included: np.ndarray, spec: IndexSpec) -> np.ndarray:
    if spec.classify == "none":
        return np.zeros(score.size, dtype=np.int16)
    if spec.classify == "quantiles":
        return classify_quantiles(score, spec.quantiles)
    # SD classes are defined in SD units around the mean; without re-standardisation the
    # score is brought to that scale for the classification only.
    z = score if spec.restandardise else standardise(score, "z", spec.ddof, included)
    return classify_sd(z, spec.sd_breaks, spec.inclusive)


def _check_breaks(breaks: tuple[float, ...], inclusive: tuple[str, ...]) -> None:
    if len(inclusive) != len(breaks) + 1:
        raise QuartierError(
            f"Für {len(breaks)} Klassengrenzen werden {len(breaks) + 1} Randregeln benötigt."
        )
    if any(side not in SIDES for side in inclusive):
        raise QuartierError("Randregeln sind „left“, „right“, „both“ oder „neither“.")
    if any(b >= a for b, a in zip(breaks, breaks[1:], strict=False)) or not all(
        np.isfinite(breaks)
    ):
        raise QuartierError("Die Klassengrenzen müssen endlich und streng aufsteigend sein.")
    for i, b in enumerate(breaks):
        below = inclusive[i] in ("right", "both")
        above = inclusive[i + 1] in ("left", "both")
        if below == above:
            which = "beiden Klassen" if below else "keiner Klasse"
            raise QuartierError(f"Ein Wert genau auf der Grenze {b:g} gehörte zu {which}.")


def classify_sd(
    x: np.ndarray,
    breaks: tuple[float, ...] = (-1.0, 1.0, 1.5),
    inclusive: tuple[str, ...] = ("left", "both", "right", "right"),
) -> np.ndarray:
    """Classes 1..len(breaks)+1 of values already in SD units (z-scores); 0 for NaN.

    ``inclusive[j]`` says which of its own bounds class j+1 contains (see the module
    docstring). Values within ``BOUNDARY_TOLERANCE`` of a break count as on the break.
    """
    breaks = tuple(float(b) for b in breaks)
    _check_breaks(breaks, tuple(inclusive))
    z = np.asarray(x, dtype=np.float64).copy()
    ok = np.isfinite(z)
    for b in breaks:
        z[ok & (np.abs(z - b) <= BOUNDARY_TOLERANCE)] = b
    bounds = [-np.inf, *breaks, np.inf]
    classes = np.zeros(z.size, dtype=np.int16)
    for j, side in enumerate(inclusive):
        lower, upper = bounds[j], bounds[j + 1]
        above = z >= lower if side in ("left", "both") else z > lower
        below = z <= upper if side in ("right", "both") else z < upper
        classes[ok & above & below] = j + 1
    return classes


def classify_quantiles(x: np.ndarray, k: int = 4) -> np.ndarray:
    """Quantile classes 1..k of the finite values (0 for NaN), computed with mapclassify.

    Classes are upper-inclusive as in mapclassify (lower < x ≤ upper). Ties can make a
    quantile break repeat; repeated breaks are merged, so fewer than k classes may occur.
    """
    if not isinstance(k, int | np.integer) or k < 2:
        raise QuartierError("Für Quantilklassen werden mindestens zwei Klassen benötigt.")
    values = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(values)
    classes = np.zeros(values.size, dtype=np.int16)
    if not ok.any():
        return classes
    from quartier.core import jitcache

    mapclassify = jitcache.mapclassify()  # imported late: it compiles numba code on import

    with warnings.catch_warnings():  # mapclassify warns about ties; merged classes are fine
        warnings.simplefilter("ignore", UserWarning)
        bins = np.unique(mapclassify.Quantiles(values[ok], k=k).bins)
    classes[ok] = np.searchsorted(bins, values[ok], side="left") + 1
    return classes


def parse_break_rules(text: str) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """Breaks and boundary rules from a planner's notation such as ``"< -1; ≤ 1; ≤ 1,5"``.

    Each entry is the upper limit of one class, read from the lowest class upwards: ``<``
    means a value exactly on the break belongs to the next class, ``≤`` (or ``<=``) that it
    stays in this one. The last class is everything above the last break. Decimal commas
    are accepted. Returns ``(breaks, inclusive)`` as :func:`classify_sd` expects them.
    """
    breaks, closed_below = [], []
    for part in (p.strip() for p in text.replace("\u2212", "-").split(";")):
        if not part:
            continue
        if part.startswith(("≤", "<=")):
            closed, number = True, part.lstrip("≤<=")
        elif part.startswith("<"):
            closed, number = False, part[1:]
        else:
            raise QuartierError(
                f"„{part}“: Jede Klassengrenze beginnt mit < oder ≤, z. B. „< -1; ≤ 1; ≤ 1,5“."
            )
        try:
            breaks.append(float(number.strip().replace(",", ".")))
        except ValueError:
            raise QuartierError(f"„{part}“ ist keine Zahl.") from None
        closed_below.append(closed)
    if not breaks:
        raise QuartierError("Bitte mindestens eine Klassengrenze angeben.")
    inclusive = []
    for j in range(len(breaks) + 1):
        # Does the break below (above) belong to this class? The open ends −∞/+∞ are never
        # reached; counting them as closed gives the MSS notation ("left", …, "right").
        left = j == 0 or not closed_below[j - 1]
        right = j == len(breaks) or closed_below[j]
        inclusive.append(
            {(True, True): "both", (True, False): "left", (False, True): "right"}.get(
                (left, right), "neither"
            )
        )
    _check_breaks(tuple(breaks), tuple(inclusive))
    return tuple(breaks), tuple(inclusive)


def format_break_rules(
    breaks: tuple[float, ...],
    inclusive: tuple[str, ...],
    number: Callable[[float], str] = lambda b: f"{b:g}".replace(".", ","),
) -> str:
    """The inverse of :func:`parse_break_rules`, e.g. ``"< -1; ≤ 1; ≤ 1,5"``.

    ``number`` writes each break (German notation by default; a description in the
    page's language passes its own).
    """
    return "; ".join(
        f"{'≤' if inclusive[j] in ('right', 'both') else '<'} {number(b)}"
        for j, b in enumerate(breaks)
    )
