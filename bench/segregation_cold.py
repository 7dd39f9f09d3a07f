"""Issue #12: the segregation of a group over all eleven periods in a cold server process.

Each run is a new process (nothing in memory), as a worker just started or
restarted meets it: Django set up, the numba warm-up done, then one
segregation analysis (``sgb2_u15`` among ``ew_u15`` at block level, eleven
periods; inside a transaction that is rolled back). Two cases:

* masks stored — the protection masks of the current data state are in the
  database (a server computes them at start and after every import, the demo
  build does too). Target ≤ 2 s.
* nothing stored — right after an import, before any process has protected the
  new state: the worst a first visitor can meet.

Usage: python bench/segregation_cold.py [runs]   (uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import setup_django, use_demo  # noqa: E402


def child(case: str) -> None:
    """One cold run in this process; prints wall and CPU seconds as JSON."""
    setup_django()
    from django.db import transaction

    from quartier.analysis import runs
    from quartier.cli_analysis import command_line_user
    from quartier.indicators.models import ProtectionMask
    from quartier.server import warm_up

    warm_up()
    user = command_line_user()
    with transaction.atomic():
        if case == "nothing stored":
            ProtectionMask.objects.all().delete()  # rolled back below
        wall, cpu = time.perf_counter(), time.process_time()
        runs.run_segregation(user, "b", "baublock", "sgb2_u15", "ew_u15")
        result = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
        transaction.set_rollback(True)
    print(json.dumps(result))


def main() -> None:
    """Run each case several times in fresh processes and print median and maximum."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    use_demo()
    setup_django()
    from quartier.indicators.precompute import protect_all

    started = time.perf_counter()
    computed = protect_all()
    print(
        f"masks of the current state stored ({computed} indicator-periods computed now, "
        f"{time.perf_counter() - started:.1f} s)"
    )
    for case in ("masks stored", "nothing stored"):
        timings = []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, __file__, "--child", case],
                env=os.environ,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            timings.append(json.loads(out.strip().splitlines()[-1]))
        wall = [t["wall"] for t in timings]
        cpu = [t["cpu"] for t in timings]
        print(
            f"cold segregation, 11 periods, {case}: wall median {statistics.median(wall):.2f} s "
            f"max {max(wall):.2f} s, CPU median {statistics.median(cpu):.2f} s "
            f"({', '.join(f'{w:.2f}' for w in wall)})"
        )
    print("target ≤ 2 s (masks stored: the state a server keeps)")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
