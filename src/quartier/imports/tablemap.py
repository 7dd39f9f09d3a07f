"""How the columns of a statistics table map to areas, indicators and periods.

Three layouts are understood:

* ``wide`` – a column per indicator, one period (fixed or from a column);
* ``wide_period`` – one indicator, a column per period (headers like "2019");
* ``long`` – a row per (area, indicator, period) with indicator column(s) and
  a value column.

:func:`to_long` turns any of them into :class:`LongRow` records; the mapping
itself is plain data (JSON) so the wizard, the CLI and nightly jobs share it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import NamedTuple, TypeVar

from django.utils.text import slugify

from quartier.errors import QuartierError
from quartier.imports.cells import Cell, cell_parser
from quartier.imports.tables import RawTable

LAYOUTS = ("wide", "wide_period", "long")
IGNORE = ""
T = TypeVar("T")


@dataclass
class NewIndicator:
    """An indicator to create during the import."""

    key: str
    name: str
    unit: str = ""
    kind: str = "count"
    topic: str = "soziales"
    decimals: int | None = None
    polarity: str = "neutral"
    numerator: str | None = None
    denominator: str | None = None
    factor: float = 100.0
    description: str = ""
    visibility: str = "internal"  # who sees it: "public", "internal" or "restricted"


# Visibilities a mapping file may name, also in German (see the README).
VISIBILITIES = {
    "public": "public",
    "öffentlich": "public",
    "oeffentlich": "public",
    "internal": "internal",
    "intern": "internal",
    "restricted": "restricted",
    "eingeschränkt": "restricted",
    "eingeschraenkt": "restricted",
}


def _visibility(spec: NewIndicator) -> str:
    """The visibility code of a new indicator from a mapping file; a clear error if unknown."""
    code = VISIBILITIES.get(str(spec.visibility).strip().lower())
    if code is None:
        raise QuartierError(
            f"Unbekannte Sichtbarkeit „{spec.visibility}“ für den neuen Indikator „{spec.key}“ "
            "(erlaubt: internal/intern, public/öffentlich, restricted/eingeschränkt)."
        )
    return code


@dataclass
class TableMapping:
    """The user's choices for one table (serialisable as JSON)."""

    layout: str
    key_column: str
    level: str = "auto"  # a level key, or "auto": each code is looked up on every level
    period_column: str | None = None
    period: str | None = None  # fixed period, ISO date or year
    columns: dict[str, str] = field(default_factory=dict)  # wide: column → indicator key
    indicator: str | None = None  # wide_period: the one indicator
    period_columns: list[str] = field(default_factory=list)  # wide_period
    indicator_columns: list[str] = field(default_factory=list)  # long
    value_column: str | None = None  # long
    indicator_labels: dict[str, str] = field(default_factory=dict)  # long: label → key
    new_indicators: list[NewIndicator] = field(default_factory=list)
    source: str = ""

    def to_json(self) -> dict:
        """The mapping as a JSON-compatible dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> TableMapping:
        """Rebuild a mapping from :meth:`to_json` output (or a mapping file)."""
        data = dict(data)
        data["new_indicators"] = [NewIndicator(**n) for n in data.get("new_indicators", [])]
        for spec in data["new_indicators"]:
            spec.visibility = _visibility(spec)
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise QuartierError(
                f"Unbekannte Angaben in der Zuordnung: {', '.join(sorted(unknown))}."
            )
        mapping = cls(**data)
        if mapping.layout not in LAYOUTS:
            raise QuartierError(
                f"Unbekanntes Tabellenformat „{mapping.layout}“ (erlaubt: wide, wide_period, long)."
            )
        return mapping


class LongRow(NamedTuple):
    """One value of the table in long form, before codes are matched.

    A named tuple, not a dataclass: a million-row sheet makes millions of them, and a tuple
    is made faster and is half the size.
    """

    line: int  # row number in the file (1-based, header and title rows counted)
    code: str
    indicator: str
    period: date
    cell: Cell
    column: str


_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), "dmy"),
)
_MONTH = re.compile(r"^((?:19|20)\d\d)-?(\d\d)$")
_YEAR_AT_END = re.compile(r"^[^\d]*?((?:19|20)\d\d)$")  # "2019", "EW_2019", "Jahr 2019"


def parse_period(text: str | int | None) -> date | None:
    """A reference date from "2024", "31.12.2024", "2024-12-31", "202012" or "2020-12".

    A year alone means 31 December; a month means its last day.
    """
    if text is None:
        return None
    text = str(text).strip().removesuffix(".0")
    for pattern, order in _DATE_PATTERNS:
        found = pattern.match(text)
        if found:
            parts = [int(x) for x in found.groups()]
            y, mo, d = parts if order == "ymd" else parts[::-1]
            try:
                return date(y, mo, d)
            except ValueError:
                return None
    found = _MONTH.match(text)
    if found:
        y, mo = int(found.group(1)), int(found.group(2))
        return date(y, mo, calendar.monthrange(y, mo)[1]) if 1 <= mo <= 12 else None
    found = _YEAR_AT_END.match(text)
    return date(int(found.group(1)), 12, 31) if found else None


def suggest_key(label: str, taken: set[str]) -> str:
    """A new indicator key from a label, unique among ``taken``."""
    spelled = label
    for umlaut, plain in (
        ("ä", "ae"),
        ("ö", "oe"),
        ("ü", "ue"),
        ("Ä", "Ae"),
        ("Ö", "Oe"),
        ("Ü", "Ue"),
        ("ß", "ss"),
    ):
        spelled = spelled.replace(umlaut, plain)
    base = slugify(spelled).replace("-", "_")[:50] or "indikator"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _column(table: RawTable, name: str | None, what: str) -> int:
    if not name:
        raise QuartierError(f"Bitte die Spalte für {what} wählen.")
    try:
        return table.columns.index(name)
    except ValueError:
        raise QuartierError(f"Die Spalte „{name}“ ({what}) gibt es in der Tabelle nicht.") from None


def _fixed_period(mapping: TableMapping) -> date | None:
    if mapping.period_column:
        return None
    period = parse_period(mapping.period)
    if period is None:
        raise QuartierError(
            "Bitte einen Stichtag angeben (z. B. 31.12.2024) oder eine Spalte "
            "mit dem Stichtag wählen."
        )
    return period


def to_long(table: RawTable, mapping: TableMapping) -> tuple[list[LongRow], list[str]]:
    """All values of ``table`` as long rows; also German problems found on the way."""
    key = _column(table, mapping.key_column, "den Gebietsschlüssel")
    fixed = _fixed_period(mapping) if mapping.layout != "wide_period" else None
    period_col = (
        _column(table, mapping.period_column, "den Stichtag")
        if mapping.period_column and mapping.layout != "wide_period"
        else None
    )
    parse = _memo(cell_parser(table.decimal, table.thousands))  # number format of the whole table
    when_of = _memo(parse_period)
    codes = _memo(str.strip)
    columns = _wide_targets(table, mapping)
    rows, problems = [], []
    append = rows.append
    for index, raw in enumerate(table.rows):
        code = codes(raw[key])
        if not code:
            continue
        n = table.line(index)
        if period_col is not None:
            period = when_of(raw[period_col])
            if period is None:
                problems.append(f"Zeile {n}: „{raw[period_col]}“ ist kein Stichtag.")
                continue
        else:
            period = fixed
        targets = _targets(table, mapping, raw, period) if columns is None else columns
        for column, indicator, when in targets:
            append(
                LongRow(
                    n,
                    code,
                    indicator,
                    period if when is _ROW_PERIOD else when,
                    parse(raw[column]),
                    table.columns[column],
                )
            )
    return rows, problems


_ROW_PERIOD = object()  # in _wide_targets: the row's own period


def _wide_targets(table: RawTable, mapping: TableMapping) -> list[tuple] | None:
    """For the wide layout the same (column, indicator, period) in every row: found once."""
    if mapping.layout != "wide":
        return None
    return [
        (table.columns.index(name), indicator, _ROW_PERIOD)
        for name, indicator in mapping.columns.items()
        if indicator != IGNORE
    ]


def _memo(function: Callable[[str], T], size: int = 200_000) -> Callable[[str], T]:
    """``function`` remembering its results for up to ``size`` distinct texts.

    Tables repeat codes, periods and small counts over many rows; parsing each distinct
    text once also lets equal cells share one result object.
    """
    cache: dict[str, T] = {}

    def cached(text: str) -> T:
        found = cache.get(text, cache)
        if found is cache:
            found = function(text)
            if len(cache) < size:
                cache[text] = found
        return found

    return cached


def _targets(table: RawTable, mapping: TableMapping, raw: list[str], period: date | None):
    """(column index, indicator key, period) of every value in one table row."""
    if mapping.layout == "wide":
        for name, indicator in mapping.columns.items():
            if indicator != IGNORE:
                yield table.columns.index(name), indicator, period
    elif mapping.layout == "wide_period":
        for name in mapping.period_columns:
            yield table.columns.index(name), mapping.indicator, parse_period(name)
    else:
        value = _column(table, mapping.value_column, "die Werte")
        label = indicator_label(table, mapping, raw)
        indicator = mapping.indicator_labels.get(label, IGNORE)
        if indicator != IGNORE:
            yield value, indicator, period


def indicator_label(table: RawTable, mapping: TableMapping, raw: list[str]) -> str:
    """The text that identifies the indicator of a long-format row."""
    parts = [raw[_column(table, c, "den Indikator")].strip() for c in mapping.indicator_columns]
    return " – ".join(p for p in parts if p)


def distinct_labels(table: RawTable, mapping: TableMapping) -> list[str]:
    """All indicator labels of a long table, in order of first appearance."""
    seen: dict[str, None] = {}
    for raw in table.rows:
        seen.setdefault(indicator_label(table, mapping, raw), None)
    return [label for label in seen if label]


def period_columns(table: RawTable) -> list[str]:
    """Columns whose header is a reference date (for the wide-by-period layout)."""
    return [c for c in table.columns if parse_period(c) is not None]
