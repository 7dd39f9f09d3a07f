"""Running analyses: read inputs, call the core functions, store and describe the results."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import numpy as np

from quartier.analysis.models import Analysis
from quartier.analysis.results import (
    Output,
    load_changes,
    load_inputs,
    series_inputs,
    store_outputs,
)
from quartier.errors import QuartierError

QUADRANTS = [
    ("HH", "Hot Spot (hoch, umgeben von hoch)", "#b2182b"),
    ("LL", "Cold Spot (niedrig, umgeben von niedrig)", "#2166ac"),
    ("HL", "Ausreißer: hoch, umgeben von niedrig", "#f4a582"),
    ("LH", "Ausreißer: niedrig, umgeben von hoch", "#92c5de"),
    ("ns", "nicht signifikant", "#f0f0f0"),
]


def _categories(labels: list[str], colours: list[str] | None = None) -> list[dict]:
    return [
        {"code": i + 1, "label": label, **({"colour": colours[i]} if colours else {})}
        for i, label in enumerate(labels)
    ]


def _save(user, kind, name, level, period, definition, result, outputs) -> Analysis:
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


def run_index(user, name: str, level_key: str, period: date, spec_json: dict) -> Analysis:
    """A composite index (score and classes) from a stored definition."""
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
    inputs = load_inputs(user, [c.key for c in components], level_key, period)
    exclude = _exclusions(user, spec_json.get("exclude") or {}, inputs)
    result = compute_index(inputs.values, spec, exclude=exclude)
    labels = list(result.labels) or [f"Klasse {i}" for i in range(1, int(result.classes.max()) + 1)]
    definition = {
        "name": name,
        "kind": "index",
        "spec": spec_json,
        "description": describe_index(spec, spec_json.get("exclude") or {}, inputs.indicators),
    }
    outputs = store_outputs(
        user,
        f"index_{name}",
        inputs,
        [
            Output("wert", f"{name} (Indexwert)", result.score, decimals=2, polarity="worse"),
            Output(
                "klasse",
                f"{name} (Klasse)",
                np.where(result.classes > 0, result.classes, np.nan),
                decimals=0,
                categories=_categories(labels),
                polarity="worse",
            ),
        ],
        definition,
    )
    counts = {label: int((result.classes == i + 1).sum()) for i, label in enumerate(labels)}
    return _save(
        user,
        Analysis.Kind.INDEX,
        name,
        inputs.level,
        period,
        definition,
        {"counts": counts, "included": int(result.included.sum())},
        outputs,
    )


def _exclusions(user, rule: dict, inputs) -> np.ndarray | None:
    """Areas left out: fewer than N of an indicator (e.g. residents), or listed codes."""
    exclude = np.zeros(len(inputs.codes), dtype=bool)
    if rule.get("indicator") and rule.get("minimum") is not None:
        base = load_inputs(user, [rule["indicator"]], inputs.level.key, inputs.period)
        values = base.values[rule["indicator"]]
        # The result reveals which areas fall below the minimum: it counts as an input
        # (visibility, "berechnet aus").
        inputs.indicators.setdefault(rule["indicator"], base.indicators[rule["indicator"]])
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


def run_mss(user, name: str, level_key: str, period: date, keys: dict[str, str]) -> Analysis:
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
    inputs = load_inputs(user, [keys[k] for k in order], level_key, period)
    status = mss.status_index(*(inputs.values[keys[k]] for k in status_fields))
    if years:
        changes = load_changes(user, [keys[k] for k in status_fields], inputs, years)
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
    outputs = store_outputs(
        user,
        f"mss_{name}",
        inputs,
        [
            Output("status", f"{name}: Status-Index", status.score, polarity="worse"),
            Output(
                "status_klasse",
                f"{name}: Status (Klasse)",
                np.where(status.classes > 0, status.classes, np.nan),
                decimals=0,
                categories=_categories(list(mss.STATUS_LABELS)),
                polarity="worse",
            ),
            Output("dynamik", f"{name}: Dynamik-Index", dynamic.score, polarity="worse"),
            Output(
                "dynamik_klasse",
                f"{name}: Dynamik (Klasse)",
                np.where(dynamic.classes > 0, dynamic.classes, np.nan),
                decimals=0,
                categories=_categories(list(mss.DYNAMIC_LABELS)),
                polarity="worse",
            ),
            Output(
                "gesamt",
                f"{name}: Status/Dynamik-Index",
                combined_values,
                decimals=0,
                categories=_categories(list(mss.COMBINED_CODES)),
                polarity="worse",
            ),
        ],
        definition,
    )
    cells = {code: [] for code in mss.COMBINED_CODES}
    for code, area_code, area_name in zip(codes, inputs.codes, inputs.names, strict=True):
        if code:
            cells[code].append([area_code, area_name])
    return _save(
        user,
        Analysis.Kind.MSS,
        name,
        inputs.level,
        period,
        definition,
        {"cells": cells, "counts": mss.matrix(status.classes, dynamic.classes)},
        outputs,
    )


def run_typology(
    user, name: str, level_key: str, period: date, keys: list[str], method: str, k: int
) -> Analysis:
    """Types of areas by k-means or Ward clustering on standardised indicators."""
    from quartier.core.typology import typology

    inputs = load_inputs(user, keys, level_key, period)
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
    outputs = store_outputs(
        user,
        f"typ_{name}",
        inputs,
        [
            Output(
                "typ",
                f"{name} (Typ)",
                np.where(result.labels > 0, result.labels, np.nan),
                decimals=0,
                categories=_categories(labels),
            ),
        ],
        definition,
    )
    profiles = {
        labels[i]: [round(float(x), 3) for x in row] for i, row in enumerate(result.profiles)
    }
    return _save(
        user,
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
    )


def run_lisa(
    user,
    name: str,
    level_key: str,
    period: date,
    key: str,
    permutations: int = 999,
    significance: float = 0.05,
) -> Analysis:
    """Global Moran's I and local Moran (hot spots, cold spots, outliers) with queen contiguity."""
    from quartier.analysis.contiguity import neighbours_for
    from quartier.core.autocorrelation import lisa, moran

    inputs = load_inputs(user, [key], level_key, period)
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
    outputs = store_outputs(
        user,
        f"lisa_{name}",
        inputs,
        [
            Output(
                "typ",
                f"{name} (Hot Spots)",
                coded,
                decimals=0,
                categories=_categories([q[1] for q in QUADRANTS], [q[2] for q in QUADRANTS]),
            ),
        ],
        definition,
    )
    counts = {label: int((coded == i + 1).sum()) for i, (_q, label, _c) in enumerate(QUADRANTS)}
    return _save(
        user,
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
    )


def run_segregation(
    user, name: str, level_key: str, group_key: str, total_key: str, parent_code: str = ""
) -> Analysis:
    """Dissimilarity, isolation and interaction of a group, for every period (a time series)."""
    from quartier.core.segregation import segregation_indices

    periods, group, city_group = series_inputs(user, group_key, level_key)
    total_periods, total, _city = series_inputs(user, total_key, level_key)
    level = _level(level_key)
    mask = _within(level, parent_code, periods[-1] if periods else None)
    rows = []
    for i, period in enumerate(periods):
        if period not in total_periods:
            continue
        j = total_periods.index(period)
        g, t = group[i], total[j]
        if mask is not None:
            g, t = g[mask], t[mask]
        r = segregation_indices(g, t)
        rows.append(
            {
                "period": period.isoformat(),
                "dissimilarity": r.dissimilarity,
                "isolation": r.isolation,
                "interaction": r.interaction,
                "areas": r.areas,
            }
        )
    if not rows:
        raise QuartierError("Für Gruppe und Gesamtheit gibt es keine gemeinsamen Stichtage.")
    definition = {
        "name": name,
        "kind": "segregation",
        "group": group_key,
        "total": total_key,
        "within": parent_code,
    }
    return _save(
        user, Analysis.Kind.SEGREGATION, name, level, None, definition, {"series": rows}, []
    )


def _level(key):
    from quartier.spatial.index import area_index

    return area_index().level(key)


def _within(level, parent_code: str, period) -> np.ndarray | None:
    """Areas of ``level`` inside the parent area ``parent_code`` (any coarser level)."""
    if not parent_code:
        return None
    from quartier.spatial.models import Area

    inside = set()
    frontier = set(Area.objects.filter(code=parent_code).values_list("id", flat=True))
    if not frontier:
        raise QuartierError(f"Das Gebiet „{parent_code}“ gibt es nicht.")
    while frontier:
        children = set(Area.objects.filter(parent_id__in=frontier).values_list("id", "level_id"))
        inside |= {a for a, lv in children if lv == level.id}
        frontier = {a for a, lv in children if lv != level.id}
    from quartier.spatial.index import area_index

    index = area_index()
    ids = index.areas(level).ids[index.valid_positions(level, period)]
    return np.isin(ids, list(inside))


def run_need(user, name: str, level_key: str, rule_json: dict) -> Analysis:
    """Areas with special need by user-defined rules (flags as a derived indicator)."""
    from quartier.core.rules import Condition, Rule, evaluate

    conditions = tuple(Condition(**c) for c in rule_json["conditions"])
    rule = Rule(conditions, rule_json.get("combine", "all"))
    series, city, last_periods = {}, {}, []
    for condition in conditions:
        periods, values, city_values = series_inputs(user, condition.indicator, level_key)
        series[condition.indicator], city[condition.indicator] = values, np.array(city_values)
        last_periods.append(periods[-1])
    period = min(last_periods)
    for key in series:  # evaluate every indicator up to the same (latest common) period
        periods, _v, _c = series_inputs(user, key, level_key)
        upto = periods.index(period) + 1 if period in periods else len(periods)
        series[key], city[key] = series[key][:upto], city[key][:upto]
    flags = evaluate(rule, series, city)
    inputs = load_inputs(user, list(series), level_key, period)
    definition = {
        "name": name,
        "kind": "need",
        "rule": rule_json,
        "description": "Handlungsbedarf nach Regeln: " + describe_rule(rule_json),
    }
    outputs = store_outputs(
        user,
        f"bedarf_{name}",
        inputs,
        [
            Output(
                "flag",
                f"{name} (Handlungsbedarf)",
                np.where(flags >= 0, flags + 1, np.nan),
                decimals=0,
                categories=_categories(
                    ["kein Handlungsbedarf", "Handlungsbedarf"], ["#f0f0f0", "#b2182b"]
                ),
            ),
        ],
        definition,
    )
    return _save(
        user,
        Analysis.Kind.NEED,
        name,
        inputs.level,
        period,
        definition,
        {"flagged": int((flags == 1).sum()), "unknown": int((flags < 0).sum())},
        outputs,
    )


def describe_rule(rule_json: dict) -> str:
    """A German sentence for a rule, shown with its result."""
    words = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "rising": "steigend", "falling": "fallend"}
    parts = []
    for c in rule_json["conditions"]:
        op = words.get(c["op"], c["op"])
        if c["op"] in ("rising", "falling"):
            parts.append(f"{c['indicator']} {op} über {c.get('periods', 2)} Jahre")
        elif c.get("relative_to_city"):
            parts.append(f"{c['indicator']} {op} {c['value']} × Stadtwert")
        else:
            parts.append(f"{c['indicator']} {op} {c['value']}")
    joiner = " und " if rule_json.get("combine", "all") == "all" else " oder "
    return joiner.join(parts)


def rerun(user, analysis: Analysis, period: date) -> Analysis:
    """The same analysis for another period: same definition, same derived indicators.

    The results are added to the derived indicators as a further period, so an index
    computed every year becomes a time series. Segregation and need rules already cover
    all periods and are simply run again.
    """
    d, level, name = analysis.definition, analysis.level.key, analysis.name
    kind = Analysis.Kind
    if analysis.kind == kind.INDEX:
        return run_index(user, name, level, period, d["spec"])
    if analysis.kind == kind.MSS:
        return run_mss(user, name, level, period, d["inputs"])
    if analysis.kind == kind.TYPOLOGY:
        return run_typology(user, name, level, period, d["inputs"], d["method"], d["k"])
    if analysis.kind == kind.LISA:
        return run_lisa(
            user, name, level, period, d["inputs"][0], d["permutations"], d["significance"]
        )
    if analysis.kind == kind.SEGREGATION:
        return run_segregation(user, name, level, d["group"], d["total"], d.get("within", ""))
    return run_need(user, name, level, d["rule"])


_STANDARDISE_WORDS = {"z": "z-Werte", "minmax": "Min–Max (0–1)", "rank": "Rang (0–1)"}


def describe_index(spec, exclude: dict, indicators: dict) -> str:
    """The index definition in German, shown with the result and as indicator metadata."""
    from quartier.core.indices import format_break_rules

    parts = [
        f"{indicators[c.key].name} ({'hoch' if c.direction == 1 else 'niedrig'} = Bedarf, "
        f"Gewicht {c.weight:g})"
        for c in spec.components
    ]
    text = (
        f"Zusammengesetzter Index aus {', '.join(parts)}. Standardisierung: "
        f"{_STANDARDISE_WORDS[spec.standardise]}; "
        f"{'Summe' if spec.combine == 'sum' else 'gewichteter Mittelwert'}"
        f"{', erneut z-standardisiert' if spec.restandardise else ''}."
    )
    if spec.classify == "sd":
        rules = format_break_rules(spec.sd_breaks, spec.inclusive)
        text += f" Klassen nach Standardabweichung: {rules}."
    elif spec.classify == "quantiles":
        text += f" {spec.quantiles} Quantilklassen."
    if spec.labels:
        text += f" Klassen: {', '.join(spec.labels)}."
    if exclude.get("indicator"):
        name = indicators.get(exclude["indicator"])
        name = name.name if name else exclude["indicator"]
        text += f" Ausgeschlossen: Gebiete mit weniger als {exclude['minimum']:g} ({name})."
    if exclude.get("codes"):
        text += f" Ausgeschlossen: {', '.join(exclude['codes'])}."
    return text
