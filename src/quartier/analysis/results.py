"""Inputs from the read layer, and results stored as derived indicators.

Analyses read their inputs through the read layer as the requesting user — so
visibility and disclosure control apply (hidden values are simply missing).
Results become indicators like any other (values in an import batch), which
appear on the map, in profiles and in tables; they carry their definition and
inherit the strictest visibility of their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import transaction
from django.utils.text import slugify

from quartier.analysis.models import Analysis
from quartier.errors import QuartierError
from quartier.indicators import readlayer
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import Indicator, Kind, Topic, Value, Visibility
from quartier.spatial.models import Level

_STRICTNESS = [Visibility.PUBLIC, Visibility.INTERNAL, Visibility.RESTRICTED]


@dataclass
class Inputs:
    """Input values aligned to the areas of one level and period."""

    level: Level
    period: date
    area_ids: np.ndarray
    codes: list[str]
    names: list[str]
    values: dict[str, np.ndarray]
    indicators: dict[str, Indicator]


def load_inputs(user, keys: list[str], level_key: str, period: date) -> Inputs:
    """Values of ``keys`` at a level and period, as ``user`` may see them (hidden = NaN)."""
    if not keys:
        raise QuartierError("Bitte mindestens einen Indikator wählen.")
    reader = readlayer.reader(user)
    level = reader.level(level_key)
    indicators, values, base = {}, {}, None
    for key in keys:
        indicator = reader.get_indicator(key)
        result = reader.values(indicator, level, period)
        shown = np.where(result.shown, result.values, np.nan)
        if base is None:
            base = result
        values[key], indicators[key] = shown, indicator
    return Inputs(level, period, base.area_ids, base.codes, base.names, values, indicators)


def years_before(period: date, years: int) -> date:
    """The same day ``years`` earlier (28 February for a 29 February)."""
    try:
        return period.replace(year=period.year - years)
    except ValueError:
        return period.replace(year=period.year - years, day=28)


def load_changes(user, keys: list[str], inputs: Inputs, years: int) -> dict[str, np.ndarray]:
    """Change of each indicator over ``years`` up to ``inputs.period`` (e.g. percentage points).

    By the read layer's one rule for changes (:mod:`quartier.indicators.comparison`,
    as on the map): an area whose boundary changed in between has no change, since
    its values describe different territories.
    """
    reader = readlayer.reader(user)
    earlier = years_before(inputs.period, years)
    changes = {}
    for key in keys:
        change = reader.change(inputs.indicators[key], inputs.level, inputs.period, earlier)
        changes[key] = np.where(change.shown, change.values, np.nan)
        if not np.isfinite(changes[key]).any():
            raise QuartierError(
                f"Für „{inputs.indicators[key].name}“ fehlen Werte zum "
                f"{earlier:%d.%m.%Y}; die Veränderung über {years} Jahre ist nicht berechenbar."
            )
    return changes


def series_inputs(user, key: str, level_key: str) -> tuple[list[date], np.ndarray, list[float]]:
    """All periods of one indicator at a level: (periods, values[periods, areas], city values)."""
    reader = readlayer.reader(user)
    indicator = reader.get_indicator(key)
    periods = reader.periods_by_indicator().get(indicator.pk, [])
    level = reader.level(level_key)
    results = reader.series(indicator, level, periods)
    matrix = np.vstack([np.where(r.shown, r.values, np.nan) for r in results])
    city = reader.totals(indicator, periods)
    return periods, matrix, [np.nan if c is None else c for c in city]


def _visibility(inputs: list[Indicator], user) -> tuple[str, object]:
    """The strictest visibility among the inputs, and the owner for the result."""
    # Results are at least internal: publishing them is a decision of the data stewards.
    strictest = max([Visibility.INTERNAL, *(i.visibility for i in inputs)], key=_STRICTNESS.index)
    restricted = [i for i in inputs if i.visibility == Visibility.RESTRICTED]
    if restricted:
        return strictest, restricted[0].owner
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


def _check_may_write(user, key: str, definition: dict) -> None:
    """Refuse to overwrite an imported indicator or another person's analysis result."""
    from quartier.access.rights import is_admin
    from quartier.analysis.models import Analysis

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


def store_outputs(
    user,
    analysis_key: str,
    inputs: Inputs,
    outputs: list[Output],
    definition: dict,
    topic: str = Topic.SOCIAL,
) -> list[Indicator]:
    """Create or update the derived indicators and write their values as one batch."""
    visibility, owner = _visibility(list(inputs.indicators.values()), user)
    stored, rows = [], []
    with transaction.atomic():
        batch = create_batch(
            f"Analyse: {definition.get('name', analysis_key)}",
            user=user,
            description="Ergebnis einer Analyse",
        )
        for out in outputs:
            key = f"{slugify(analysis_key).replace('-', '_')[:40]}_{out.suffix}"
            _check_may_write(user, key, definition)
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
                    "owner": owner,
                    "polarity": out.polarity,
                    "description": definition.get("description", ""),
                },
            )
            indicator.derived_from.set(inputs.indicators.values())
            written = {int(a) for a, v in zip(inputs.area_ids, out.values, strict=True) if v == v}
            # A re-run replaces the period's result: areas that no longer take part lose
            # their old value instead of keeping a stale one.
            Value.objects.filter(indicator=indicator, period=inputs.period).exclude(
                area_id__in=written
            ).delete()
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


def save_analysis(user, kind, name, level, period, definition, result, outputs) -> Analysis:
    """Store one run of an analysis with the derived indicators it produced."""
    analysis = Analysis.objects.create(
        kind=kind,
        name=name,
        level=level,
        period=period,
        definition=definition,
        result=result,
        created_by=user if user.is_authenticated else None,
    )
    analysis.outputs.set(outputs)
    return analysis
