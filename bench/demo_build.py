"""Time `quartier demo --no-serve` on a fresh data directory (issue #2: < 60 s on 2 cores).

Usage: python bench/demo_build.py [--runs N]
Prints the wall time of each run, and the time of generation alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def build_once() -> float:
    with tempfile.TemporaryDirectory(prefix="quartier-bench-") as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")}
        env["QUARTIER_DATA_DIR"] = data_dir
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "quartier", "demo", "--no-serve"],
            env=env,
            check=True,
            capture_output=True,
        )
        elapsed = time.perf_counter() - started
        size = os.path.getsize(os.path.join(data_dir, "quartier.sqlite3"))
    print(f"quartier demo --no-serve: {elapsed:.1f} s (database {size / 1e6:.0f} MB)")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from quartier.demo.generate import generate

    started = time.perf_counter()
    generate()
    print(f"generate() alone: {time.perf_counter() - started:.1f} s")
    times = sorted(build_once() for _ in range(args.runs))
    print(
        f"cpus={os.cpu_count()} runs={args.runs} median={times[len(times) // 2]:.1f} s "
        f"max={times[-1]:.1f} s (target < 60 s)"
    )


if __name__ == "__main__":
    main()
