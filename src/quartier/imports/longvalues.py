"""A mapped table in long form as columns of numbers: one array entry per value, in row order.

A million-row sheet holds millions of values. Made one Python object each (a row record and
a parsed cell) they took gigabytes; here the table is read in chunks of rows, each column's
distinct texts are parsed once (:func:`pandas.factorize`), and every value becomes a few
numbers in preallocated arrays: its data row, column, code, period, indicator, number and a
small code for its flag. Texts (codes, periods, indicator keys) are kept once in lists the
arrays point into.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from quartier.errors import QuartierError
from quartier.imports.cells import cell_parser
from quartier.imports.cellstore import column
from quartier.imports.tablemap import (
    IGNORE,
    TableMapping,
    _column,
    _fixed_period,
    parse_period,
)
from quartier.imports.tables import RawTable

CHUNK_ROWS = 100_000  # data rows turned into arrays at a time (bounds the temporary lists)
PROBLEM = 1  # kind of a cell that is neither a number nor a known symbol (see LongValues.kinds)
MAX_LISTED = 50  # findings of one kind kept as text; the rest are counted


@dataclass
class Listing:
    """Findings of one kind in the order found: the first ``limit`` as text, all counted."""

    limit: int = MAX_LISTED
    items: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, text: str) -> None:
        """Count one finding; keep its text while fewer than ``limit`` are kept."""
        if len(self.items) < self.limit:
            self.items.append(text)
        self.count += 1


@dataclass
class LongValues:
    """All values of a table (see the module text); arrays of equal length, in row order."""

    row: np.ndarray  # int32: data row (index into RawTable.rows)
    column: np.ndarray  # int16: table column the value stands in
    code: np.ndarray  # int32: index into ``codes``
    period: np.ndarray  # int32: index into ``periods``
    indicator: np.ndarray  # int16: index into ``indicators``
    value: np.ndarray  # float64: the number, NaN for none
    kind: np.ndarray  # int8: index into ``kinds`` (flag, symbol); PROBLEM for bad cells
    codes: list[str]
    periods: list[date]
    indicators: list[str]
    kinds: list[tuple[str, str]]

    def __len__(self) -> int:
        return len(self.value)

    def take(self, keep: np.ndarray) -> None:
        """Keep only the values selected by the boolean mask ``keep`` (one array at a time)."""
        if keep.all():
            return  # nothing to drop: no copy of every column
        for name in ("row", "column", "code", "period", "indicator", "value", "kind"):
            setattr(self, name, getattr(self, name)[keep])


class _Vocabulary(dict):
    """Texts (or other keys) numbered in order of first appearance."""

    def number(self, key) -> int:
        found = self.get(key)
        if found is None:
            found = self[key] = len(self)
        return found


def long_values(
    table: RawTable, mapping: TableMapping, chunk_rows: int = CHUNK_ROWS
) -> tuple[LongValues, Listing]:
    """All values of ``table`` under ``mapping``, and the rows whose period is no date."""
    key = _column(table, mapping.key_column, "den Gebietsschlüssel")
    slots = _slots(table, mapping)
    period_col = (
        _column(table, mapping.period_column, "den Stichtag")
        if mapping.period_column and mapping.layout != "wide_period"
        else None
    )
    fixed = _fixed_period(mapping) if mapping.layout != "wide_period" else None
    size = len(table.rows) * len(slots)
    arrays = {
        "row": np.empty(size, np.int32),
        "column": np.empty(size, np.int16),
        "code": np.empty(size, np.int32),
        "period": np.empty(size, np.int32),
        "indicator": np.empty(size, np.int16),
        "value": np.empty(size, np.float64),
        "kind": np.empty(size, np.int8),
    }
    state = _State(table, mapping, key, period_col, fixed, slots)
    filled = 0
    for start in range(0, len(table.rows), chunk_rows):
        filled = state.chunk(start, min(start + chunk_rows, len(table.rows)), arrays, filled)
    values = LongValues(
        **{name: array[:filled] for name, array in arrays.items()},
        codes=list(state.codes),
        periods=list(state.periods),
        indicators=list(state.indicators),
        kinds=list(state.kinds),
    )
    return values, state.problems


def _slots(table: RawTable, mapping: TableMapping) -> list[tuple[int, str | None, object]]:
    """(column, indicator key or None: from the row's label, period or None: the row's) of
    the values each table row holds.
    """
    if mapping.layout == "wide":
        return [
            (table.columns.index(name), indicator, None)
            for name, indicator in mapping.columns.items()
            if indicator != IGNORE
        ]
    if mapping.layout == "wide_period":
        slots = []
        for name in mapping.period_columns:
            when = parse_period(name)
            if when is None:
                raise QuartierError(f"Die Spalte „{name}“ nennt keinen Stichtag.")
            slots.append((table.columns.index(name), mapping.indicator, when))
        return slots
    return [(_column(table, mapping.value_column, "die Werte"), None, None)]


class _State:
    """What stays the same from chunk to chunk: vocabularies, parsers, findings."""

    def __init__(self, table, mapping, key, period_col, fixed, slots) -> None:
        self.table, self.mapping, self.key = table, mapping, key
        self.period_col, self.fixed, self.slots = period_col, fixed, slots
        self.parse = cell_parser(table.decimal, table.thousands)
        self.codes, self.periods = _Vocabulary(), _Vocabulary()
        self.indicators, self.kinds = _Vocabulary(), _Vocabulary()
        self.kinds.number(("", ""))
        self.kinds.number(("problem", ""))  # PROBLEM
        self.code_of: dict[str, int] = {}  # cell text → code number, -1 for no code
        self.period_of: dict[str, int] = {}  # cell text → period number, -1 for no date
        self.problems = Listing()
        if fixed is not None:
            self.fixed_number = self.periods.number(fixed)
        self.labels: list[int] = []
        if mapping.layout == "long":
            self.label_columns = [
                _column(table, c, "den Indikator") for c in mapping.indicator_columns
            ]

    def _texts(self, c: int, start: int, stop: int) -> list[str]:
        return column(self.table.rows, c, start, stop)

    def chunk(self, start: int, stop: int, arrays: dict, filled: int) -> int:
        """Add the values of data rows ``start:stop`` to ``arrays`` at ``filled``.

        Only the columns used are made as texts, and only for these rows.
        """
        codes = self._numbers(self._texts(self.key, start, stop), self.code_of, self._code)
        ok = codes >= 0
        if self.period_col is not None:
            texts = self._texts(self.period_col, start, stop)
            periods = self._numbers(texts, self.period_of, self._period)
            for i in np.flatnonzero(ok & (periods < 0)):
                line, text = self.table.line(start + int(i)), texts[i]
                self.problems.add(f"Zeile {line}: „{text}“ ist kein Stichtag.")
            ok &= periods >= 0
        else:
            periods = np.full(stop - start, self.fixed_number if self.fixed else -1, np.int32)
        used = np.flatnonzero(ok)
        per_slot = []
        for col, indicator, when in self.slots:
            texts = self._texts(col, start, stop)
            value, kind = self._cells([texts[i] for i in used])
            del texts
            if indicator is None:
                ind = self._row_indicators(start, stop, used)
            else:
                ind = np.full(len(used), self.indicators.number(indicator), np.int16)
            period = (
                periods[used]
                if when is None
                else np.full(len(used), self.periods.number(when), np.int32)
            )
            per_slot.append((col, ind, period, value, kind))
        # row-major: all values of one row before those of the next, as the file reads
        n = len(used) * len(self.slots)
        order = {
            "row": np.repeat(used.astype(np.int32) + start, len(self.slots)),
            "column": np.tile(np.array([s[0] for s in per_slot], np.int16), len(used)),
            "code": np.repeat(codes[used], len(self.slots)),
            "period": np.column_stack([s[2] for s in per_slot]).ravel() if n else [],
            "indicator": np.column_stack([s[1] for s in per_slot]).ravel() if n else [],
            "value": np.column_stack([s[3] for s in per_slot]).ravel() if n else [],
            "kind": np.column_stack([s[4] for s in per_slot]).ravel() if n else [],
        }
        keep = order["indicator"] >= 0 if n else None
        for name, part in order.items():
            part = np.asarray(part)
            if keep is not None:
                part = part[keep]
            arrays[name][filled : filled + len(part)] = part
        return filled + (int(keep.sum()) if keep is not None else 0)

    @staticmethod
    def _numbers(texts: list[str], known: dict, number: Callable[[str], int]) -> np.ndarray:
        """Each text's number (codes, periods), looking every distinct text up once."""
        positions, distinct = factorize(np.asarray(texts, dtype=object), sort=False)
        found = np.empty(len(distinct), np.int32)
        for i, text in enumerate(distinct):
            got = known.get(text)
            if got is None:
                got = known[text] = number(text)
            found[i] = got
        return found[positions] if len(texts) else np.empty(0, np.int32)

    def _code(self, text: str) -> int:
        code = text.strip()
        return self.codes.number(code) if code else -1

    def _period(self, text: str) -> int:
        when = parse_period(text)
        return -1 if when is None else self.periods.number(when)

    def _cells(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Numbers (NaN: none) and kinds of cell texts, each distinct text parsed once."""
        positions, distinct = factorize(np.asarray(texts, dtype=object), sort=False)
        values = np.empty(len(distinct), np.float64)
        kinds = np.empty(len(distinct), np.int8)
        for i, text in enumerate(distinct):
            cell = self.parse(text)
            values[i] = np.nan if cell.value is None else cell.value
            kinds[i] = PROBLEM if cell.problem else self.kinds.number((cell.flag, cell.symbol))
        if not texts:
            return np.empty(0, np.float64), np.empty(0, np.int8)
        return values[positions], kinds[positions]

    def _row_indicators(self, start: int, stop: int, used: np.ndarray) -> np.ndarray:
        """Long layout: each used row's indicator number, -1 where its label is not mapped."""
        labels = self.mapping.indicator_labels
        columns = [self._texts(c, start, stop) for c in self.label_columns]
        out = np.empty(len(used), np.int16)
        for n, i in enumerate(used):
            parts = (texts[i].strip() for texts in columns)
            label = " – ".join(p for p in parts if p)
            indicator = labels.get(label, IGNORE)
            out[n] = -1 if indicator == IGNORE else self.indicators.number(indicator)
        return out


def factorize(values, sort: bool = False):
    """``pandas.factorize``; pandas is imported on first use (~0.9 s, not needed by the map)."""
    import pandas as pd

    return pd.factorize(values, sort=sort)
