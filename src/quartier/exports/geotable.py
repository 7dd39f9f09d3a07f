"""The wide layout of the geodata exports: one feature per area, one column per indicator × period.

Geometry is sent once per area (principle 4), so GeoJSON and GeoPackage use a
wide table instead of the long one: a column per indicator, suffixed with the
year when the export holds several periods (``kinderarmut_2024``; the full date
``_2024_06_30`` when two periods share a year). Each value column has a
``<column>_status`` column with the German word of its
:class:`~quartier.indicators.status.Status`: empty (null) for a shown value,
``geheim`` for a value hidden by disclosure control, ``keine Daten`` for a
missing one — the value itself is null in both cases — and ``vertraulich`` for
a value the exporting user sees that others see hidden. The status words are
fixed (not translated) so that programs can rely on them.

A feature is an area *version*: when boundaries changed between the exported
periods, both versions appear, each with values for the periods it was valid on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely

from quartier.exports.selection import ExportData, LevelValues, Selection, cell, positions
from quartier.indicators.models import Indicator
from quartier.spatial.models import Area, Level


@dataclass(frozen=True)
class Column:
    """One value column: an indicator on one period."""

    indicator: Indicator
    period: date
    name: str

    @property
    def status_name(self) -> str:
        """Name of the column telling hidden and missing values apart."""
        return f"{self.name}_status"

    @property
    def kind(self) -> str:
        """Value type of the column: ``text`` (category labels), ``int`` or ``float``."""
        if self.indicator.categories:
            return "text"
        return "int" if self.indicator.decimals == 0 else "float"


@dataclass(frozen=True)
class GeoLayer:
    """All features of one level: area attributes, geometries and value columns."""

    level: Level
    codes: list[str]
    names: list[str]
    valid_from: list[date | None]
    valid_to: list[date | None]
    geometries: np.ndarray  # shapely geometries, EPSG:4326 (lon, lat)
    values: dict[str, list]  # column name → value or None per feature
    status: dict[str, list[str | None]]  # column name → status word per feature

    def __len__(self) -> int:
        return len(self.codes)

    def feature_ids(self) -> list[str]:
        """``ebene:schlüssel``, with the start of validity where a code has several versions."""
        seen: dict[str, int] = {}
        for code in self.codes:
            seen[code] = seen.get(code, 0) + 1
        return [
            f"{self.level.key}:{code}"
            + (f"@{start.isoformat()}" if seen[code] > 1 and start else "")
            for code, start in zip(self.codes, self.valid_from, strict=True)
        ]


def columns(selection: Selection) -> list[Column]:
    """Value columns in indicator order, each indicator's periods ascending."""
    periods = selection.all_periods
    several = len(periods) > 1
    by_year = len({p.year for p in periods}) == len(periods)

    def name(indicator: Indicator, period: date) -> str:
        if not several:
            return indicator.key
        return f"{indicator.key}_{period.year}" if by_year else f"{indicator.key}_{period:%Y_%m_%d}"

    return [
        Column(ind, period, name(ind, period))
        for ind in selection.indicators
        for period in selection.periods.get(ind.pk, [])
    ]


def build_layer(level_values: LevelValues, cols: list[Column]) -> GeoLayer:
    """Features of one level: every area version that appears in any of its results."""
    level, results = level_values.level, level_values.results
    wanted = set()
    for result in results.values():
        wanted.update(result.area_ids.tolist())
    rows = sorted(
        (
            row
            for row in Area.objects.filter(level=level)
            .values_list("id", "code", "name", "valid_from", "valid_to", "geometry")
            .iterator()
            if row[0] in wanted
        ),
        key=lambda row: (row[1], row[3] or date.min),
    )
    area_ids = [row[0] for row in rows]
    values: dict[str, list] = {}
    status: dict[str, list[str | None]] = {}
    for col in cols:
        result = results.get((col.indicator.pk, col.period))
        lookup = positions(result) if result is not None else {}
        shown = [cell(col.indicator, result, lookup.get(area_id)) for area_id in area_ids]
        values[col.name] = [value for _status, value in shown]
        status[col.name] = [s.german or None for s, _value in shown]
    geometries = shapely.from_wkb([bytes(row[5]) for row in rows])
    return GeoLayer(
        level=level,
        codes=[row[1] for row in rows],
        names=[row[2] for row in rows],
        valid_from=[row[3] for row in rows],
        valid_to=[row[4] for row in rows],
        geometries=np.asarray(geometries, dtype=object),
        values=values,
        status=status,
    )


def layers(data: ExportData) -> tuple[list[Column], list[GeoLayer]]:
    """The value columns, and one layer per exported level."""
    cols = columns(data.selection)
    return cols, [build_layer(level_values, cols) for level_values in data.levels]
