"""Results stored as derived indicators, and the stored analysis run.

Inputs are read by :mod:`quartier.analysis.reading` (protected or unprotected
values). Results become indicators like any other (values in an import batch),
which appear on the map, in profiles and in tables; they carry their definition
and inherit the strictest visibility of their inputs. A result computed from
unprotected values is *vertraulich*: restricted, and visible only to those who
may see its unprotected inputs unprotected (:mod:`quartier.access.rights`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils.text import slugify

from quartier.analysis import progress
from quartier.analysis.models import Analysis
from quartier.analysis.reading import Inputs, Reader
from quartier.errors import QuartierError
from quartier.indicators import datastate
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import Indicator, Kind, Topic, Value, Visibility
from quartier.indicators.writelock import lock_indicators
from quartier.testhooks import pause

_STRICTNESS = [Visibility.PUBLIC, Visibility.INTERNAL, Visibility.RESTRICTED]


def _visibility(reader: Reader) -> tuple[str, object]:
    """The visibility and the owner of the result.

    A confidential result is restricted to the unit of an input read unprotected; the
    rights let only those see it who may see all such inputs unprotected. Any other
    result gets the strictest visibility among its inputs.
    """
    inputs = list(reader.indicators.values())
    if reader.confidential:
        owners = sorted(reader.sources.values(), key=lambda i: i.key) or [
            i for i in inputs if i.confidential
        ]
        return Visibility.RESTRICTED, owners[0].owner if owners else None
    # Results are at least internal: publishing them is a decision of the data stewards.
    strictest = max([Visibility.INTERNAL, *(i.visibility for i in inputs)], key=_STRICTNESS.index)
    restricted = [i for i in inputs if i.visibility == Visibility.RESTRICTED]
    if restricted:
        return strictest, restricted[0].owner
    user = reader.user
    owner = user.units.order_by("name").first() if user.is_authenticated else None
    return strictest, owner


@dataclass
class Output:
    """One derived indicator to store: a score or a class/type with category labels."""

    suffix: str
    name: str
    values: np.ndarray
    unit: str = ""
    decimals: int = 2
    categories: list[dict] | None = None
    polarity: str = "neutral"


def _check_may_write(reader: Reader, key: str, definition: dict) -> None:
    """Refuse to overwrite an imported indicator or another person's analysis result.

    Protected and unprotected results never share a derived indicator: one that may
    be published must not receive confidential values, nor the other way round.
    """
    from quartier.access.rights import is_admin

    user = reader.user
    existing = Indicator.objects.filter(key=key).first()
    if existing is None:
        return
    taken = not existing.definition or existing.definition.get("kind") != definition.get("kind")
    if not taken and not is_admin(user):
        taken = (
            Analysis.objects.filter(outputs=existing).exclude(created_by=user).exists()
            and not Analysis.objects.filter(outputs=existing, created_by=user).exists()
        )
    if taken:
        raise QuartierError(
            f"Einen Indikator „{key}“ gibt es schon; "
            "bitte einen anderen Namen für die Analyse wählen."
        )
    if existing.confidential and not reader.confidential:
        raise QuartierError(
            f"„{existing.name}“ wurde aus ungeschützten Werten berechnet und bleibt vertraulich; "
            "für ein Ergebnis aus geschützten Werten bitte einen anderen Namen wählen."
        )
    if reader.confidential and not existing.confidential:
        raise QuartierError(
            f"„{existing.name}“ wurde aus geschützten Werten berechnet und kann veröffentlicht "
            "sein; für ein Ergebnis aus ungeschützten Werten bitte einen anderen Namen wählen."
        )


def store_outputs(
    reader: Reader,
    analysis_key: str,
    inputs: Inputs,
    outputs: list[Output],
    definition: dict,
    topic: str = Topic.SOCIAL,
) -> list[Indicator]:
    """Create or update the derived indicators and write their values as one batch."""
    progress.report(progress.STORE_AT, progress.STORING)
    visibility, owner = _visibility(reader)
    stored, rows = [], []
    key_of = {
        out.suffix: f"{slugify(analysis_key).replace('-', '_')[:40]}_{out.suffix}"
        for out in outputs
    }
    with transaction.atomic():
        lock_indicators(key_of.values())  # the same analysis run twice at once: one by one
        batch = create_batch(
            f"Analyse: {definition.get('name', analysis_key)}",
            user=reader.user,
            description="Ergebnis einer Analyse",
        )
        for out in outputs:
            key = key_of[out.suffix]
            _check_may_write(reader, key, definition)
            indicator, _created = Indicator.objects.update_or_create(
                key=key,
                defaults={
                    "name": out.name,
                    "kind": Kind.OTHER,
                    "unit": out.unit,
                    "topic": topic,
                    "decimals": out.decimals,
                    "categories": out.categories or [],
                    "definition": definition,
                    "visibility": visibility,
                    "confidential": reader.confidential,
                    "owner": owner,
                    "polarity": out.polarity,
                    "description": definition.get("description", ""),
                },
            )
            indicator.derived_from.set(reader.indicators.values())
            written = {int(a) for a, v in zip(inputs.area_ids, out.values, strict=True) if v == v}
            # A re-run replaces the period's result: areas that no longer take part lose
            # their old value instead of keeping a stale one.
            Value.objects.filter(indicator=indicator, period=inputs.period).exclude(
                area_id__in=written
            ).delete()
            datastate.changed([indicator.pk])  # also when no value is written again
            rows += [
                (indicator.pk, int(area), inputs.period, float(v), "")
                for area, v in zip(inputs.area_ids, out.values, strict=True)
                if v == v
            ]
            stored.append(indicator)
        write_values(batch, rows)
    return stored


def categories(labels: list[str], colours: list[str] | None = None) -> list[dict]:
    """Category entries (code 1…n, label, optional colour) of a class or type indicator."""
    return [
        {"code": i + 1, "label": label, **({"colour": colours[i]} if colours else {})}
        for i, label in enumerate(labels)
    ]


def save_analysis(
    reader: Reader, kind, name, level, period, definition, result, outputs, secret: dict
) -> Analysis:
    """Store one run of an analysis: its inputs, whether it read unprotected values, outputs.

    ``secret`` says how many areas were left out because values are secret
    (:func:`quartier.analysis.reading.secret_summary`); it is kept in the result.
    """
    pause("analysis-save")  # fault-injection tests kill the server here
    progress.report(progress.SAVE_AT, progress.STORING)
    result = {**result, "secret": secret}
    if reader.read_unprotected:
        result["unprotected_inputs"] = sorted(reader.read_unprotected)
    user = reader.user
    with transaction.atomic():
        analysis = Analysis.objects.create(
            kind=kind,
            name=name,
            level=level,
            period=period,
            definition=definition,
            result=result,
            confidential=reader.confidential,
            created_by=user if user.is_authenticated else None,
        )
        analysis.outputs.set(outputs)
        analysis.inputs.set(reader.indicators.values())
        analysis.confidential_sources.set(reader.sources.values())
    return analysis
