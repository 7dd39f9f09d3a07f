"""The features of one request: which areas, on which Stichtag, with which values.

A feature is an area version valid on the chosen Stichtag; its properties are
the values of the selected indicators from the read layer, rounded like every
other output, with their :class:`~quartier.indicators.status.Status`. Values
not shown are NaN here and become ``null`` on output. Shapes and values come
from the read layer's one pinned area index.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np

from quartier import cost
from quartier.core.numbers import round_half_up_array
from quartier.errors import NotFound, ProtectionError
from quartier.indicators import disclosure, readlayer, store
from quartier.indicators.compute import stored_ids
from quartier.indicators.models import Indicator
from quartier.indicators.status import Status, shown
from quartier.ogc import selection
from quartier.ogc.geometry import LevelShapes, level_shapes
from quartier.ogc.params import ItemsQuery
from quartier.spatial.models import Level


class Column(NamedTuple):
    """One indicator's values for the features of a page (NaN = null), with their status."""

    indicator: Indicator
    values: np.ndarray
    status: np.ndarray

    @property
    def suppressed(self) -> np.ndarray:
        """Mask of the features whose value is hidden (geheim)."""
        return self.status == Status.SUPPRESSED


@dataclass(frozen=True)
class Page:
    """The features of one response, in code order."""

    level: Level
    period: date | None
    crs: str
    shapes: LevelShapes
    positions: np.ndarray  # positions in AreaIndex.areas(level) of this page's features
    matched: int
    offset: int
    limit: int
    columns: list[Column]
    confidential: list[str]  # keys whose values this user sees unsuppressed ("vertraulich")

    def __len__(self) -> int:
        return self.positions.size

    @property
    def codes(self) -> list[str]:
        """Codes of the page's features."""
        codes = self.shapes.index.areas(self.level).codes
        return [codes[i] for i in self.positions.tolist()]

    @property
    def names(self) -> list[str]:
        """Names of the page's features."""
        names = self.shapes.index.areas(self.level).names
        return [names[i] for i in self.positions.tolist()]


def items_page(user, level: Level, query: ItemsQuery) -> Page:
    """The page of features ``query`` asks for (bbox, datetime, offset/limit, properties)."""
    indicators = selection.selected_indicators(user, query.properties)
    period, matches = _period(user, indicators, query)
    shapes = level_shapes(level, readlayer.reader(user).index)
    valid = shapes.index.valid_positions(level, period)
    rows = np.arange(valid.size) if matches else np.zeros(0, dtype=np.int64)
    if query.bbox is not None and rows.size:
        rows = shapes.intersecting(valid, query.bbox, query.bbox_crs)
    start = min(query.offset, rows.size)  # offsets beyond the end give an empty page
    page_rows = rows[start : start + query.limit]
    return _page(user, level, period, query, shapes, valid, page_rows, rows.size, indicators)


def single_item(user, level: Level, code: str, query: ItemsQuery) -> Page:
    """One feature: the version of area ``code`` valid on the chosen Stichtag."""
    indicators = selection.selected_indicators(user, query.properties)
    period, matches = _period(user, indicators, query)
    shapes = level_shapes(level, readlayer.reader(user).index)
    valid = shapes.index.valid_positions(level, period)
    codes, _names = shapes.index.valid_labels(level, period)
    row = bisect_left(codes, code)  # codes of valid areas are sorted
    if not matches or row >= len(codes) or codes[row] != code:
        raise NotFound(
            f"Gebiet „{code}“ gibt es in der Raumebene {level.name} zu diesem Stichtag nicht. "
            "/ Feature not found."
        )
    rows = np.array([row], dtype=np.int64)
    return _page(user, level, period, query, shapes, valid, rows, 1, indicators)


def _period(user, indicators, query: ItemsQuery):
    """The Stichtag of the response (see :func:`selection.choose_period`).

    Without any indicator selected, the collection's Stichtage (those of the
    default set) still decide which area versions are listed.
    """
    chosen = indicators if indicators else selection.default_indicators(user)
    return selection.choose_period(selection.periods_with_data(user, chosen), query.interval)


def _page(user, level, period, query, shapes, valid, rows, matched, indicators) -> Page:
    columns, confidential = [], []
    # Only the page's values are read; protection's masks are kept per data state.
    computed = indicators if period is not None and rows.size else []
    cells = len(computed) * (int(rows.size) + cost.SERIES_CELLS)
    with cost.budget(cells):
        if computed:  # the stored values of the page's areas, for all properties in one read
            ids = shapes.index.areas(level).ids[valid[rows]]
            store.stored_rows(sorted({i for ind in computed for i in stored_ids(ind)}), period, ids)
            disclosure.prefetch(shapes.index, computed, period)
        for indicator in indicators:
            column, secret = _column(user, indicator, level, period, shapes, valid, rows)
            columns.append(column)
            if secret:
                confidential.append(indicator.key)
    return Page(
        level=level,
        period=period,
        crs=query.crs,
        shapes=shapes,
        positions=valid[rows],
        matched=int(matched),
        offset=query.offset,
        limit=query.limit,
        columns=columns,
        confidential=confidential,
    )


def _column(user, indicator, level, period, shapes, valid, rows) -> tuple[Column, bool]:
    """Values of ``indicator`` for ``rows`` of the areas valid on ``period``."""
    if period is None or rows.size == 0:
        empty = np.full(rows.size, np.nan)
        return Column(indicator, empty, np.full(rows.size, Status.MISSING, np.uint8)), False
    result = readlayer.area_values(user, indicator, level, period, rows=rows)
    if not np.array_equal(result.area_ids, shapes.index.areas(level).ids[valid[rows]]):
        raise ProtectionError("shapes and values from different area indexes")
    status = result.status
    values = np.where(shown(status), round_half_up_array(result.values, indicator.decimals), np.nan)
    return Column(indicator, values, status), result.confidential
