"""Running analyses: read inputs, call the core functions, store and describe the results."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import numpy as np
from django.db import transaction

from quartier.analysis.describe import describe_index
from quartier.analysis.models import Analysis
from quartier.analysis.reading import Reader, secret_summary
from quartier.analysis.results import Output, categories, save_analysis, store_outputs
from quartier.analysis.runs_series import run_need, run_segregation
from quartier.errors import QuartierError

QUADRANTS = [
    ("HH", "Hot Spot (hoch, umgeben von hoch)", "#b2182b"),
    ("LL", "Cold Spot (niedrig, umgeben von niedrig)", "#2166ac"),
    ("HL", "Ausreißer: hoch, umgeben von niedrig", "#f4a582"),
    ("LH", "Ausreißer: niedrig, umgeben von hoch", "#92c5de"),
    ("ns", "nicht signifikant", "#f0f0f0"),
]


def run_index(
    user, name: str, level_key: str, period: date, spec_json: dict, *, unprotected: bool = False
) -> Analysis:
    """A composite index (score and classes) from a stored definition.

    ``unprotected``: read values before disclosure control where ``user`` may (the
    result stays confidential); by default on protected values (see :mod:`.reading`).
    """
    from quartier.core.indices import Component, IndexSpec, compute_index

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
    reader = Reader(user, unprotected)
    inputs = reader.load([c.key for c in components], level_key, period)
    exclude = _exclusions(reader, spec_json.get("exclude") or {}, inputs)
    result = compute_index(inputs.values, spec, exclude=exclude)
    labels = list(result.labels) or [f"Klasse {i}" for i in range(1, int(result.classes.max()) + 1)]
    definition = {
        "name": name,
        "kind": "index",
        "spec": spec_json,
        "description": describe_index(spec, spec_json.get("exclude") or {}, inputs.indicators),
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
            Analysis.Kind.INDEX,
            name,
            inputs.level,
            period,
            definition,
            {"counts": counts, "included": int(result.included.sum())},
            outputs,
            secret_summary(inputs.secret),
        )


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


def run_mss(
    user, name: str, level_key: str, period: date, keys: dict, *, unprotected: bool = False
) -> Analysis:
    """Berlin's MSS preset: Status-Index (S1,S3,S4), Dynamik-Index (D1,D3,D4), 12 groups."""
    from quartier.core import mss

    status_fields, dynamic_fields = ["s1", "s3", "s4"], ["d1", "d3", "d4"]
    years = int(keys.get("d_years") or 0)
    if years < 0:
        raise QuartierError("Die Zahl der Jahre für die Dynamik muss positiv sein.")
    # With d_years the dynamics are the changes of S1, S3, S4 over that many years (the MSS
    # definition of D1, D3, D4), for municipalities that have only the status indicators.
    order = status_fields + ([] if years else dynamic_fields)
    missing = [k.upper() for k in order if not keys.get(k)]
    if missing:
        raise QuartierError(f"Für das MSS-Verfahren fehlen die Indikatoren {', '.join(missing)}.")
    keys = {k: keys[k] for k in order} | ({"d_years": years} if years else {})
    reader = Reader(user, unprotected)
    inputs = reader.load([keys[k] for k in order], level_key, period)
    status = mss.status_index(*(inputs.values[keys[k]] for k in status_fields))
    if years:
        changes = reader.changes([keys[k] for k in status_fields], inputs, years)
        dynamic = mss.dynamic_index(*(changes[keys[k]] for k in status_fields))
    else:
        dynamic = mss.dynamic_index(*(inputs.values[keys[k]] for k in dynamic_fields))
    codes = mss.combined(status.classes, dynamic.classes)
    combined_values = np.array([mss.COMBINED_CODES.index(c) + 1 if c else np.nan for c in codes])
    definition = {
        "name": name,
        "kind": "mss",
        "inputs": keys,
        "description": "Monitoring Soziale Stadtentwicklung (Berlin 2021), Abschnitt 4: "
        "z-Werte, Summe, erneute Standardisierung, Klassen nach SD."
        + (
            f" Dynamik: Veränderung von S1, S3, S4 über {years} Jahre (bis {period:%d.%m.%Y})."
            if years
            else ""
        ),
    }
    # Outputs (indicators, batch, values) and the analysis record: all or nothing.
    with transaction.atomic():
        outputs = store_outputs(
            reader,
            f"mss_{name}",
            inputs,
            [
                Output("status", f"{name}: Status-Index", status.score, polarity="worse"),
                Output(
                    "status_klasse",
                    f"{name}: Status (Klasse)",
                    np.where(status.classes > 0, status.classes, np.nan),
                    decimals=0,
                    categories=categories(list(mss.STATUS_LABELS)),
                    polarity="worse",
                ),
                Output("dynamik", f"{name}: Dynamik-Index", dynamic.score, polarity="worse"),
                Output(
                    "dynamik_klasse",
                    f"{name}: Dynamik (Klasse)",
                    np.where(dynamic.classes > 0, dynamic.classes, np.nan),
                    decimals=0,
                    categories=categories(list(mss.DYNAMIC_LABELS)),
                    polarity="worse",
                ),
                Output(
                    "gesamt",
                    f"{name}: Status/Dynamik-Index",
                    combined_values,
                    decimals=0,
                    categories=categories(list(mss.COMBINED_CODES)),
                    polarity="worse",
                ),
            ],
            definition,
        )
        cells = {code: [] for code in mss.COMBINED_CODES}
        for code, area_code, area_name in zip(codes, inputs.codes, inputs.names, strict=True):
            if code:
                cells[code].append([area_code, area_name])
        return save_analysis(
            reader,
            Analysis.Kind.MSS,
            name,
            inputs.level,
            period,
            definition,
            {"cells": cells, "counts": mss.matrix(status.classes, dynamic.classes)},
            outputs,
            secret_summary(inputs.secret),
        )


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
        "description": f"Typologie ({method}, {k} Typen, Startwert 42).",
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
            Analysis.Kind.TYPOLOGY,
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
        "description": f"Lokales Moran's I (LISA), Queen-Nachbarschaft, "
        f"{permutations} Permutationen, Signifikanz {significance}.",
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
            Analysis.Kind.LISA,
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


def rerun(user, analysis: Analysis, period: date) -> Analysis:
    """The same analysis for another period: same definition, same derived indicators.

    The results are added to the derived indicators as a further period, so an index
    computed every year becomes a time series. Segregation and need rules already cover
    all periods and are simply run again. The choice of protected or unprotected values
    is kept: a confidential analysis stays confidential, a publishable one publishable.
    """
    d, level, name = analysis.definition, analysis.level.key, analysis.name
    kind, mode = Analysis.Kind, {"unprotected": analysis.confidential}
    if analysis.kind == kind.INDEX:
        return run_index(user, name, level, period, d["spec"], **mode)
    if analysis.kind == kind.MSS:
        return run_mss(user, name, level, period, d["inputs"], **mode)
    if analysis.kind == kind.TYPOLOGY:
        return run_typology(user, name, level, period, d["inputs"], d["method"], d["k"], **mode)
    if analysis.kind == kind.LISA:
        return run_lisa(
            user, name, level, period, d["inputs"][0], d["permutations"], d["significance"], **mode
        )
    if analysis.kind == kind.SEGREGATION:
        within = d.get("within", "")
        return run_segregation(user, name, level, d["group"], d["total"], within, **mode)
    return run_need(user, name, level, d["rule"], **mode)
