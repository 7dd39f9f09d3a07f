"""What the map, the table and the CSV export show: one parsed view request → values + classes.

The same :class:`MapView` drives the map's values response, the table page and
the CSV download, so the table shows exactly the numbers of the map.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.conf import settings

from quartier.core import palettes
from quartier.core.classification import (
    DEFAULT_SD_MULTIPLES,
    Classification,
    ClassificationError,
    classify,
    classify_categories,
)
from quartier.errors import QuartierError
from quartier.explorer.units import difference_unit
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator, Kind
from quartier.indicators.status import Status
from quartier.spatial.models import Level

# URL words (German, they appear in permalinks) → classification methods.
METHODS = {
    "quantile": "quantiles",
    "natuerlich": "natural_breaks",
    "gleich": "equal_interval",
    "sd": "std_mean",
    "manuell": "manual",
}


@dataclass(frozen=True)
class MapView:
    """Everything that decides what a map shows."""

    indicator: Indicator
    level: Level
    period: date
    compare: date | None = None
    method: str = "quantile"
    k: int = 5
    breaks: tuple[float, ...] = ()
    sd: tuple[float, ...] = DEFAULT_SD_MULTIPLES
    palette: str = ""


def _numbers(text: str | None, name: str) -> tuple[float, ...]:
    if not text:
        return ()
    try:
        return tuple(float(part.replace(",", ".")) for part in text.split(";") if part.strip())
    except ValueError:
        raise QuartierError(f"„{name}“ muss Zahlen enthalten, getrennt durch Semikolon.") from None


def parse_view(user, params) -> MapView:
    """Read a view from query parameters (ebene, indikator, stichtag, vergleich, …).

    Missing parameters get sensible defaults; invalid ones raise a QuartierError
    with a German message (status 400, or 404 for unknown indicators).
    """
    index = readlayer.reader(user).index
    if not index.levels:
        raise QuartierError("Es gibt noch keine Raumebenen.", status=404)
    periods_by_id = readlayer.periods_by_indicator(user)
    key = params.get("indikator")
    indicator = readlayer.get_indicator(user, key) if key else default_indicator(user)
    periods = periods_by_id.get(indicator.id, [])
    if not periods:
        raise QuartierError(f"Für „{indicator.name}“ liegen keine Werte vor.", status=404)
    level = index.level(params["ebene"]) if params.get("ebene") else default_level(index)
    period = _period(params.get("stichtag"), periods, periods[-1])
    compare = _period(params.get("vergleich"), periods, None)
    if compare == period:
        compare = None
    method = params.get("methode") or "quantile"
    if method not in METHODS:
        raise QuartierError(f"Unbekannte Klassifikation „{method}“.")
    try:
        k = int(params.get("klassen") or 5)
    except ValueError:
        raise QuartierError("„klassen“ muss eine ganze Zahl sein.") from None
    palette = params.get("palette") or ""
    if palette and palette not in palettes.SEQUENTIAL and palette not in palettes.DIVERGING:
        raise QuartierError(f"Unbekannte Farbpalette „{palette}“.")
    return MapView(
        indicator=indicator,
        level=level,
        period=period,
        compare=compare,
        method=method,
        k=k,
        breaks=_numbers(params.get("grenzen"), "grenzen"),
        sd=_numbers(params.get("sd"), "sd") or DEFAULT_SD_MULTIPLES,
        palette=palette,
    )


def default_indicator(user) -> Indicator:
    """The map's headline indicator: ``QUARTIER_MAP_INDICATOR`` if ``user`` sees it with
    values, else the first rate of the catalogue (else its first indicator with values).
    """
    periods_by_id = readlayer.periods_by_indicator(user)
    visible = list(readlayer.visible_indicators(user).order_by("topic", "sort_order", "name"))
    with_values = [i for i in visible if i.id in periods_by_id]
    wanted = settings.QUARTIER.map_indicator
    configured = [i for i in with_values if i.key == wanted]
    candidates = configured or [i for i in with_values if i.kind == Kind.RATE] or with_values
    if not candidates:
        raise QuartierError("Es gibt noch keine sichtbaren Indikatoren mit Werten.", status=404)
    return candidates[0]


def default_level(index) -> Level:
    """The map's level when the address names none: ``QUARTIER_MAP_LEVEL`` if it exists,
    else the third level from the top (e.g. Stadtteile: detailed, yet readable).
    """
    levels = index.levels
    configured = [lv for lv in levels if lv.key == settings.QUARTIER.map_level]
    return configured[0] if configured else levels[min(2, len(levels) - 1)]


def _period(text: str | None, periods: list[date], default):
    if not text:
        return default
    try:
        wanted = date.fromisoformat(text)
    except ValueError:
        raise QuartierError(f"Ungültiger Stichtag „{text}“ (erwartet JJJJ-MM-TT).") from None
    if wanted not in periods:
        raise QuartierError(
            f"Für den Stichtag {wanted:%d.%m.%Y} liegen keine Werte vor.", status=404
        )
    return wanted


@dataclass(frozen=True)
class MapResult:
    """Values of a view, with their classification and legend colours.

    ``values`` and ``status`` are the values (or, in change mode, the changes)
    with one :class:`Status` code per area.
    """

    view: MapView
    codes: list[str]
    names: list[str]
    values: np.ndarray
    status: np.ndarray
    classification: Classification
    colours: list[str]
    city: float | None
    source_level: str | None  # the level(s) summed from, for the note

    @property
    def confidential(self) -> bool:
        """True if some value shown is hidden (geheim) for others."""
        return bool((self.status == Status.CONFIDENTIAL).any())

    @property
    def change_unit(self) -> str:
        """Unit of the shown numbers (percentage points for rates in change mode)."""
        return shown_unit(self.view)


def shown_unit(view: MapView) -> str:
    """Unit of what ``view`` shows: the indicator's, or percentage points for the change
    of a rate in % (in the active language).
    """
    unit = view.indicator.unit
    return difference_unit(unit) if view.compare else unit


def compute_view(user, view: MapView) -> MapResult:
    """Values (or changes), classes and colours of ``view`` for ``user``."""
    ind = view.indicator
    reader = readlayer.reader(user)
    if view.compare:
        shown = reader.change(ind, view.level, view.period, view.compare)
        city = reader.total_change(ind, view.period, view.compare)
    else:
        shown = reader.values(ind, view.level, view.period)
        city = reader.total(ind, view.period)
    values = np.where(shown.shown, shown.values, np.nan)
    if ind.categories and not view.compare:
        return _categorical(view, shown, values, city)
    try:
        classification = classify(
            values,
            METHODS[view.method],
            view.k,
            manual_breaks=list(view.breaks),
            sd_multiples=list(view.sd),
            zero_break=view.compare is not None,
        )
    except ClassificationError as exc:
        raise QuartierError(str(exc)) from exc
    return MapResult(
        view,
        shown.codes,
        shown.names,
        values,
        shown.status,
        classification,
        _colours(view, classification),
        city,
        shown.source_label,
    )


def _categorical(view: MapView, current, values, city) -> MapResult:
    """Types and index classes: one legend entry per category, in the categories' order."""
    categories = view.indicator.categories
    classification = classify_categories(values, [c["code"] for c in categories])
    fallback = palettes.sequential(len(categories), view.indicator.polarity, view.palette or None)
    colours = [c.get("colour") or fallback[i] for i, c in enumerate(categories)]
    return MapResult(
        view,
        current.codes,
        current.names,
        values,
        current.status,
        classification,
        colours,
        city,
        current.source_label,
    )


def _colours(view: MapView, classification: Classification) -> list[str]:
    polarity = view.indicator.polarity
    if view.compare:
        below = sum(1 for upper in classification.uppers if upper <= 0)
        above = classification.k - below
        name = view.palette if view.palette in palettes.DIVERGING else None
        return palettes.diverging(below, above, polarity, name)
    name = view.palette if view.palette in palettes.SEQUENTIAL else None
    return palettes.sequential(classification.k, polarity, name)


def mostly_secret(status: np.ndarray) -> bool:
    """True if more than half of the areas are secret (geheim) for the reader."""
    return status.size > 0 and int((status == Status.SUPPRESSED).sum()) * 2 > status.size


@dataclass(frozen=True)
class SecretHint:
    """Most areas of a view are secret; ``level`` is the finest coarser level where
    they are not (None if only the whole city would be).
    """

    secret: int
    total: int
    level: Level | None


def secret_hint(user, result: MapResult) -> SecretHint | None:
    """A hint for a view whose areas are mostly secret, with a coarser readable level.

    Walks up the level's parents (nearest first) and takes the first where at most
    half of the areas are secret, with the same indicator, period(s) and reader.
    A level of one area (the city) is no map and is not offered.
    """
    if not mostly_secret(result.status):
        return None
    view = result.view
    reader = readlayer.reader(user)
    found = None
    for level in view.level.ancestors():
        level = reader.level(level.key)  # the pinned index's copy
        if view.compare:
            shown = reader.change(view.indicator, level, view.period, view.compare)
        else:
            shown = reader.values(view.indicator, level, view.period)
        if len(shown) < 2:
            break
        if not mostly_secret(shown.status):
            found = level
            break
    secret = int((result.status == Status.SUPPRESSED).sum())
    return SecretHint(secret, int(result.status.size), found)
