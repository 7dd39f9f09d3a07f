"""Running analyses: read inputs, call the core functions, store and describe the results."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import numpy as np
from django.db import transaction
from django.utils.translation import gettext_noop

from quartier.analysis.describe import describe_index, describe_lisa, describe_typology, in_german
from quartier.analysis.models import Analysis
from quartier.analysis.reading import Reader, secret_summary
from quartier.analysis.results import Output, categories, save_analysis, store_outputs
from quartier.analysis.runs_mss import run_mss
from quartier.analysis.runs_series import run_need, run_segregation
from quartier.errors import QuartierError

__all__ = ["run_index", "run_lisa", "run_mss", "run_need", "run_segregation", "run_typology"]

# Stored in German with the result; the result page translates them (result_label).
QUADRANTS = [
    ("HH", gettext_noop("Hot Spot (hoch, umgeben von hoch)"), "#b2182b"),
    ("LL", gettext_noop("Cold Spot (niedrig, umgeben von niedrig)"), "#2166ac"),
    ("HL", gettext_noop("Ausreißer: hoch, umgeben von niedrig"), "#f4a582"),
    ("LH", gettext_noop("Ausreißer: niedrig, umgeben von hoch"), "#92c5de"),
    ("ns", gettext_noop("nicht signifikant"), "#f0f0f0"),
]


def run_index(
    user, name: str, level_key: str, period: date, spec_json: dict, *, unprotected: bool = False
) -> Analysis:
    """A composite index (score and classes) from a stored definition.

    ``unprotected``: read values before disclosure control where ``user`` may (the
    result stays confidential); by default on protected values (see :mod:`.reading`).
    """
    from quartier.core.indices import compute_index

    spec = index_spec(spec_json)
    components = spec.components
    reader = Reader(user, unprotected)
    inputs = reader.load([c.key for c in components], level_key, period)
    exclude = _exclusions(reader, spec_json.get("exclude") or {}, inputs)
    result = compute_index(inputs.values, spec, exclude=exclude)
    labels = list(result.labels) or [f"Klasse {i}" for i in range(1, int(result.classes.max()) + 1)]
    definition = {
        "name": name,
        "kind": "index",
        "spec": spec_json,
        "description": in_german(
            describe_index,
            spec,
            spec_json.get("exclude") or {},
            {key: i.name for key, i in inputs.indicators.items()},
        ),
    }
    # Outputs (indicators, batch, values) and the analysis record: all or nothing.
    with transaction.atomic():
        outputs = store_outputs(
            reader,
            f"index_{name}",
            inputs,
            [
                Output("wert", f"{name} (Indexwert)", result.score, decimals=2, polarity="worse"),
                Output(
                    "klasse",
                    f"{name} (Klasse)",
                    np.where(result.classes > 0, result.classes, np.nan),
                    decimals=0,
                    categories=categories(labels),
                    polarity="worse",
                ),
            ],
            definition,
        )
        counts = {label: int((result.classes == i + 1).sum()) for i, label in enumerate(labels)}
        return save_analysis(
            reader,
            "index",
            name,
            inputs.level,
            period,
            definition,
            {"counts": counts, "included": int(result.included.sum())},
            outputs,
            secret_summary(inputs.secret),
        )


def index_spec(spec_json: dict):
    """The :class:`~quartier.core.indices.IndexSpec` of a stored index definition."""
    from quartier.core.indices import Component, IndexSpec

    allowed = {f.name for f in fields(IndexSpec)} | {"exclude"}
    unknown = sorted(set(spec_json) - allowed)
    if unknown or not isinstance(spec_json.get("components"), list):
        raise QuartierError(
            "Die Indexdefinition braucht „components“ (Liste) und kennt nur "
            f"{', '.join(sorted(allowed))}"
            + (f"; unbekannt: {', '.join(unknown)}." if unknown else ".")
        )
    try:
        components = tuple(Component(**c) for c in spec_json["components"])
    except TypeError:
        raise QuartierError(
            "Jeder Bestandteil eines Index hat „key“ und optional „direction“ (1/−1), „weight“."
        ) from None
    spec = IndexSpec(
        **{
            **{
                k: tuple(v) if isinstance(v, list) else v
                for k, v in spec_json.items()
                if k not in ("components", "exclude")
            },
            "components": components,
        }
    )
    return spec


def _exclusions(reader: Reader, rule: dict, inputs) -> np.ndarray | None:
    """Areas left out: fewer than N of an indicator (e.g. residents), or listed codes."""
    exclude = np.zeros(len(inputs.codes), dtype=bool)
    if rule.get("indicator") and rule.get("minimum") is not None:
        key = rule["indicator"]
        base = reader.load([key], inputs.level.key, inputs.period)
        values = base.values[key]
        # The result reveals which areas fall below the minimum: it counts as an input
        # (visibility, "berechnet aus"); an area whose count is secret is left out.
        inputs.indicators.setdefault(key, base.indicators[key])
        inputs.secret[key] = inputs.secret.get(key, base.secret[key]) | base.secret[key]
        exclude |= np.isnan(values) | (values < float(rule["minimum"]))
    position = {code: i for i, code in enumerate(inputs.codes)}
    unknown = [code for code in rule.get("codes", []) if code not in position]
    if unknown:
        raise QuartierError(
            f"Auszuschließende Gebiete gibt es auf dieser Ebene nicht: {', '.join(unknown)}."
        )
    for code in rule.get("codes", []):
        exclude[position[code]] = True
    return exclude if exclude.any() else None


def run_typology(
    user,
    name: str,
    level_key: str,
    period: date,
    keys: list[str],
    method: str,
    k: int,
    *,
    unprotected: bool = False,
) -> Analysis:
    """Types of areas by k-means or Ward clustering on standardised indicators."""
    from quartier.core.typology import typology

    reader = Reader(user, unprotected)
    inputs = reader.load(keys, level_key, period)
    matrix = np.column_stack([inputs.values[key] for key in keys])
    result = typology(matrix, method=method, k=k, seed=42)
    labels = [f"Typ {i}" for i in range(1, result.k + 1)]
    definition = {
        "name": name,
        "kind": "typology",
        "inputs": keys,
        "method": method,
        "k": k,
        "seed": 42,
        "description": in_german(describe_typology, method, k, 42),
    }
    # Outputs (indicators, batch, values) and the analysis record: all or nothing.
    with transaction.atomic():
        outputs = store_outputs(
            reader,
            f"typ_{name}",
            inputs,
            [
                Output(
                    "typ",
                    f"{name} (Typ)",
                    np.where(result.labels > 0, result.labels, np.nan),
                    decimals=0,
                    categories=categories(labels),
                ),
            ],
            definition,
        )
        profiles = {
            labels[i]: [round(float(x), 3) for x in row] for i, row in enumerate(result.profiles)
        }
        return save_analysis(
            reader,
            "typology",
            name,
            inputs.level,
            period,
            definition,
            {
                "profiles": profiles,
                "sizes": list(result.sizes),
                "indicators": [inputs.indicators[key].name for key in keys],
            },
            outputs,
            secret_summary(inputs.secret),
        )


def run_lisa(
    user,
    name: str,
    level_key: str,
    period: date,
    key: str,
    permutations: int = 999,
    significance: float = 0.05,
    *,
    unprotected: bool = False,
) -> Analysis:
    """Global Moran's I and local Moran (hot spots, cold spots, outliers) with queen contiguity."""
    from quartier.analysis.contiguity import neighbours_for
    from quartier.core.autocorrelation import lisa, moran

    reader = Reader(user, unprotected)
    inputs = reader.load([key], level_key, period)
    values = inputs.values[key]
    neighbours = neighbours_for(inputs.level, period, inputs.area_ids)
    global_i = moran(values, neighbours, permutations=permutations)
    local = lisa(values, neighbours, permutations=permutations, significance=significance)
    codes = {q: i + 1 for i, (q, _label, _colour) in enumerate(QUADRANTS)}
    coded = np.array([codes.get(str(q), np.nan) for q in local.quadrant], dtype=float)
    definition = {
        "name": name,
        "kind": "lisa",
        "inputs": [key],
        "permutations": permutations,
        "significance": significance,
        "description": in_german(describe_lisa, permutations, significance),
    }
    # Outputs (indicators, batch, values) and the analysis record: all or nothing.
    with transaction.atomic():
        outputs = store_outputs(
            reader,
            f"lisa_{name}",
            inputs,
            [
                Output(
                    "typ",
                    f"{name} (Hot Spots)",
                    coded,
                    decimals=0,
                    categories=categories([q[1] for q in QUADRANTS], [q[2] for q in QUADRANTS]),
                ),
            ],
            definition,
        )
        counts = {label: int((coded == i + 1).sum()) for i, (_q, label, _c) in enumerate(QUADRANTS)}
        return save_analysis(
            reader,
            "lisa",
            name,
            inputs.level,
            period,
            definition,
            {
                "moran_i": global_i.I,
                "expected": global_i.expected,
                "p_value": global_i.p_value,
                "counts": counts,
            },
            outputs,
            secret_summary(inputs.secret),
        )
