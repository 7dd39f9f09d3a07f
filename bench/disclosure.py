"""Issues #5 and #12: the cost of disclosure control on Musterstadt.

1. Protection of one indicator-period across all levels (~5,300 cells on five
   levels) from the in-memory values with an empty protection cache: every
   count indicator alone, the family of counts linked by sums ("Summe aus":
   residents and their age groups, 13 counts protected as one table — the first
   request for any member pays it) and the weighted mean age. Target ≤ 200 ms.
2. The audit (``quartier geheimhaltung pruefen``) of the family for one period,
   as the public sees it: the LP attacker over ~30,000 hidden cells. Target ≤ 60 s.

Wall and CPU time are printed: on a machine shared with other work the wall
time says little, the CPU time of this process is what the request costs.

Usage: python bench/disclosure.py   (uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import setup_django  # noqa: E402


def timed(function) -> tuple[float, float, object]:
    """(wall ms, CPU ms, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def summary(label: str, runs: list[tuple[float, float]]) -> str:
    """Median and maximum of wall and CPU times."""
    wall = [w for w, _c in runs]
    cpu = [c for _w, c in runs]
    return (
        f"{label}: wall median {statistics.median(wall):.0f} ms (max {max(wall):.0f}), "
        f"CPU median {statistics.median(cpu):.0f} ms (max {max(cpu):.0f}) over {len(runs)}"
    )


def main() -> None:
    setup_django()
    from django.contrib.auth.models import AnonymousUser

    from quartier.cli_analysis import command_line_user
    from quartier.indicators import disclosure, families, store
    from quartier.indicators.disclosure_check import check
    from quartier.indicators.models import Indicator, Kind
    from quartier.spatial.index import area_index

    index = area_index()
    counts = list(Indicator.objects.filter(kind=Kind.COUNT))
    periods = [date(2014, 12, 31), date(2019, 12, 31), date(2024, 12, 31)]
    store.stored(index, [i.pk for i in counts], periods)  # values in memory, as in a server
    runs: dict[str, list] = {"single": [], "family": [], "mean": []}
    measured = set()  # a family is one table: measured once, for its first member
    for indicator in [*counts, *Indicator.objects.filter(weight__isnull=False)]:
        family = families.family_of(indicator.pk)
        kind = "mean" if indicator.weight_id else "family" if family else "single"
        if kind == "family":
            if family.members in measured:
                continue
            measured.add(family.members)
        for period in periods:
            for _repeat in range(3 if kind != "single" else 1):
                disclosure.clear()
                wall, cpu, _masks = timed(lambda: disclosure.hidden_cells(index, indicator, period))  # noqa: B023
                runs[kind].append((wall, cpu))
    print(summary("protect one count indicator-period, all levels", runs["single"]))
    print(summary("protect the age family (13 counts as one table) per period", runs["family"]))
    print(summary("protect the mean age (with its weight) per period", runs["mean"]))
    print("target ≤ 200 ms per family-period")
    reader = command_line_user()
    wall, cpu, report = timed(
        lambda: check(AnonymousUser(), reader, ["ew_gesamt"], [date(2024, 12, 31)])
    )
    print(
        f"audit of the family, 2024, as the public: {report.cells:,} protected cells, "
        f"{len(report.findings)} too narrow; wall {wall / 1000:.1f} s, CPU {cpu / 1000:.1f} s "
        "(target ≤ 60 s)"
    )


if __name__ == "__main__":
    main()
