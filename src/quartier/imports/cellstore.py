"""The cells of a read table kept compactly: one int32 per cell into a list of distinct texts.

A million-row sheet as Python lists of strings took about 150 MB (a list per row, a pointer
per cell) on top of the reader's own copy of the sheet, and stayed for the whole import.
Here the readers number every distinct cell text once (:class:`CellBuilder`) and keep the
rows as one flat array of those numbers with the row bounds (:class:`CellStore`, about 24
bytes a five-cell row). :class:`Rows` shows a store as the rows of text the rest of the import
code expects — ``len``, indexing, slicing, iteration, each row made as a list only when asked
for — and hands out whole columns of a range of rows at once (:meth:`Rows.column`), so that
the per-cell Python objects of a chunk die with the chunk.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence

import numpy as np

POOL = 500_000  # distinct texts looked up; beyond, new texts are kept once per cell
_ITER_ROWS = 10_000  # rows made as lists at a time while iterating


class CellStore:
    """Rows of cell numbers (0 is the empty cell) into ``texts``; no trailing empty cells.

    ``overrides`` replace whole rows (merged cells copied into their span): rare, so kept
    as lists beside the arrays.
    """

    def __init__(self, texts: list[str], cells: np.ndarray, starts: np.ndarray) -> None:
        self.texts, self.cells, self.starts = texts, cells, starts
        self.overrides: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return len(self.starts) - 1

    def row(self, r: int) -> list[str]:
        """Row ``r`` as a new list of texts."""
        found = self.overrides.get(r)
        if found is not None:
            return list(found)
        texts = self.texts
        return [texts[i] for i in self.cells[self.starts[r] : self.starts[r + 1]].tolist()]

    def lengths(self) -> np.ndarray:
        """Cells of each row up to its last non-empty one."""
        out = np.diff(self.starts)
        for r, row in self.overrides.items():
            n = len(row)
            while n and not row[n - 1]:
                n -= 1
            out[r] = n
        return out

    def numbers(self, c: int, positions: np.ndarray) -> np.ndarray:
        """The cell numbers of column ``c`` in the rows at ``positions`` (0 where empty)."""
        begin = self.starts[positions]
        inside = self.starts[positions + 1] - begin > c
        out = np.zeros(len(positions), np.int32)
        out[inside] = self.cells[begin[inside] + c]
        return out


class CellBuilder:
    """Numbers cell texts as they are read and collects rows of numbers into a store."""

    def __init__(self, pool: int = POOL) -> None:
        self.pool = pool
        self.texts: list[str] = [""]
        self.known: dict[str, int] = {"": 0}
        self.cells = array("i")
        self.ends = array("q", [0])

    def number(self, text: str) -> int:
        """The number of ``text``; equal texts share one number while the pool has room."""
        found = self.known.get(text)
        if found is None:
            found = len(self.texts)
            self.texts.append(text)
            if len(self.known) < self.pool:
                self.known[text] = found
        return found

    def add(self, numbers: list[int]) -> None:
        """Append one row of cell numbers (trailing empty cells are dropped)."""
        n = len(numbers)
        while n and not numbers[n - 1]:
            n -= 1
        self.cells.extend(numbers[:n] if n < len(numbers) else numbers)
        self.ends.append(self.ends[-1] + n)

    def add_texts(self, row: list[str]) -> None:
        """Append one row of texts."""
        self.add([self.number(text) for text in row])

    def finish(self, leading_empty: int = 0) -> Rows:
        """The rows read, after ``leading_empty`` empty rows (left out by the reader)."""
        cells = np.frombuffer(self.cells, np.int32) if self.cells else np.empty(0, np.int32)
        starts = np.frombuffer(self.ends, np.int64) if self.ends else np.zeros(1, np.int64)
        if leading_empty:
            starts = np.concatenate([np.zeros(leading_empty, np.int64), starts])
        store = CellStore(self.texts, cells, starts)
        self.known = {}  # the lookup is only needed while reading
        return Rows(store)


def rows_of(lists: Sequence[Sequence[str]]) -> Rows:
    """Rows of text (lists) as a store."""
    builder = CellBuilder()
    for row in lists:
        builder.add_texts(list(row))
    return builder.finish()


class Rows(Sequence):
    """Rows of a :class:`CellStore` as lists of text: all, or those at ``positions``.

    With ``width`` every row has exactly that many cells (cut or padded with ""), as the
    rows of a :class:`~quartier.imports.tables.RawTable` have.
    """

    def __init__(
        self, store: CellStore, positions: np.ndarray | None = None, width: int | None = None
    ) -> None:
        self.store, self.positions, self.width = store, positions, width

    def __len__(self) -> int:
        return len(self.store) if self.positions is None else len(self.positions)

    def _at(self, i: int) -> int:
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("row index out of range")
        return i if self.positions is None else int(self.positions[i])

    def _row(self, position: int) -> list[str]:
        row = self.store.row(position)
        width = self.width
        if width is not None and len(row) != width:
            row = row[:width] + [""] * (width - len(row))
        return row

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._row(p) for p in self.range(*i.indices(len(self))).tolist()]
        return self._row(self._at(i))

    def __setitem__(self, i: int, row: list[str]) -> None:
        self.store.overrides[self._at(i)] = list(row)

    def __iter__(self) -> Iterator[list[str]]:
        for start in range(0, len(self), _ITER_ROWS):
            yield from self[start : start + _ITER_ROWS]

    def __eq__(self, other) -> bool:
        if isinstance(other, Rows | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # mutable like the lists it stands for

    def __repr__(self) -> str:
        return f"<Rows: {len(self)} rows>"

    def range(self, start: int = 0, stop: int | None = None, step: int = 1) -> np.ndarray:
        """Store positions of the rows ``start:stop:step``."""
        stop = len(self) if stop is None else stop
        if self.positions is None:
            return np.arange(start, stop, step, dtype=np.int64)
        return self.positions[start:stop:step].astype(np.int64)

    def lengths(self) -> np.ndarray:
        """Cells of each row up to its last non-empty one (before ``width``)."""
        lengths = self.store.lengths()
        return lengths if self.positions is None else lengths[self.positions]

    def select(self, keep: np.ndarray, width: int | None = None) -> Rows:
        """The rows where the boolean mask ``keep`` is true, each ``width`` cells long."""
        return Rows(self.store, self.range()[keep], width)

    def column(self, c: int, start: int = 0, stop: int | None = None) -> list[str]:
        """The texts of column ``c`` in rows ``start:stop`` ("" where a row is shorter)."""
        positions = self.range(start, stop)
        if self.width is not None and c >= self.width:
            return [""] * len(positions)
        texts = self.store.texts
        out = [texts[i] for i in self.store.numbers(c, positions).tolist()]
        overrides = self.store.overrides
        if overrides:
            for n, p in enumerate(positions.tolist()):
                row = overrides.get(p)
                if row is not None:
                    out[n] = row[c] if c < len(row) else ""
        return out


def column(rows: Sequence[list[str]], c: int, start: int = 0, stop: int | None = None) -> list:
    """Texts of column ``c`` in rows ``start:stop``, of :class:`Rows` or plain lists."""
    if isinstance(rows, Rows):
        return rows.column(c, start, stop)
    return [row[c] for row in rows[start:stop]]
