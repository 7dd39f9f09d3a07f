"""The indicators a table mapping names, as the importing user may see and write them.

A mapping's new indicators are a declaration, so that a saved mapping can be
used every night: one that exists already with a compatible definition (same
kind, same unit) is used as it is (:func:`reuse_existing`); one that differs is
refused with a German message.

An indicator the user may not see is answered exactly like a key that does not
exist — as a target, and as the numerator or denominator of a new rate — so the
import tells nothing about other units' indicators (key enumeration); as the key
of a new indicator it is refused as taken, without its name. One the user sees
but may not write (another unit's) is refused by name with 403.
``user`` None is the operator at the command line, who may do everything.
"""

from __future__ import annotations

from dataclasses import replace

from quartier.access.rights import visible_ids
from quartier.access.writes import may_write_indicator
from quartier.errors import QuartierError
from quartier.imports.tablemap import NewIndicator, TableMapping
from quartier.indicators.models import Indicator, Kind


def unknown_keys_error(keys) -> QuartierError:
    """The one answer for keys that do not exist *or* that the user may not see.

    Both must read exactly alike, or the wizard would tell which restricted
    indicators exist (key enumeration).
    """
    return QuartierError(f"Unbekannte Indikatoren in der Zuordnung: {', '.join(sorted(keys))}.")


def _same_unit(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _conflict(spec: NewIndicator, existing: Indicator) -> str | None:
    """Why ``existing`` cannot stand for the new indicator ``spec`` (None: it can).

    Kind and unit decide; an empty unit in the mapping asks for none in particular.
    Name, topic and the other metadata may have been edited since: they are kept.
    """
    if spec.kind != existing.kind:
        return f"als {Kind(existing.kind).label}, die Zuordnung sagt {_kind_label(spec.kind)}"
    if spec.unit.strip() and not _same_unit(spec.unit, existing.unit):
        return f"mit der Einheit „{existing.unit}“, die Zuordnung sagt „{spec.unit}“"
    for role, label in (("numerator", "Zähler"), ("denominator", "Nenner")):
        wanted, part = getattr(spec, role), getattr(existing, role)
        if wanted and (part is None or part.key != wanted):
            return f"mit einem anderen {label}, die Zuordnung sagt „{wanted}“"
    return None


def _kind_label(kind: str) -> str:
    try:
        return str(Kind(kind).label)
    except ValueError:
        return f"„{kind}“"


def reuse_existing(mapping: TableMapping, user=None) -> tuple[TableMapping, list[str]]:
    """The mapping with its new indicators that exist by now used as existing ones.

    Returns the mapping without those specs and a German note for each. A key
    that exists with another kind or unit is refused, naming the indicator; a
    key taken by an indicator ``user`` may not see is refused without naming it.
    Whether the user may write a reused indicator is checked afterwards, like
    for any existing target (:func:`check_write_rights`).
    """
    keys = [spec.key for spec in mapping.new_indicators]
    if not keys:
        return mapping, []
    found = {
        i.key: i
        for i in Indicator.objects.filter(key__in=keys).select_related("numerator", "denominator")
    }
    if not found:
        return mapping, []
    visible = None if user is None else visible_ids(user)
    keep, notes = [], []
    for spec in mapping.new_indicators:
        existing = found.get(spec.key)
        if existing is None:
            keep.append(spec)
            continue
        if visible is not None and existing.pk not in visible:
            raise QuartierError(
                f"Das Kürzel „{spec.key}“ ist schon vergeben. Bitte wählen Sie in der Zuordnung "
                "ein anderes Kürzel für den neuen Indikator; nichts wurde gespeichert."
            )
        conflict = _conflict(spec, existing)
        if conflict:
            raise QuartierError(
                f"Den Indikator „{existing.name}“ ({spec.key}) gibt es schon, aber {conflict}. "
                "Bitte wählen Sie in der Zuordnung ein anderes Kürzel oder gleichen Sie Art und "
                "Einheit an; nichts wurde gespeichert."
            )
        notes.append(f"„{existing.name}“ ({spec.key}) gibt es schon: die Werte kommen dorthin.")
    return replace(mapping, new_indicators=keep), notes


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
    New indicators that exist already are used as they are (:func:`reuse_existing`).
    """
    mapping, _notes = reuse_existing(mapping, user)
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
