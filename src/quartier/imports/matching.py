"""Which existing indicator a column (or a label of a long table) stands for.

A file uploaded again — next year's table, a corrected delivery — must land in
the indicators its first import created, not in look-alike duplicates
(``einwohner_insgesamt_2``). Columns are matched by key first (the key a new
indicator would get from the header), then by name, preferring the kind and
unit the column has. Only indicators the user may see and import into are
candidates, so a match never tells of another unit's indicators.
"""

from __future__ import annotations

from quartier.imports.tablemap import suggest_key
from quartier.indicators.models import Indicator


def candidates(user=None) -> list[Indicator]:
    """Indicators ``user`` may import values into (None: the operator — all of them).

    Rates computed from numerator and denominator take no imported values.
    """
    from quartier.access.rights import visible_ids, writable_indicators

    found = Indicator.objects.order_by("key")
    if user is not None:
        found = writable_indicators(user).filter(pk__in=visible_ids(user)).order_by("key")
    return [i for i in found if not i.is_computed]


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


def match_indicator(
    label: str, indicators: list[Indicator], *, kind: str | None = None, unit: str = ""
) -> Indicator | None:
    """The existing indicator for a column headed ``label`` (None: propose a new one).

    The key a new indicator would get from ``label`` decides first, then the
    name; among several, one of the column's ``kind`` and ``unit`` (when given)
    wins. The wizard shows the proposal, and the user may change it.
    """
    key, name = suggest_key(label, set()), _plain(label)

    def fits(indicator: Indicator) -> bool:
        return (kind is None or indicator.kind == kind) and (
            not unit.strip() or _plain(indicator.unit) == _plain(unit)
        )

    by_key = [i for i in indicators if i.key == key]
    by_name = [i for i in indicators if _plain(i.name) == name]
    for group in (by_key, by_name):
        if group:
            return next((i for i in group if fits(i)), group[0])
    return None


def same_definition(
    name: str, unit: str, kind: str, indicators: list[Indicator]
) -> Indicator | None:
    """An existing indicator of this name, unit and kind: a new one would duplicate it."""
    for indicator in indicators:
        if (
            _plain(indicator.name) == _plain(name)
            and _plain(indicator.unit) == _plain(unit)
            and indicator.kind == kind
        ):
            return indicator
    return None
