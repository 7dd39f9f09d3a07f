"""Issue #12: how much disclosure control hides, per indicator and level (anonymous visitor).

For every public indicator of Musterstadt, prints the share of areas per level
whose value is hidden (status suppressed) for an anonymous visitor on one
Stichtag, plus a summary line per level over all public counts and rates.
Compare two versions of the code by running it in each checkout.

Usage: python bench/disclosure_share.py [--period 2024-12-31]
(uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--period", default="2024-12-31")
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth.models import AnonymousUser

    from quartier.indicators import readlayer
    from quartier.indicators.models import Indicator
    from quartier.indicators.status import Status
    from quartier.spatial.index import area_index

    period = date.fromisoformat(args.period)
    levels = area_index().levels
    visitor = AnonymousUser()
    print(f"hidden share per level, anonymous, {period} ({', '.join(lv.key for lv in levels)})")
    totals = {lv.key: [0, 0] for lv in levels}
    for indicator in Indicator.objects.filter(visibility="public").order_by("kind", "key"):
        shares = []
        for level in levels:
            result = readlayer.area_values(visitor, indicator, level, period)
            hidden = int((result.status == Status.SUPPRESSED).sum())
            shown = int((result.status != Status.MISSING).sum())
            shares.append(f"{100 * hidden / shown:5.1f} %" if shown else "    –  ")
            totals[level.key][0] += hidden
            totals[level.key][1] += shown
        print(f"{indicator.kind:6} {indicator.key:24} " + "  ".join(shares))
    print(
        "all public  "
        + " " * 19
        + "  ".join(f"{100 * h / n:5.1f} %" if n else "    –  " for h, n in totals.values())
    )


if __name__ == "__main__":
    main()
