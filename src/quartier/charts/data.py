"""What a chart shows, as plain data: series, bars and distributions.

A value the reader may not see arrives here as ``None`` with the status
``"suppressed"`` (or ``"missing"``): its number never reaches a chart, so it
cannot show up as a point, a bar or a limit of an axis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

OK = "ok"
MISSING = "missing"
SUPPRESSED = "suppressed"
CONFIDENTIAL = "confidential"


@dataclass(frozen=True)
class Point:
    """One value of a series: ``value`` is None unless the status is ok or confidential."""

    period: date
    value: float | None
    status: str = OK

    def __post_init__(self) -> None:
        # Fail closed: a hidden value must not travel with its number.
        if self.status in (MISSING, SUPPRESSED) and self.value is not None:
            raise ValueError("a missing or secret point carries no value")


@dataclass(frozen=True)
class Series:
    """A named line (``role``: ``area``, ``parent`` or ``city`` chooses its style)."""

    label: str
    role: str
    points: tuple[Point, ...]

    @property
    def shown(self) -> list[Point]:
        """The points with a value."""
        return [p for p in self.points if p.value is not None]


@dataclass(frozen=True)
class Texts:
    """The words a chart prints, in the page's language, and its number format."""

    language: str = "de"
    unit: str = ""
    secret: str = "geheim"
    missing: str = "fehlt"
    confidential: str = "VERTRAULICH"
    city: str = "Gesamtstadt"
    areas: str = "Anzahl Gebiete"
    gap_note: str = ""


@dataclass(frozen=True)
class TimeSeriesChart:
    """Time series of an area, its parent and the city over the same periods."""

    series: tuple[Series, ...]
    texts: Texts = field(default_factory=Texts)
    decimals: int = 1
    marked: bool = False  # the caller knows it holds values others may not see

    @property
    def confidential(self) -> bool:
        """True if a drawn value is one others may not see (the chart says VERTRAULICH)."""
        return self.marked or any(p.status == CONFIDENTIAL for s in self.series for p in s.points)


@dataclass(frozen=True)
class Bar:
    """One bar: an area (or the city, ``reference=True``) and its value."""

    label: str
    value: float | None
    status: str = OK
    reference: bool = False

    def __post_init__(self) -> None:
        if self.status in (MISSING, SUPPRESSED) and self.value is not None:
            raise ValueError("a missing or secret bar carries no value")


@dataclass(frozen=True)
class BarChart:
    """Bars of several areas (and the city) for one indicator and period."""

    bars: tuple[Bar, ...]
    texts: Texts = field(default_factory=Texts)
    decimals: int = 1
    marked: bool = False  # the caller knows it holds values others may not see

    @property
    def confidential(self) -> bool:
        """True if a drawn value is one others may not see (the chart says VERTRAULICH)."""
        return self.marked or any(b.status == CONFIDENTIAL for b in self.bars)


@dataclass(frozen=True)
class Distribution:
    """The shown values of all areas of a level, one of them marked."""

    values: tuple[float, ...]
    marked_label: str = ""
    marked_value: float | None = None
    city_value: float | None = None
    hidden: int = 0  # areas whose value is secret or missing (counted, never placed)
    texts: Texts = field(default_factory=Texts)
    decimals: int = 1
    confidential: bool = False


def segments(points: tuple[Point, ...] | list[Point]) -> list[list[Point]]:
    """The runs of consecutive points with a value: a line is drawn within a run only.

    A missing or secret point ends a run, so no line bridges the gap; a run of a
    single point is drawn as a marker alone.
    """
    runs: list[list[Point]] = []
    current: list[Point] = []
    for point in points:
        if point.value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(point)
    if current:
        runs.append(current)
    return runs


def gaps(series: tuple[Series, ...]) -> dict[date, str]:
    """{period: status} where a drawn series has no value; "suppressed" wins over "missing".

    Only series with at least one value count (a series without any is not drawn).
    """
    out: dict[date, str] = {}
    for line in series:
        if not line.shown:
            continue
        for point in line.points:
            if point.value is None and out.get(point.period) != SUPPRESSED:
                out[point.period] = point.status if point.status == SUPPRESSED else MISSING
    return dict(sorted(out.items()))


def bins(values: tuple[float, ...], most: int = 20) -> list[float]:
    """Edges of a histogram of ``values`` (numpy's choice, at most ``most`` classes)."""
    import numpy as np

    if not values:
        return [0.0, 1.0]
    low, high = min(values), max(values)
    if low == high:
        return [low - 0.5, high + 0.5]
    edges = np.histogram_bin_edges(np.asarray(values, dtype=float), bins="auto")
    if len(edges) - 1 > most:
        edges = np.linspace(low, high, most + 1)
    return [float(e) for e in edges]
