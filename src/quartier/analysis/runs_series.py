"""Analyses over all periods or by rules: segregation time series and areas with special need."""

from __future__ import annotations

import numpy as np

from quartier.analysis.describe import describe_rule
from quartier.analysis.models import Analysis
from quartier.analysis.results import (
    Output,
    categories,
    load_inputs,
    save_analysis,
    series_inputs,
    store_outputs,
)
from quartier.errors import QuartierError
from quartier.indicators import readlayer


def run_segregation(
    user, name: str, level_key: str, group_key: str, total_key: str, parent_code: str = ""
) -> Analysis:
    """Dissimilarity, isolation and interaction of a group, for every period (a time series)."""
    from quartier.core.segregation import segregation_indices

    periods, group, city_group = series_inputs(user, group_key, level_key)
    total_periods, total, _city = series_inputs(user, total_key, level_key)
    index = readlayer.reader(user).index  # the index the values were read with
    level = index.level(level_key)
    mask = _within(index, level, parent_code, periods[-1] if periods else None)
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
    return save_analysis(
        user, Analysis.Kind.SEGREGATION, name, level, None, definition, {"series": rows}, []
    )


def _within(index, level, parent_code: str, period) -> np.ndarray | None:
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
                categories=categories(
                    ["kein Handlungsbedarf", "Handlungsbedarf"], ["#f0f0f0", "#b2182b"]
                ),
            ),
        ],
        definition,
    )
    return save_analysis(
        user,
        Analysis.Kind.NEED,
        name,
        inputs.level,
        period,
        definition,
        {"flagged": int((flags == 1).sum()), "unknown": int((flags < 0).sum())},
        outputs,
    )
