"""Rule-based flags for areas with special need (Handlungsbedarf).

A :class:`Rule` combines :class:`Condition` s on indicator time series, e.g. "child
poverty ≥ 1.5 × the city value AND rising over two years"::

    Rule((Condition("kinderarmut", ">=", 1.5, relative_to_city=True),
          Condition("kinderarmut", "rising", periods=2)))

Semantics:

* Comparisons (``>=``, ``>``, ``<=``, ``<``) use the last period. With
  ``relative_to_city`` the threshold is ``value × city value`` of the last period
  (``value`` None then means factor 1, "above the city value").
* ``rising`` / ``falling`` mean strictly monotonic over the last ``periods`` steps,
  i.e. the last ``periods + 1`` values; with ``relative_to_city`` the series of ratios
  area ÷ city is tested (the area moves away from the city, not just with it).
* Missing values use three-valued logic: a condition is unknown (-1) if a value it
  needs is NaN. ``"all"`` is 0 as soon as one condition is certainly false, else -1
  if one is unknown, else 1; ``"any"`` is 1 as soon as one is certainly true, else -1
  if one is unknown, else 0. So -1 appears only where the missing value matters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quartier.errors import QuartierError

COMPARISONS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
TRENDS = ("rising", "falling")
COMBINE = ("all", "any")
UNKNOWN = -1


@dataclass(frozen=True)
class Condition:
    """One test on an indicator; see the module docstring for the semantics."""

    indicator: str
    op: str
    value: float | None = None
    relative_to_city: bool = False
    periods: int = 2


@dataclass(frozen=True)
class Rule:
    """Conditions combined with ``"all"`` (and) or ``"any"`` (or)."""

    conditions: tuple[Condition, ...]
    combine: str = "all"


def evaluate(rule: Rule, series: dict[str, np.ndarray], city: dict[str, np.ndarray]) -> np.ndarray:
    """Flag every area: 1 = special need, 0 = not, -1 = a needed value is missing.

    ``series[key]`` is (n_periods, n_areas) with the evaluated period last;
    ``city[key]`` is (n_periods,) with the city values (only needed for conditions
    ``relative_to_city``).
    """
    if rule.combine not in COMBINE:
        raise QuartierError(
            f"Unbekannte Verknüpfung „{rule.combine}“ (erlaubt: all, any). / Unknown combine."
        )
    if not rule.conditions:
        raise QuartierError("Die Regel hat keine Bedingung. / The rule has no condition.")
    results = [_condition(c, series, city) for c in rule.conditions]
    sizes = {r.size for r in results}
    if len(sizes) != 1:
        raise QuartierError(
            "Die Indikatoren der Regel haben unterschiedlich viele Gebiete. / "
            "Indicators differ in the number of areas."
        )
    stacked = np.vstack(results)  # rows: conditions; 1 true, 0 false, -1 unknown
    decided, other = (0, 1) if rule.combine == "all" else (1, 0)
    flags = np.full(stacked.shape[1], other, dtype=np.int8)
    flags[(stacked == UNKNOWN).any(axis=0)] = UNKNOWN
    flags[(stacked == decided).any(axis=0)] = decided  # a decided condition wins over unknown
    return flags


def _condition(cond: Condition, series: dict, city: dict) -> np.ndarray:
    """1/0/-1 per area for one condition."""
    if cond.op not in COMPARISONS and cond.op not in TRENDS:
        raise QuartierError(
            f"Unbekannter Operator „{cond.op}“ (erlaubt: >=, >, <=, <, rising, falling). / "
            "Unknown operator."
        )
    values = _series(cond.indicator, series)
    city_values = _city(cond.indicator, city, values.shape[0]) if cond.relative_to_city else None
    if cond.op in COMPARISONS:
        return _compare(cond, values, None if city_values is None else city_values[-1])
    if city_values is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = values / city_values[:, None]
        values = np.where(city_values[:, None] != 0, ratio, np.nan)  # no ratio to a zero city
    return _trend(cond, values)


def _compare(cond: Condition, values: np.ndarray, city_last: np.ndarray | None) -> np.ndarray:
    if cond.value is None and city_last is None:
        raise QuartierError(
            f"Für „{cond.indicator} {cond.op}“ fehlt der Vergleichswert. / Missing value."
        )
    factor = 1.0 if cond.value is None else float(cond.value)
    threshold = factor * city_last if city_last is not None else np.asarray(factor)
    last = values[-1]
    known = ~np.isnan(last) & ~np.isnan(threshold)
    with np.errstate(invalid="ignore"):
        hit = COMPARISONS[cond.op](last, threshold)
    return np.where(known, hit.astype(np.int8), UNKNOWN).astype(np.int8)


def _trend(cond: Condition, values: np.ndarray) -> np.ndarray:
    if cond.value is not None:
        # A trend has no threshold; refusing one avoids a rule that silently ignores it.
        raise QuartierError(
            f"„{cond.op}“ nimmt keinen Vergleichswert. / '{cond.op}' takes no value."
        )
    if isinstance(cond.periods, bool) or not isinstance(cond.periods, int) or cond.periods < 1:
        raise QuartierError("Die Zahl der Schritte muss mindestens 1 sein. / periods must be ≥ 1.")
    if values.shape[0] < cond.periods + 1:
        raise QuartierError(
            f"„{cond.indicator} {cond.op}“ über {cond.periods} Schritte braucht "
            f"{cond.periods + 1} Zeitpunkte, vorhanden sind {values.shape[0]}. / "
            "Not enough periods."
        )
    window = values[-(cond.periods + 1) :]
    steps = np.diff(window, axis=0)
    known = ~np.isnan(window).any(axis=0)
    with np.errstate(invalid="ignore"):
        hit = (steps > 0).all(axis=0) if cond.op == "rising" else (steps < 0).all(axis=0)
    return np.where(known, hit.astype(np.int8), UNKNOWN).astype(np.int8)


def _series(indicator: str, series: dict) -> np.ndarray:
    if indicator not in series:
        raise QuartierError(
            f"Für den Indikator „{indicator}“ liegen keine Werte vor. / No values for indicator."
        )
    values = np.asarray(series[indicator], dtype=np.float64)
    if values.ndim == 1:  # a single period given as a flat array
        values = values[None, :]
    if values.ndim != 2 or values.shape[0] == 0:
        raise QuartierError(
            f"Die Werte von „{indicator}“ müssen (Zeitpunkte × Gebiete) sein. / Bad shape."
        )
    return values


def _city(indicator: str, city: dict, n_periods: int) -> np.ndarray:
    if indicator not in city:
        raise QuartierError(
            f"Für „{indicator}“ fehlt der Stadtwert. / No city value for indicator."
        )
    values = np.atleast_1d(np.asarray(city[indicator], dtype=np.float64))
    if values.shape != (n_periods,):
        raise QuartierError(
            f"Der Stadtwert von „{indicator}“ braucht {n_periods} Zeitpunkte. / "
            "City series length differs."
        )
    return values
