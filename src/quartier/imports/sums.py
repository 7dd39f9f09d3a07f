"""Counts in an imported table that add up: a total and the columns it is the sum of.

Statistical tables often hold a total next to its breakdown (residents and the
residents by age group). Such counts must be protected together (see
:mod:`quartier.indicators.families`), or a hidden group can be computed by
subtraction. The import finds them so that nobody has to remember to say so.
"""

from __future__ import annotations

import numpy as np

from quartier.imports.longvalues import factorize
from quartier.indicators.models import Indicator, Kind

MAX_PARTS = 14  # columns tried as parts of one total (2^14 subsets)
MIN_CELLS = 5  # a total must be positive in this many areas to count as found
SEARCH_ROWS = 200  # rows the subset search looks at; matches are checked on all


def find_sums(stored, indicators: dict[str, Indicator]) -> list[tuple[str, list[str]]]:
    """(total key, part keys) for every count column that is the sum of other count columns.

    ``stored`` are the checked values: a :class:`~quartier.imports.stored.StoredValues`,
    or rows ``(row, match, (key, area, period), value, flag)``. Only areas where every count
    column has a value are compared. Where a total is the sum of several sets of columns,
    the one with the most parts wins (the others follow from it once the smaller totals are
    sums too).
    """
    if hasattr(stored, "keys") and hasattr(stored, "area"):
        # Columns: only the values of counts are turned into int64 cells (memory of big sheets)
        v = stored.values
        use = _counts(v.indicators, indicators)[v.indicator] & ~np.isnan(v.value)
        if use.all():
            use = slice(None)  # views, not copies, of the columns
        # each (indicator, area, period) once: known from the duplicate check (StoredValues)
        once = callable(stored.keys) and len(stored.keys()[1]) == len(v)
        cells = stored.area[use].astype(np.int64)  # in place from here: 8 bytes a value
        cells *= max(1, len(v.periods))
        cells += v.period[use]
        box = [cells]
        del cells
        return _sums(box, v.indicator[use], v.value[use], v.indicators, once=once)
    cells, key_numbers, values, names = _columns(stored)
    use = _counts(names, indicators)[key_numbers] & ~np.isnan(values)
    return _sums([cells[use]], key_numbers[use], values[use], names)


def _counts(names: list[str], indicators: dict[str, Indicator]) -> np.ndarray:
    """Per key number: True for counts (one more entry, False, for "no indicator")."""
    return np.array(
        [k in indicators and indicators[k].kind == Kind.COUNT for k in names] + [False], bool
    )


def _columns(stored) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(one number per (area, period), key numbers, values, key names) of rows."""
    cell_numbers: dict[tuple, int] = {}
    names: dict[str, int] = {}
    cells, key_numbers, values = [], [], []
    for _row, _match, (key, area, period), value, _flag in stored:
        cells.append(cell_numbers.setdefault((area, period), len(cell_numbers)))
        key_numbers.append(names.setdefault(key, len(names)))
        values.append(np.nan if value is None else float(value))
    return (
        np.array(cells, np.int64),
        np.array(key_numbers, np.int64),
        np.array(values, np.float64),
        list(names),
    )


def _sums(cells: list, key_numbers, values, names, once=False) -> list[tuple[str, list[str]]]:
    """The sums among values given as (cell, key number, value), cells in order first met.

    ``cells`` is a list holding the array of cells, emptied here so that the array goes as
    soon as it is numbered (a big sheet's arrays are tens of megabytes each). ``once``:
    no cell has two values of one key.
    """
    present = np.unique(key_numbers)
    keys = sorted(names[k] for k in present)
    column = np.full(len(names), -1, np.int32)
    for k in present:
        column[k] = keys.index(names[k])
    if len(keys) < 3:
        return []
    # numbered in the order first met (a hash table: no sort of all values)
    slot, distinct = factorize(cells.pop(), sort=False)
    grid = np.full((len(distinct), len(keys)), np.nan)
    del distinct
    slot *= len(keys)
    slot += column[key_numbers]
    if once or np.bincount(slot, minlength=grid.size).max(initial=0) <= 1:
        grid.flat[slot] = values  # each cell once (the usual case): no sort needed
    else:
        _slots, last = np.unique(slot[::-1], return_index=True)  # a cell given twice: the last
        last = len(slot) - 1 - last
        grid.flat[slot[last]] = values[last]
    del slot
    values = grid[~np.isnan(grid).any(axis=1)]
    del grid
    if len(values) < MIN_CELLS:
        return []
    found = []
    for t, total in enumerate(keys):
        parts = _parts_of(values, t)
        if parts:
            found.append((total, [keys[j] for j in parts]))
    return found


def _parts_of(values: np.ndarray, t: int) -> list[int] | None:
    """The largest set of other columns that sums to column ``t`` in every row, if any."""
    total = values[:, t]
    if (total > 0).sum() < MIN_CELLS:
        return None
    candidates = [
        j
        for j in range(values.shape[1])
        if j != t and (values[:, j] <= total).all() and values[:, j].any()
    ]
    if not 2 <= len(candidates) <= MAX_PARTS:
        return None
    k = len(candidates)
    masks = (np.arange(1, 2**k)[:, None] >> np.arange(k)) & 1
    masks = masks[masks.sum(axis=1) >= 2]
    sample = values[np.argsort(-total, kind="stable")[:SEARCH_ROWS]]
    sums = sample[:, candidates] @ masks.T
    hits = np.flatnonzero(np.isclose(sums, sample[:, [t]], rtol=0, atol=1e-6).all(axis=0))
    for h in sorted(hits, key=lambda h: -int(masks[h].sum())):
        chosen = [candidates[j] for j in np.flatnonzero(masks[h])]
        if np.isclose(values[:, chosen].sum(axis=1), total, rtol=0, atol=1e-6).all():
            return chosen
    return None


def sum_notes(sums, indicators: dict[str, Indicator], new_keys: set[str]) -> list[str]:
    """German notes on the sums found: new totals get them declared, existing ones a hint."""
    notes = []
    for total, parts in sums:
        names = ", ".join(f"„{indicators[p].name}“" for p in parts)
        said = f"„{indicators[total].name}“ ist die Summe von {names}"
        if total in new_keys:
            notes.append(
                f"{said}; das wird beim Übernehmen als „Summe aus“ hinterlegt, damit die "
                "Geheimhaltung diese Anzahlen gemeinsam schützt."
            )
        elif not _declared(indicators[total], parts):
            notes.append(
                f"{said}. Bitte in der Indikatorverwaltung unter „Summe aus“ eintragen, damit "
                "die Geheimhaltung diese Anzahlen gemeinsam schützt."
            )
    return notes


def _declared(indicator: Indicator, parts: list[str]) -> bool:
    if indicator.pk is None:
        return False
    return set(indicator.sum_of.values_list("key", flat=True)) == set(parts)


def declare(sums, new_keys: set[str]) -> list[str]:
    """Store the sums of new totals as "Summe aus"; returns the totals declared."""
    declared = []
    for total, parts in sums:
        if total in new_keys:
            Indicator.objects.get(key=total).sum_of.set(Indicator.objects.filter(key__in=parts))
            declared.append(total)
    return declared
