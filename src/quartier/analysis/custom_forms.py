"""The two methods with forms of their own: the index builder and the need rules.

Each turns the submitted form into the spec its run takes (the same spec a stored
definition holds, so a re-run and ``quartier analyse … --definition`` use it unchanged).
"""

from __future__ import annotations

import re

from quartier.analysis.registry import parse_number
from quartier.errors import QuartierError

# The MSS class rules, offered as the default of the index builder.
DEFAULT_BREAKS = "< -1; ≤ 1; ≤ 1,5"


def index_spec(p) -> dict:
    """A composite index definition from the index builder's form."""
    from quartier.core.indices import parse_break_rules

    keys = p.getlist("indikatoren")
    if not keys:
        raise QuartierError("Bitte mindestens einen Indikator wählen.")
    spec = {
        "components": [
            {
                "key": k,
                "direction": int(p.get(f"richtung-{k}", 1)),
                "weight": float(p.get(f"gewicht-{k}", 1) or 1),
            }
            for k in keys
        ],
        "standardise": p.get("standardisierung", "z"),
        "combine": p.get("kombination", "sum"),
        "restandardise": p.get("erneut") == "ja",
        "classify": p.get("klassen", "sd"),
    }
    if spec["classify"] == "sd":
        breaks, inclusive = parse_break_rules(p.get("klassengrenzen") or DEFAULT_BREAKS)
        spec |= {"sd_breaks": list(breaks), "inclusive": list(inclusive)}
    elif spec["classify"] == "quantiles":
        spec["quantiles"] = int(p.get("quantile") or 4)
    labels = [x.strip() for x in (p.get("klassenbezeichnungen") or "").split(";")]
    if spec["classify"] != "none" and any(labels):
        spec["labels"] = labels
    exclude = {}
    if p.get("ausschluss_indikator") and p.get("ausschluss_minimum"):
        exclude = {
            "indicator": p["ausschluss_indikator"],
            "minimum": parse_number(p["ausschluss_minimum"], "Mindestwert"),
        }
    codes = [c for c in re.split(r"[\s,;]+", p.get("ausschluss_gebiete") or "") if c]
    if codes:
        exclude["codes"] = codes
    if exclude:
        spec["exclude"] = exclude
    return spec


def need_rule(p) -> dict:
    """Up to three conditions from the form (bedingung-1-…), combined with and/or."""
    conditions = []
    for i in (1, 2, 3):
        key = p.get(f"bedingung-{i}-indikator")
        if not key:
            continue
        op = p.get(f"bedingung-{i}-op", ">=")
        condition = {"indicator": key, "op": op}
        if op in ("rising", "falling"):
            condition["periods"] = int(p.get(f"bedingung-{i}-jahre") or 2)
        else:
            text = p.get(f"bedingung-{i}-wert") or ""
            condition["value"] = parse_number(text, f"Bedingung {i}: Wert")
            condition["relative_to_city"] = p.get(f"bedingung-{i}-stadt") == "ja"
        conditions.append(condition)
    if not conditions:
        raise QuartierError("Bitte mindestens eine Bedingung angeben.")
    return {"conditions": conditions, "combine": p.get("verknuepfung", "all")}
