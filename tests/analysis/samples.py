"""One small analysis of every built-in method, run through the registry (tests only).

Used by the English-page test and by the browser walk of the result pages; on Stadtteile
(a few dozen areas) every run takes well under a second.
"""

from __future__ import annotations

from datetime import date

P = date(2024, 12, 31)
MSS = {"s1": "arbeitslosenquote", "s3": "sgb2_quote", "s4": "kinderarmut", "d_years": 2}
SPECS = {
    "mss": {**MSS, "residents": "ew_gesamt", "min_residents": 5000},
    "index": {
        "components": [{"key": "kinderarmut"}, {"key": "sgb2_quote"}],
        "classify": "sd",
    },
    "typology": {
        "indikatoren": ["kinderarmut", "anteil_65plus", "anteil_migration", "wohnflaeche_je_ew"],
        "methode": "kmeans",
        "k": 4,
    },
    "lisa": {"indikator": "kinderarmut", "permutationen": 99, "signifikanz": "0.05"},
    "segregation": {"gruppe": "sgb2_u15", "gesamt": "ew_u15", "innerhalb": ""},
    "need": {
        "conditions": [
            {"indicator": "kinderarmut", "op": ">=", "value": 1.2, "relative_to_city": True},
            {"indicator": "kinderarmut", "op": "rising", "periods": 2},
        ],
        "combine": "any",
    },
}


def run_samples(user, prefix: str, level: str = "stadtteil") -> dict:
    """{method key: Analysis} — one run of each built-in method, named ``prefix`` + key."""
    from quartier.analysis import registry

    out = {}
    for kind, spec in SPECS.items():
        method = registry.get(kind)
        period = P if method.periodic else None
        out[kind] = method.run(user, f"{prefix} {kind}", level, period, spec)
    return out
