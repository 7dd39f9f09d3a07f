"""Creating the new indicators an import mapping names, inside the import's transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from quartier.errors import QuartierError
from quartier.imports.tablemap import NewIndicator, TableMapping
from quartier.indicators.models import Indicator, Kind
from quartier.indicators.writelock import lock_indicators


def mapping_keys(mapping: TableMapping) -> set[str]:
    """Keys of all indicators a mapping writes, existing and new."""
    keys = set(mapping.columns.values()) | set(mapping.indicator_labels.values())
    keys |= {mapping.indicator or ""} | {spec.key for spec in mapping.new_indicators}
    return keys - {""}


def create_indicators(mapping: TableMapping, user) -> list[Indicator]:
    """Create the mapping's new indicators, owned by the importing user's unit; return them.

    Call inside a transaction. A key that exists by now was created by an import
    running at the same time (this one waited for it): a clear error, nothing written.
    """
    lock_indicators(spec.key for spec in mapping.new_indicators)
    taken = set(
        Indicator.objects.filter(key__in=[spec.key for spec in mapping.new_indicators]).values_list(
            "key", flat=True
        )
    )
    if taken:
        raise QuartierError(
            f"Einen Indikator mit dem Kürzel „{sorted(taken)[0]}“ hat inzwischen ein anderer, "
            "gleichzeitig laufender Import angelegt; nichts wurde gespeichert. Bitte prüfen Sie "
            "dessen Werte und wählen Sie den vorhandenen Indikator, wenn Sie erneut importieren."
        )
    owner = None
    if user is not None and getattr(user, "is_authenticated", False):
        owner = user.units.order_by("name").first()
    # Counts first: a new rate may use new counts as numerator and denominator.
    return [
        _create_indicator(spec, owner)
        for spec in sorted(mapping.new_indicators, key=lambda n: n.kind == Kind.RATE)
    ]


def _create_indicator(spec: NewIndicator, owner) -> Indicator:
    refs = {}
    for role in ("numerator", "denominator"):
        key = getattr(spec, role)
        if key:
            refs[role] = Indicator.objects.get(key=key)
    decimals = spec.decimals if spec.decimals is not None else (0 if spec.kind == "count" else 1)
    indicator = Indicator(
        key=spec.key,
        name=spec.name,
        unit=spec.unit,
        kind=spec.kind,
        topic=spec.topic,
        decimals=decimals,
        polarity=spec.polarity,
        factor=spec.factor,
        description=spec.description,
        owner=owner,
        visibility=spec.visibility,
        **refs,
    )
    try:
        indicator.full_clean(exclude=["owner"])
    except ValidationError as exc:
        raise QuartierError(
            f"Der neue Indikator „{spec.key}“ ist so nicht möglich: {' '.join(exc.messages)} "
            "Bitte die Zuordnung korrigieren; nichts wurde gespeichert."
        ) from exc
    indicator.save()
    return indicator
