"""Good first guesses for a table's mapping, so that the wizard starts close to right."""

from __future__ import annotations

import re
from collections import Counter

from quartier.imports.cells import parse_cell
from quartier.imports.codes import normal_code
from quartier.imports.matching import candidates, match_indicator
from quartier.imports.tablemap import (
    NewIndicator,
    TableMapping,
    distinct_labels,
    parse_period,
    period_columns,
    suggest_key,
)
from quartier.imports.tables import RawTable
from quartier.spatial.index import area_index

_PERIOD_NAMES = re.compile(r"^(jahr|year|stichtag|zeit|datum|periode|period|date)$", re.I)
_ID_NAMES = re.compile(r"(^id$|_id$|^id_|_nr$|^nr$|schl(ü|ue)ssel|^code$|_code$)", re.I)
_VALUE_NAMES = re.compile(r"^(wert|value|zahl|anzahl|count|betrag)$", re.I)


def code_coverage(values: list[str]) -> dict[str, float]:
    """For each level: the share of distinct ``values`` that are (normalised) codes of it."""
    distinct = {v.strip() for v in values if v and v.strip()}
    if not distinct:
        return {}
    index = area_index()
    out = {}
    for level in index.levels:
        codes = set(index.areas(level).codes)
        normal = {normal_code(c) for c in codes}
        hits = sum(1 for v in distinct if v in codes or normal_code(v) in normal)
        if hits:
            out[level.key] = hits / len(distinct)
    return out


def guess_key(table: RawTable) -> tuple[str | None, str]:
    """The column holding area codes and the level they belong to (or "auto")."""
    best, best_level, best_share = None, "auto", 0.0
    sample = table.rows[:5000]
    for i, column in enumerate(table.columns):
        coverage = code_coverage([row[i] for row in sample])
        if not coverage:
            continue
        level, share = max(coverage.items(), key=lambda item: item[1])
        total = sum(coverage.values())
        if total > best_share:
            best, best_share = column, total
            best_level = level if share > 0.9 or len(coverage) == 1 else "auto"
    return best, best_level


def guess_mapping(table: RawTable, user=None) -> TableMapping:
    """A starting mapping: layout, key column, level, period column, value columns.

    Value columns go to the existing indicators they stand for, among those
    ``user`` may import into (None: all); the others to new indicators.
    """
    key, level = guess_key(table)
    key = key or (table.columns[0] if table.columns else "")
    periods = [c for c in table.columns if _PERIOD_NAMES.match(c.strip())]
    by_period = period_columns(table)
    period_column = periods[0] if periods else None
    if len(by_period) >= 2 and not period_column:
        return TableMapping(
            layout="wide_period", key_column=key, level=level, period_columns=by_period
        )
    values = [c for c in table.columns if _VALUE_NAMES.match(c.strip())]
    if period_column and values:
        others = [c for c in table.columns if c not in (key, period_column, values[0])]
        mapping = TableMapping(
            layout="long",
            key_column=key,
            level=level,
            period_column=period_column,
            value_column=values[0],
            indicator_columns=_label_columns(table, others, key),
        )
        _new_for_labels(table, mapping, user)
        return mapping
    mapping = TableMapping(layout="wide", key_column=key, level=level, period_column=period_column)
    _new_for_numeric_columns(table, mapping, user)
    return mapping


def _taken() -> set[str]:
    from quartier.indicators.models import Indicator

    return set(Indicator.objects.values_list("key", flat=True))


def _existing(label: str, available: list, kind: str | None) -> str | None:
    """The key of the existing indicator ``label`` stands for; each is proposed once."""
    found = match_indicator(label, available, kind=kind)
    if found is None:
        return None
    available.remove(found)
    return found.key


def _new_for_labels(table: RawTable, mapping: TableMapping, user=None) -> None:
    """Propose an existing indicator, or else a new count, for every label of a long table."""
    taken, available = _taken(), candidates(user)
    for label in distinct_labels(table, mapping)[:300]:
        existing = _existing(label, available, None)
        if existing:
            mapping.indicator_labels[label] = existing
            continue
        key = suggest_key(label, taken)
        taken.add(key)
        mapping.indicator_labels[label] = key
        mapping.new_indicators.append(NewIndicator(key=key, name=label))


def _new_for_numeric_columns(table: RawTable, mapping: TableMapping, user=None) -> None:
    """Propose for every column of numbers its existing indicator, or else a new one.

    New ones are counts if the column holds whole numbers.
    """
    taken, available = _taken(), candidates(user)
    for column in value_columns(table, mapping):
        i = table.columns.index(column)
        texts = [row[i] for row in table.rows[:2000]]
        if _ID_NAMES.search(column) or any(
            len(t) > 1 and t.startswith("0") and t.isdigit() for t in texts
        ):
            continue  # codes such as "district_id" or "01" are not values
        cells = [parse_cell(t, table.decimal, table.thousands) for t in texts]
        numbers = [c.value for c in cells if c.value is not None]
        if not numbers or any(c.problem for c in cells):
            continue
        whole = all(v == int(v) and v >= 0 for v in numbers)
        existing = _existing(column, available, "count" if whole else None)
        if existing:
            mapping.columns[column] = existing
            continue
        key = suggest_key(column, taken)
        taken.add(key)
        mapping.columns[column] = key
        mapping.new_indicators.append(
            NewIndicator(key=key, name=column, kind="count" if whole else "other")
        )


def _label_columns(table: RawTable, candidates: list[str], key: str) -> list[str]:
    """Text columns with few distinct values that do not just name the area."""
    k = table.columns.index(key)
    rows = table.rows[:20000]
    picked = []
    for column in candidates:
        i = table.columns.index(column)
        values = Counter(row[i] for row in rows)
        numeric = sum(1 for v in values if parse_period(v) or v.replace(".", "").isdigit())
        per_area = {(row[k], row[i]) for row in rows}
        names_the_area = len(per_area) == len({row[k] for row in rows})
        if 1 < len(values) <= 200 and numeric < len(values) / 2 and not names_the_area:
            picked.append(column)
    return picked[-2:]  # the most specific two, e.g. "tabelle" and "zeile"


def value_columns(table: RawTable, mapping: TableMapping) -> list[str]:
    """Columns that may hold values in the wide layout (not the key, not the period)."""
    return [c for c in table.columns if c not in (mapping.key_column, mapping.period_column)]
