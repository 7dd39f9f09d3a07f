"""Issue #7 end to end: each analysis for ~5,000 Musterstadt blocks × 10 indicators ≤ 2 s.

Runs every analysis as an administrator through the read layer and stores its
results (as the pages do), after the numba warm-up a server does at start.
`bench/analyses.py` times the core functions alone.

Usage: python bench/analyses_musterstadt.py   (uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import setup_django  # noqa: E402

KEYS = [
    "kinderarmut",
    "sgb2_quote",
    "arbeitslosenquote",
    "anteil_alleinerziehend",
    "anteil_migration",
    "auslaenderanteil",
    "anteil_u18",
    "anteil_65plus",
    "haushaltsgroesse",
    "wohnflaeche_je_ew",
]


def main() -> None:
    setup_django()
    from django.db import transaction

    from quartier.analysis import runs
    from quartier.cli_analysis import command_line_user
    from quartier.server import warm_up

    started = time.perf_counter()
    warm_up()
    print(f"warm-up at server start (numba): {time.perf_counter() - started:.1f} s")
    user = command_line_user()
    period = date(2024, 12, 31)
    spec = {
        "components": [{"key": k} for k in KEYS],
        "standardise": "z",
        "combine": "sum",
        "restandardise": True,
        "classify": "sd",
    }
    mss = dict(zip(["s1", "s3", "s4", "d1", "d3", "d4"], KEYS[:6], strict=True))
    mss["residents"] = "ew_gesamt"  # the preset leaves out blocks under 300 residents
    need = {
        "conditions": [
            {"indicator": "kinderarmut", "op": ">=", "value": 1.5, "relative_to_city": True},
            {"indicator": "kinderarmut", "op": "rising", "periods": 2},
        ]
    }
    cases = [
        (
            "composite index, 10 indicators",
            lambda: runs.run_index(user, "b", "baublock", period, spec),
        ),
        ("MSS status × dynamics", lambda: runs.run_mss(user, "b", "baublock", period, mss)),
        (
            "typology k-means k=6, 10 indicators",
            lambda: runs.run_typology(user, "b", "baublock", period, KEYS, "kmeans", 6),
        ),
        (
            "typology Ward k=6, 10 indicators",
            lambda: runs.run_typology(user, "b", "baublock", period, KEYS, "ward", 6),
        ),
        (
            "LISA + Moran, 999 permutations",
            lambda: runs.run_lisa(user, "b", "baublock", period, "kinderarmut", 999),
        ),
        (
            "segregation, 11 periods",
            lambda: runs.run_segregation(user, "b", "baublock", "sgb2_u15", "ew_u15"),
        ),
        ("special need rule", lambda: runs.run_need(user, "b", "baublock", need)),
    ]
    for label, action in cases:
        with transaction.atomic():
            started = time.perf_counter()
            action()
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)  # leave the demo as it was
        print(f"{label}: {elapsed:.2f} s ({'ok' if elapsed <= 2 else 'SLOW'}, target ≤ 2 s)")


if __name__ == "__main__":
    main()
