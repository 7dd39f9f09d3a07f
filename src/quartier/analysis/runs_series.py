"""Analyses over all periods or by rules: segregation time series and areas with special need."""

from __future__ import annotations

import numpy as np
from django.db import transaction

from quartier.analysis.describe import describe_rule, in_german
from quartier.analysis.models import Analysis
from quartier.analysis.reading import Reader, Series, secret_summary
from quartier.analysis.results import Output, categories, save_analysis, store_outputs
from quartier.errors import QuartierError
from quartier.indicators import readlayer


def run_segregation(
    user,
    name: str,
    level_key: str,
    group_key: str,
    total_key: str,
    parent_code: str = "",
    *,
    unprotected: bool = False,
) -> Analysis:
    """Dissimilarity, isolation and interaction of a group, for every period (a time series).

    Each period states how many areas took part and how many were left out because
    the group's or the total's value is secret (``secret``).
    """
    reader = Reader(user, unprotected)
    group = reader.series(group_key, level_key)
    total = reader.series(total_key, level_key)
    index = readlayer.reader(user).index  # the index the values were read with
    level = index.level(level_key)
    mask = _within(index, level, parent_code, group.periods[-1] if group.periods else None)
    rows, secret = _segregation_rows({group_key: group, total_key: total}, mask)
    definition = {
        "name": name,
        "kind": "segregation",
        "group": group_key,
        "total": total_key,
        "within": parent_code,
    }
    # The summary is the latest period's; the series holds every period's count.
    result = {"series": rows}
    return save_analysis(reader, "segregation", name, level, None, definition, result, [], secret)


def _segregation_rows(series: dict[str, Series], mask) -> tuple[list[dict], dict]:
    """One row per period both have (group first), and the latest period's secret summary."""
    from quartier.core.segregation import segregation_indices

    (group_key, group), (total_key, total) = series.items()
    rows, secret = [], {}
    for i, period in enumerate(group.periods):
        if period not in total.periods:
            continue
        j = total.periods.index(period)
        g, t = group.values[i], total.values[j]
        hidden = {group_key: group.secret[i], total_key: total.secret[j]}
        if mask is not None:
            g, t = g[mask], t[mask]
            hidden = {k: v[mask] for k, v in hidden.items()}
        r = segregation_indices(g, t)
        secret = secret_summary(hidden)
        rows.append(
            {
                "period": period.isoformat(),
                "dissimilarity": r.dissimilarity,
                "isolation": r.isolation,
                "interaction": r.interaction,
                "areas": r.areas,
                "secret": secret["areas"],
            }
        )
    if not rows:
        raise QuartierError("Für Gruppe und Gesamtheit gibt es keine gemeinsamen Stichtage.")
    return rows, secret


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


def run_need(
    user, name: str, level_key: str, rule_json: dict, *, unprotected: bool = False
) -> Analysis:
    """Areas with special need by user-defined rules (flags as a derived indicator)."""
    from quartier.core.rules import Condition, Rule, evaluate

    conditions = tuple(Condition(**c) for c in rule_json["conditions"])
    rule = Rule(conditions, rule_json.get("combine", "all"))
    reader = Reader(user, unprotected)
    series, city, hidden, period = _need_series(reader, conditions, level_key)
    flags = evaluate(rule, series, city)
    inputs = reader.load(list(series), level_key, period)
    names = {key: indicator.name for key, indicator in inputs.indicators.items()}
    definition = {
        "name": name,
        "kind": "need",
        "rule": rule_json,
        "description": in_german(describe_rule, rule_json, names),
    }
    flagged = [[c, n] for c, n, f in zip(inputs.codes, inputs.names, flags, strict=True) if f == 1]
    # Outputs (indicators, batch, values) and the analysis record: all or nothing.
    with transaction.atomic():
        outputs = store_outputs(
            reader,
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
            reader,
            "need",
            name,
            inputs.level,
            period,
            definition,
            {"flagged": len(flagged), "areas": flagged, "unknown": int((flags < 0).sum())},
            outputs,
            _need_secret(conditions, hidden, flags),
        )


def _need_series(reader: Reader, conditions, level_key: str):
    """(values, city values, secret cells) per indicator up to the latest common period."""
    read = {}
    for condition in conditions:
        if condition.indicator not in read:
            read[condition.indicator] = reader.series(condition.indicator, level_key)
            if not read[condition.indicator].periods:
                raise QuartierError(
                    f"Für „{condition.indicator}“ gibt es auf dieser Ebene keine Werte."
                )
    period = min(r.periods[-1] for r in read.values())
    series, city, hidden = {}, {}, {}
    for key, r in read.items():  # evaluate every indicator up to the same (latest common) period
        upto = r.periods.index(period) + 1 if period in r.periods else len(r.periods)
        series[key], city[key] = r.values[:upto], np.array(r.city[:upto])
        hidden[key] = r.secret[:upto]
    return series, city, hidden, period


def _need_secret(conditions, hidden: dict[str, np.ndarray], flags: np.ndarray) -> dict:
    """Areas left undecided because a value a condition needs is secret.

    A comparison needs the last period, a trend over N steps the last N + 1 periods.
    """
    from quartier.core.rules import COMPARISONS

    window: dict[str, int] = {}
    for c in conditions:
        needed = 1 if c.op in COMPARISONS else int(c.periods) + 1
        window[c.indicator] = max(window.get(c.indicator, 0), needed)
    cells = {key: hidden[key][-n:].any(axis=0) for key, n in window.items()}
    summary = secret_summary(cells)
    undecided = np.logical_or.reduce(list(cells.values())) & (flags < 0)
    return {**summary, "areas": int(undecided.sum())}
