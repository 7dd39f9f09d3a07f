"""The values a checked table will store, as columns (see :mod:`quartier.imports.longvalues`).

:func:`select_stored` applies the rules of the check value by value — code matched on the
period, a number or a known symbol, not a computed rate — with numpy masks over all values
at once, and files what it finds in German. The result, :class:`StoredValues`, is what the
commit writes; iterated it gives the rows ``(indicator key, area id, period, value, flag)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from quartier.imports.codes import CodeMatches, match_pairs
from quartier.imports.longvalues import PROBLEM, Listing, LongValues
from quartier.imports.reporttexts import rows_where
from quartier.imports.tables import RawTable
from quartier.indicators.models import Indicator, Kind


class StoredValues:
    """The values to store (columns of :class:`LongValues` plus area ids and flags)."""

    def __init__(self, values: LongValues, area: np.ndarray, matches: CodeMatches, table) -> None:
        self.values, self.area, self.matches, self.table = values, area, matches, table
        # a sentinel (-9999) is stored as a missing value without a flag
        self.flags = [("" if flag == "sentinel" else flag) for flag, _s in values.kinds]
        self._keys = None

    def __len__(self) -> int:
        return len(self.values)

    def row(self, i: int) -> tuple:
        """Value ``i`` as (indicator key, area id, period, value or None, flag)."""
        v = self.values
        number = float(v.value[i])
        return (
            v.indicators[v.indicator[i]],
            int(self.area[i]),
            v.periods[v.period[i]],
            None if number != number else number,
            self.flags[v.kind[i]],
        )

    def __iter__(self) -> Iterator[tuple]:
        return (self.row(i) for i in range(len(self)))

    def __getitem__(self, i: int) -> tuple:
        return self.row(i)

    def line(self, i: int) -> int:
        """The file's row number of value ``i``."""
        return self.table.line(int(self.values.row[i]))

    def code(self, i: int) -> str:
        """The code as the file wrote it."""
        return self.values.codes[self.values.code[i]]

    def keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """One int64 per value for (indicator, area, period); also the sorted distinct keys,
        each key's first and last position, and the stride of the indicator in a key.
        """
        if self._keys is None:
            v = self.values
            # built in place: a big sheet's values are millions, each temporary 8 bytes a value
            areas = np.unique(self.area)
            stride = len(areas) * max(1, len(v.periods))
            key = np.searchsorted(areas, self.area).astype(np.int64, copy=False)
            key *= len(v.periods)
            key += v.period
            for number in np.unique(v.indicator):
                key[v.indicator == number] += int(number) * stride
            distinct, first = np.unique(key, return_index=True)
            last = first  # without duplicates (the usual case) a key's only place
            if len(distinct) < len(key):
                last = len(key) - 1 - np.unique(key[::-1], return_index=True)[1]
            self._keys = (key, distinct, first, last, stride)
        return self._keys


def match(values: LongValues, level: str) -> tuple[CodeMatches, np.ndarray]:
    """Match the distinct (code, period) pairs; also each value's area id (-1: none)."""
    pairs = values.code.astype(np.int64) * max(1, len(values.periods)) + values.period
    distinct, inverse = np.unique(pairs, return_inverse=True)
    periods, first = np.unique(values.period, return_index=True)
    order = [int(p) for p in periods[np.argsort(first)]]  # as the table first names them
    n = max(1, len(values.periods))
    matches = match_pairs(values.codes, values.periods, order, (distinct // n, distinct % n), level)
    # area ids as int32 (half the bytes for millions of values) where they fit
    small = matches.area.max(initial=0) < 2**31
    return matches, matches.area.astype(np.int32 if small else np.int64)[inverse]


def select_stored(
    table: RawTable,
    values: LongValues,
    area: np.ndarray,
    matches: CodeMatches,
    indicators: dict[str, Indicator],
    computed: Callable[[Indicator], bool],
    listed: Callable[[str, object, str], None],
) -> StoredValues:
    """Keep the values that will be stored (``values`` is narrowed in place); file findings.

    ``listed(severity, items, heading)`` files one kind of findings.
    """
    order = [indicators[key] for key in values.indicators]
    is_computed = np.array([computed(ind) for ind in order] + [False], bool)
    is_count = np.array([ind.kind == Kind.COUNT for ind in order] + [False], bool)
    no_area = area < 0
    _invalid(values, no_area, matches, listed)
    bad = ~no_area & (values.kind == PROBLEM)
    parse = _problem_of(table)
    not_numeric = Listing()
    for i in np.flatnonzero(bad)[: not_numeric.limit]:
        row, column = int(values.row[i]), int(values.column[i])
        not_numeric.add(
            f"Zeile {table.line(row)}, Spalte „{table.columns[column]}“: "
            f"{parse(table.rows[row][column])}"
        )
    not_numeric.count = int(bad.sum())
    no_flag = np.array([flag in ("", "sentinel") for flag, _s in values.kinds], bool)
    empty = np.isnan(values.value) & no_flag[values.kind]
    usable = ~no_area & ~bad & ~empty
    rates = usable & is_computed[values.indicator]
    names = sorted({order[i].name for i in np.unique(values.indicator[rates])})
    keep = usable & ~rates
    values.take(keep)
    if not keep.all():
        area = area[keep]
    stored = StoredValues(values, area, matches, table)
    negative = Listing()
    minus = np.flatnonzero(is_count[values.indicator] & (values.value < 0))
    for i in minus[: negative.limit]:
        name = order[values.indicator[i]].name
        negative.add(
            f"Zeile {stored.line(i)}: {stored.code(i)} {name} = {float(values.value[i]):g}"
        )
    negative.count = len(minus)
    listed("notes", names, "Nicht gespeichert, weil aus Zähler und Nenner berechnet")
    listed("errors", not_numeric, "Keine Zahlen")
    listed("errors", negative, "Negative Anzahlen")
    listed("errors", _duplicates(stored), "Doppelte Einträge (Gebiet, Indikator, Stichtag)")
    return stored


def _problem_of(table: RawTable) -> Callable[[str], str]:
    from quartier.imports.cells import cell_parser

    parse = cell_parser(table.decimal, table.thousands)
    return lambda text: parse(text).problem


def _invalid(values: LongValues, no_area, matches: CodeMatches, listed) -> None:
    """Known codes without an area valid on the period (their rows are skipped)."""
    number = {code: i for i, code in enumerate(values.codes)}
    skipped = {number[c] for c in (*matches.unknown, *matches.ambiguous)}
    known = ~np.isin(values.code, np.fromiter(skipped, np.int64, len(skipped)))
    where = np.flatnonzero(no_area & known)
    found = Listing()
    for i in where[: found.limit]:
        code, period = values.codes[values.code[i]], values.periods[values.period[i]]
        found.add(f"„{code}“ ({period:%d.%m.%Y})")
    found.count = len(where)
    listed(
        "warnings",
        found,
        "Gebiete, die zum Stichtag nicht gültig sind (Zeilen werden übersprungen)",
    )


def _duplicates(stored: StoredValues) -> Listing:
    """Cells named more than once, where each copy stands (in the order first met)."""
    found = Listing()
    if not len(stored):
        return found
    key, distinct, first, last, _stride = stored.keys()
    if len(distinct) == len(key):
        return found
    counts = np.bincount(np.searchsorted(distinct, key), minlength=len(distinct))
    doubled = np.flatnonzero(counts > 1)
    found.count = len(doubled)
    v = stored.values
    for d in doubled[np.argsort(first[doubled])][: found.limit]:
        at = np.flatnonzero(key == distinct[d])
        i = int(at[0])
        where = [(stored.line(j), stored.table.columns[v.column[j]]) for j in at]
        code = stored.matches.areas[int(stored.area[i])].code
        indicator, period = v.indicators[v.indicator[i]], v.periods[v.period[i]]
        found.items.append(f"{indicator} / Gebiet {code} / {period:%d.%m.%Y}: {rows_where(where)}")
    return found
