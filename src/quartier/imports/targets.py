"""The indicators a table mapping names, as the importing user may see and write them.

An indicator the user may not see is answered exactly like a key that does not
exist — as a target, and as the numerator or denominator of a new rate — so the
import tells nothing about other units' indicators (key enumeration). One the
user sees but may not write (another unit's) is refused by name with 403.
``user`` None is the operator at the command line, who may do everything.
"""

from __future__ import annotations

from quartier.access.rights import visible_ids
from quartier.access.writes import may_write_indicator
from quartier.errors import QuartierError
from quartier.imports.tablemap import TableMapping
from quartier.indicators.models import Indicator


def unknown_keys_error(keys) -> QuartierError:
    """The one answer for keys that do not exist *or* that the user may not see.

    Both must read exactly alike, or the wizard would tell which restricted
    indicators exist (key enumeration).
    """
    return QuartierError(f"Unbekannte Indikatoren in der Zuordnung: {', '.join(sorted(keys))}.")


def _known(keys: set[str], user) -> dict[str, Indicator]:
    """The indicators among ``keys`` that exist and that ``user`` may see (None: all)."""
    found = Indicator.objects.filter(key__in=keys)
    if user is not None:
        found = found.filter(pk__in=visible_ids(user))
    return {i.key: i for i in found}


def indicators_of(mapping: TableMapping, user=None) -> dict[str, Indicator]:
    """Existing indicators by key, plus unsaved ones for the new indicators of the mapping.

    Indicators ``user`` may not see count as unknown; so do numerators and
    denominators of new rates that are neither visible nor new in this mapping.
    """
    keys = set(mapping.columns.values()) | set(mapping.indicator_labels.values())
    if mapping.indicator:
        keys.add(mapping.indicator)
    keys.discard("")
    refs = {
        getattr(spec, role)
        for spec in mapping.new_indicators
        for role in ("numerator", "denominator")
        if getattr(spec, role)
    }
    new_keys = {spec.key for spec in mapping.new_indicators}
    known = _known(keys | (refs - new_keys), user)
    found = {key: known[key] for key in keys if key in known}
    for spec in mapping.new_indicators:
        if spec.key in found:
            raise QuartierError(f"Einen Indikator mit dem Kürzel „{spec.key}“ gibt es schon.")
        found[spec.key] = Indicator(key=spec.key, name=spec.name, unit=spec.unit, kind=spec.kind)
        found[spec.key]._new_spec = spec
    missing = (keys - set(found)) | (refs - new_keys - set(known))
    if missing:
        raise unknown_keys_error(missing)
    return found


def check_write_rights(user, indicators: dict[str, Indicator]) -> None:
    """Administrators may import anything; data stewards only their units' indicators.

    Only indicators the user may see reach this check (see :func:`indicators_of`), so
    naming them tells nothing new.
    """
    for indicator in indicators.values():
        if indicator.pk and not may_write_indicator(user, indicator):
            raise QuartierError(
                f"Sie dürfen keine Werte für „{indicator.name}“ importieren: der Indikator gehört "
                "einer anderen Organisationseinheit.",
                status=403,
            )


def check_mapping_rights(mapping: TableMapping, user) -> None:
    """Refuse a mapping naming indicators ``user`` may not see (as unknown) or not write (403).

    Called before anything is created or written, also when a checked job is committed.
    """
    check_write_rights(user, indicators_of(mapping, user))
