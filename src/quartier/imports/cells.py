"""Parse the text of one table cell into a number, the way German official statistics write it.

Municipal tables mix numbers with the symbols of the "Zeichenerklärung" of the statistical
offices (``.`` unknown, ``-`` nothing, ``x`` locked, ``…`` later, ``/`` unreliable), with
thousands separators, footnote letters and placeholder values such as ``-9999``. This module
turns each cell into a :class:`Cell` (value, flag, problem) and never raises: a cell that is
not understood carries a German ``problem`` text instead, so an import can list every bad
cell at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Cell:
    """One parsed cell.

    ``value`` is the number (None if missing), ``flag`` says why a value is missing or how it
    is qualified (``""`` normal, ``"."`` unknown/secret, ``"-"`` nothing (value 0.0), ``"x"``
    locked, ``"..."`` not yet available, ``"sentinel"`` placeholder like -9999, ``"p"``
    provisional, ``"r"`` revised, ``"s"``/``"e"`` estimated) and ``problem`` is a German text
    if the cell is neither a number nor a known symbol. ``symbol`` names what the file wrote
    when that differs in meaning from the flag's own sign (``"k. A."``, ``"/"``, ``"NA"``
    are stored as ``"."`` but reported as what they are).
    """

    value: float | None
    flag: str
    problem: str | None
    symbol: str = ""


# Placeholder values that statistics exports use for "no value". Only long runs of nines are
# safe: -1, -99 and -999 occur as real values (balances, changes, index scores), so they are
# deliberately not in this set.
SENTINELS: frozenset[float] = frozenset(
    {-9999.0, -99999.0, -999999.0, -9999999.0, -99999999.0, -999999999.0}
)

_MISSING = Cell(None, "", None)
_UNKNOWN = Cell(None, ".", None)
_NOTHING = Cell(0.0, "-", None)
_LOCKED = Cell(None, "x", None)
_LATER = Cell(None, "...", None)
_SENTINEL = Cell(None, "sentinel", None)

# Zeichenerklärung of the German statistical offices, plus spellings seen in exports of other
# tools ("k. A." = keine Angabe, NA/NaN from R and pandas) that mean "unknown" as well.
_SYMBOLS: dict[str, Cell] = {
    ".": _UNKNOWN,
    "/": Cell(None, ".", None, "/"),  # "Zahlenwert nicht sicher genug"
    "-": _NOTHING,
    "\u2013": _NOTHING,  # en dash, as printed in statistical yearbooks
    "\u2014": _NOTHING,  # em dash, typed by word processors instead of "-"
    "x": _LOCKED,
    "X": _LOCKED,
    "\u2026": _LATER,
    "...": _LATER,
}
# What the symbols stored under another flag mean, for the import report.
SYMBOL_MEANINGS = {
    "/": "Zahlenwert nicht sicher genug",
    "k. A.": "keine Angabe",
    "n. a.": "nicht angegeben",
    "NA": "nicht verfügbar",
}
_UNKNOWN_WORDS: dict[str, Cell] = {
    word: Cell(None, ".", None, symbol)
    for symbol, words in (
        ("k. A.", ("k.a.", "k. a.", "k.a", "k. a", "keine angabe")),
        ("n. a.", ("n.a.", "n. a.")),
        ("NA", ("na", "n/a", "nan")),
    )
    for word in words
}

# Space-like characters that may group thousands in every format (DIN 1333 uses thin spaces).
_SPACES = " \u00a0\u202f\u2009"
_MINUS_SIGNS = "-\u2212\u2013"  # hyphen, Unicode minus, en dash
_SIGN_CLASS = "[+" + re.escape(_MINUS_SIGNS) + "]"  # escaped: "+-…" would be a range
_FLAG_LETTERS = "prse"  # vorläufig, berichtigt, geschätzt, estimated (Eurostat)


@lru_cache(maxsize=16)
def _number_pattern(decimal: str, thousands: str | None) -> tuple[re.Pattern[str], dict[int, None]]:
    """Regex for one number format and a translate table that deletes its group separators."""
    seps = _SPACES + (thousands if thousands and thousands != decimal else "")
    group = f"[{re.escape(seps)}]"
    pattern = re.compile(
        rf"(?P<sign>{_SIGN_CLASS}?)\s*"
        rf"(?P<int>[1-9]\d{{0,2}}(?:{group}\d{{3}})+|\d+)?"  # a group never starts with 0
        rf"(?:{re.escape(decimal)}(?P<frac>\d*))?"
        r"(?:[eE](?P<exp>[+-]?\d+))?"
        r"\s*%?\s*"
        rf"(?P<flag>[{_FLAG_LETTERS}{_FLAG_LETTERS.upper()}])?"
    )
    return pattern, {ord(ch): None for ch in seps}


def parse_cell(text: str | None, decimal: str = ",", thousands: str | None = ".") -> Cell:
    """Parse one cell text with the given decimal mark and thousands separator.

    Empty text is missing without a problem; statistics symbols map to their flags; sentinel
    values such as -9999 become missing with flag ``"sentinel"``. Thousands separators must
    sit between groups of three digits, so "3.14" is not read as 314 in German format.
    """
    return _parser(decimal, thousands)(text)


def cell_parser(decimal: str = ",", thousands: str | None = ".") -> Callable[[str | None], Cell]:
    """:func:`parse_cell` for one number format, for parsing many cells."""
    return _parser(decimal, thousands)


@lru_cache(maxsize=16)
def _parser(decimal: str, thousands: str | None) -> Callable[[str | None], Cell]:
    """A parse function for one number format (built once: columns have 100,000s of cells)."""
    pattern, delete_seps = _number_pattern(decimal, thousands)
    fullmatch, symbols, sentinels = pattern.fullmatch, _SYMBOLS, SENTINELS

    def parse(text: str | None) -> Cell:
        if text is None:
            return _MISSING
        stripped = text.strip()
        if not stripped:
            return _MISSING
        symbol = symbols.get(stripped)
        if symbol is not None:
            return symbol
        # fast path for common plain numbers ("2687,3", "12", "1.234,5"): no regex needed
        head, mark, tail = stripped.partition(decimal)
        if (tail.isdigit() or not mark) and stripped.isascii():
            digits = head if head.isdigit() else _ungroup(head, thousands)
            if digits:
                return Cell(float(f"{digits}.{tail}" if tail else digits), "", None)
        match = fullmatch(stripped)
        if match is None:
            return _not_a_number(stripped, decimal, thousands)
        sign, whole, frac, exp, flag = match.groups()
        if not (whole or frac):
            return _not_a_number(stripped, decimal, thousands)
        number = f"{'-' if sign and sign != '+' else ''}{(whole or '0').translate(delete_seps)}"
        number += f".{frac or '0'}e{exp}" if exp else f".{frac or '0'}"
        value = float(number)
        if value in sentinels:
            return _SENTINEL
        if not math.isfinite(value):
            return Cell(None, "", f"„{_shorten(stripped)}“ ist als Zahl zu groß.")
        return Cell(value + 0.0, flag.lower() if flag else "", None)  # + 0.0: no -0.0

    return parse


def _ungroup(head: str, thousands: str | None) -> str | None:
    """Digits of a grouped integer part ("1.234.567" -> "1234567"), None if the groups are
    not valid (first group 1-3 digits not starting with 0, then groups of exactly 3).
    """
    if not thousands or len(thousands) != 1 or thousands not in head:
        return None
    digits = head.replace(thousands, "")
    if not digits.isdigit() or digits[0] == "0":
        return None
    # separators must sit at every fourth place from the right, and nowhere else
    separators = head[-4::-4]
    count = len(separators)
    if separators == thousands * count and head.count(thousands) == count == (len(digits) - 1) // 3:
        return digits
    return None


def _not_a_number(text: str, decimal: str, thousands: str | None) -> Cell:
    """A cell that is no number: unknown if it is a common "no data" word, else a problem."""
    unknown = _UNKNOWN_WORDS.get(text.lower())
    if unknown is not None:
        return unknown
    return Cell(None, "", _problem(text, decimal, thousands))


def _problem(text: str, decimal: str, thousands: str | None) -> str:
    """German explanation for a cell that is not a number, with a hint where one helps."""
    shown = _shorten(text)
    if text.startswith("#") and (text.endswith(("!", "?")) or text.upper() in {"#NV", "#N/A"}):
        return f"„{shown}“ ist ein Fehlerwert aus Excel, keine Zahl. Bitte die Formel prüfen."
    other = "." if decimal == "," else ","
    pattern, _ = _number_pattern(other, None)
    if pattern.fullmatch(text):
        if decimal == ",":
            expected = "mit Dezimalkomma (z. B. 1.234,5)"
        else:
            expected = "mit Dezimalpunkt (z. B. 1234.5)"
        return f"„{shown}“ ist keine Zahl im erkannten Format {expected}. Bitte das Format prüfen."
    return f"„{shown}“ ist keine Zahl."


def _shorten(text: str, limit: int = 40) -> str:
    """Cut long cell texts so that a message stays one line."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_column(texts: list[str | None], decimal: str, thousands: str | None) -> list[Cell]:
    """Parse a whole column; repeated texts are parsed once (columns repeat values a lot)."""
    parse = _parser(decimal, thousands)
    cache: dict[str | None, Cell] = {}
    result: list[Cell] = []
    append = result.append
    for text in texts:
        cell = cache.get(text)
        if cell is None:
            cell = parse(text)
            if len(cache) < 100_000:  # bound memory for columns of unique values
                cache[text] = cell
        append(cell)
    return result


# Evidence for detect_number_format. A group of thousands never starts with 0, which keeps
# IDs like "010.005" and dates like "31.12.2023" out of the evidence.
_GERMAN_FULL = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+,\d+|[1-9]\d{0,2}(?:\.\d{3}){2,}")
_ENGLISH_FULL = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+\.\d+|[1-9]\d{0,2}(?:,\d{3}){2,}")
_AMBIGUOUS_DOT = re.compile(r"[1-9]\d{0,2}\.\d{3}")
_AMBIGUOUS_COMMA = re.compile(r"[1-9]\d{0,2},\d{3}")
_COMMA_DECIMAL = re.compile(r"\d*,\d+")
_DOT_DECIMAL = re.compile(r"\d*\.\d+")
_STRIP_CORE = re.compile(rf"^{_SIGN_CLASS}|%$|(?<=\d)[{_FLAG_LETTERS}]$")


def _evidence(samples: list[str]) -> dict[str, int]:
    """Count how many samples speak for each reading of "." and ","."""
    counts = dict.fromkeys(("german", "english", "comma_groups", "dot3", "comma3"), 0)
    delete_spaces = {ord(ch): None for ch in _SPACES}
    for sample in samples:
        if not sample or ("," not in sample and "." not in sample):
            continue
        core = _STRIP_CORE.sub("", sample.strip().translate(delete_spaces))
        if _GERMAN_FULL.fullmatch(core):
            counts["german"] += 1
        elif _ENGLISH_FULL.fullmatch(core):
            counts["english"] += 1
            counts["comma_groups"] += 1
        elif _AMBIGUOUS_DOT.fullmatch(core):
            counts["dot3"] += 1
        elif _AMBIGUOUS_COMMA.fullmatch(core):
            counts["comma3"] += 1
        elif _COMMA_DECIMAL.fullmatch(core):
            counts["german"] += 1
        elif _DOT_DECIMAL.fullmatch(core):
            counts["english"] += 1
    return counts


def detect_number_format(
    samples: list[str], *, german_hint: bool = False
) -> tuple[str, str | None]:
    """Decide ``(decimal, thousands)`` from many cell texts.

    Rule: unambiguous samples vote — "12,5", "0,123", "1.234,5" and "1.234.567" for German
    (",", "."); "3.14", "0.123", "1,234.5" and "1,234,567" for English ("." with "," as
    thousands only if a sample groups with commas, else None). The majority wins; a tie goes
    to German. Samples that fit both readings ("1.234", "1,234": one to three digits, a mark,
    exactly three digits) do not vote. If only such samples exist, "1.234" is read as a
    decimal point unless ``german_hint`` is set (e.g. the CSV uses ";", as German Excel does),
    and "1,234" is read as a decimal comma, because comma-grouped integers without any
    decimal point are rare in German data. Without any evidence the result is German if
    ``german_hint`` is set, else (".", None).
    """
    counts = _evidence(samples)
    german, english = counts["german"], counts["english"]
    if german or english:
        if english > german:
            has_comma_groups = counts["comma_groups"] or counts["comma3"]
            return ".", ("," if has_comma_groups else None)
        return ",", "."
    if counts["dot3"]:
        return (",", ".") if german_hint else (".", None)
    if counts["comma3"] or german_hint:
        return ",", "."
    return ".", None
