"""Small texts and numbers of the table import's check report (German, like the report).

Kept apart from :mod:`quartier.imports.values_import`, which decides what is found; this
module only says it: where duplicates stand, which symbols the file used, which indicators
the import creates for whom, and how many decimals the preview shows.
"""

from __future__ import annotations

from collections import defaultdict

from quartier.imports.cells import SYMBOL_MEANINGS
from quartier.indicators.models import Indicator, Kind

_VISIBILITY_WORDS = {"public": "öffentlich", "internal": "intern", "restricted": "eingeschränkt"}
_PLACES_SHOWN = 5  # a wrongly mapped table repeats one value in every row


def rows_where(places: list[tuple[int, str]]) -> str:
    """Where the copies of one value stand, as (file row, column) pairs: "Zeilen 4 und 9".

    Row numbers are those of the file as a spreadsheet shows them (1-based, header and title
    rows counted); copies in one row (two columns mapped to one indicator) name the columns.
    """
    lines = [line for line, _column in places]
    prefix, texts = "", [f"Zeile {line}, Spalte „{column}“" for line, column in places]
    if len(set(lines)) == len(lines):
        prefix, texts = "Zeilen ", [str(line) for line in lines]
    if len(texts) > _PLACES_SHOWN:
        texts = [*texts[:_PLACES_SHOWN], f"{len(texts) - _PLACES_SHOWN} weiteren"]
    return prefix + _and(texts)


def _and(parts: list[str]) -> str:
    """A German enumeration: "a, b und c"."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} und {parts[-1]}"


def symbol_note(symbol: str, flag: str, n: int) -> str:
    """How often a symbol occurs; one stored under another flag ("k. A." as ".") says so."""
    if symbol == flag:
        return f"{n} × Zeichen „{flag}“ (amtliche Statistik) übernommen."
    meaning = SYMBOL_MEANINGS.get(symbol, "")
    return (
        f"{n} × „{symbol}“{f' ({meaning})' if meaning else ''} übernommen, gespeichert als "
        f"fehlender Wert mit dem Kennzeichen „{flag}“."
    )


def new_indicator_names(
    indicators: dict[str, Indicator], new_keys: set[str]
) -> list[tuple[str, list[str]]]:
    """(visibility in German, names) of the indicators an import creates.

    ``indicators`` holds unsaved ones (with their ``_new_spec``) while checking, and the
    created ones while committing.
    """
    by_visibility: dict[str, list[str]] = defaultdict(list)
    for key in sorted(new_keys & set(indicators)):
        spec = getattr(indicators[key], "_new_spec", None)
        visibility = spec.visibility if spec is not None else indicators[key].visibility
        by_visibility[visibility].append(indicators[key].name)
    return [
        (_VISIBILITY_WORDS.get(visibility, visibility), names)
        for visibility, names in sorted(by_visibility.items())
    ]


def preview_decimals(indicator: Indicator, value: float | None) -> int:
    """Decimals to preview a value with: none for counts, the indicator's for others — and
    more if the value has them (up to 3), so that the preview hides nothing it stores.
    """
    spec = getattr(indicator, "_new_spec", None)
    if indicator.kind == Kind.COUNT:
        wanted = 0
    elif spec is not None:  # as newindicators._create_indicator will set them
        wanted = spec.decimals if spec.decimals is not None else 1
    else:
        wanted = indicator.decimals
    for places in range(wanted, 3):
        if value is None or round(value, places) == value:
            return places
    return max(wanted, 3)
