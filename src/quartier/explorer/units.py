"""How pages name units: of a value, of a difference, and an indicator's name with its unit."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

# A difference of two shares is in points, not in percent: 12 % − 10 % = 2 Prozentpunkte.
_POINTS = {"%": gettext_noop("Prozentpunkte"), "‰": gettext_noop("Promillepunkte")}


def difference_unit(unit: str) -> str:
    """Unit of a difference between two values of ``unit`` (deviation, change).

    Shares in percent (per mille) differ by percentage (per-mille) points; every other
    unit (Jahre, Personen, je 1.000 …) stays as it is.
    """
    unit = (unit or "").strip()
    return gettext(_POINTS[unit]) if unit in _POINTS else unit


def name_with_unit(name: str, unit: str) -> str:
    """``name (unit)``, unless the name already ends with its unit in brackets.

    "Hilfen zur Erziehung (Fälle)" with unit "Fälle" stays as it is, instead of
    "Hilfen zur Erziehung (Fälle) (Fälle)".
    """
    unit = (unit or "").strip()
    if not unit or name.rstrip().endswith(f"({unit})"):
        return name
    return f"{name} ({unit})"


def share_of(value: float | None, total: float | None) -> float | None:
    """``value`` as percent of ``total`` (a count's share of the city); None if unknown."""
    if value is None or not total:
        return None
    return value / total * 100


def difference(value: float | None, reference: float | None) -> float | None:
    """``value`` − ``reference``; None if either is unknown."""
    if value is None or reference is None:
        return None
    return value - reference
