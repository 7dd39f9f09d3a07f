"""Issue #13, point 4: heavy requests must not block everyone else.

Starts a real ``quartier serve`` (waitress, 8 threads) on the Musterstadt demo and,
for each setting of QUARTIER_HEAVY_REQUESTS given (default: 2, the default, and 8,
i.e. no effective limit for eight requests), prints

* the latency of cheap requests (a map's values, the catalogue, one indicator's
  values) with nothing else running,
* the issue's request — every public indicator over every period at block level,
  ``limit=100`` — eight times in parallel: now a page costs one indicator-period,
* eight heavy exports in parallel (every public indicator, two periods, block
  level: ~430,000 cells each), their answers (200 / 503) and latencies, and the
  latency of cheap requests sent one after another meanwhile.

Usage: python bench/api_heavy.py [HEAVY_REQUESTS …]   (uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import demo_data_dir  # noqa: E402

CHEAP = [
    "/karte/werte/?indikator=kinderarmut&ebene=stadtteil",
    "/api/v1/indicators/",
    "/api/v1/values/?indicator=kinderarmut&level=sozialraum",
]
PARALLEL = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(base: str, path: str) -> tuple[int, float]:
    """(status, seconds) of one GET."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=300) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        status = exc.code
    return status, time.perf_counter() - started


def start_server(data_dir: Path, heavy_requests: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "QUARTIER_DATA_DIR": str(data_dir)}
    env["QUARTIER_HEAVY_REQUESTS"] = str(heavy_requests)
    env.pop("QUARTIER_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "quartier", "serve", "--port", str(port), "--threads", "8"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if fetch(base, "/api/v1/")[0] == 200:
                return process, base
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def ms(seconds: list[float]) -> str:
    if not seconds:
        return "none"
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return (
        f"median {statistics.median(ordered) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms,"
        f" max {ordered[-1] * 1000:.0f} ms (n={len(ordered)})"
    )


def cheap_while(base: str, done: threading.Event) -> list[float]:
    """Cheap requests one after another until ``done``; their latencies."""
    timings, i = [], 0
    while not done.is_set():
        status, seconds = fetch(base, CHEAP[i % len(CHEAP)])
        assert status == 200, (CHEAP[i % len(CHEAP)], status)
        timings.append(seconds)
        i += 1
    return timings


def parallel(base: str, paths: list[str]) -> tuple[list[tuple[int, float]], list[float]]:
    """Run ``paths`` at once; cheap requests meanwhile. (status, seconds) each, cheap timings."""
    done = threading.Event()
    with ThreadPoolExecutor(len(paths) + 1) as pool:
        cheap = pool.submit(cheap_while, base, done)
        time.sleep(0.2)  # the cheap loop is running
        heavy = list(pool.map(lambda p: fetch(base, p), paths))
        done.set()
        return heavy, cheap.result()


def report(name: str, heavy: list[tuple[int, float]], cheap: list[float]) -> None:
    codes = {}
    for status, _seconds in heavy:
        codes[status] = codes.get(status, 0) + 1
    answered = [s for status, s in heavy if status == 200]
    refused = [s for status, s in heavy if status != 200]
    print(f"  {name}: answers {dict(sorted(codes.items()))}")
    print(f"    answered: {ms(answered)}")
    if refused:
        print(f"    refused:  {ms(refused)}")
    print(f"    cheap requests meanwhile: {ms(cheap)}")


def run(data_dir: Path, heavy_requests: int) -> None:
    process, base = start_server(data_dir, heavy_requests)
    try:
        with urllib.request.urlopen(base + "/api/v1/indicators/?limit=1000") as response:
            keys = ",".join(i["key"] for i in json.load(response)["results"])
        issue = f"/api/v1/values/?indicator={keys}&level=baublock&period=all&limit=100"
        export = f"/api/v1/exports/?indicator={keys}&level=baublock&period=2023,2024&format=csv"
        # Warm the caches (values, protection masks, numba) as a running server has them.
        for path in [*CHEAP, issue, export]:
            fetch(base, path)
        print(f"QUARTIER_HEAVY_REQUESTS={heavy_requests} (waitress: 8 threads)")
        alone = [fetch(base, CHEAP[i % len(CHEAP)])[1] for i in range(60)]
        print(f"  cheap requests alone: {ms(alone)}")
        status, seconds = fetch(base, export)
        print(f"  one heavy export alone: {status} in {seconds * 1000:.0f} ms")
        offsets = [i * 250_000 for i in range(PARALLEL)]  # different indicator-periods
        heavy, cheap = parallel(base, [f"{issue}&offset={o}" for o in offsets])
        report(f"{PARALLEL}× the issue's values request (limit=100) at once", heavy, cheap)
        heavy, cheap = parallel(base, [export] * PARALLEL)
        report(f"{PARALLEL}× a heavy export at once", heavy, cheap)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    data_dir = demo_data_dir()
    settings = [int(arg) for arg in sys.argv[1:]] or [2, 8]
    for heavy_requests in settings:
        run(data_dir, heavy_requests)


if __name__ == "__main__":
    main()
