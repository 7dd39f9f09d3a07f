"""Issue #15: the first map 3 s after the server starts (target ≤ 2 s).

Starts ``quartier serve`` on the full Musterstadt (``bench/_demo.py``), waits until
3 s after the process was started, then loads the map as a browser does: the page,
its style sheets and scripts (six at a time, also the modules the scripts import),
the map's values, the level's geometry and its parent's outline — each after the
one it depends on. Prints the time of each step, the whole first map, and the CPU
seconds the server's processes (master, workers, import worker) used until then.
Repeats with a fresh server ``--runs`` times.

Usage: python bench/cold_start.py [--workers N] [--runs 3] [--level stadtteil]
(uses QUARTIER_DATA_DIR if it holds a demo). To measure other code (e.g. main)
with the same data: PYTHONPATH=/path/to/checkout/src python bench/cold_start.py.
The figures depend on what else runs on the machine; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _demo import demo_data_dir  # noqa: E402
from load import cpu_of, start  # noqa: E402

ASSETS = re.compile(r'<(?:script|link)[^>]+(?:src|href)="(/[^"]+)"')
IMPORTS = re.compile(r'(?:import|from)\s*["\'](\.{1,2}/[^"\']+)["\']')
CATALOGUE = re.compile(r'<script id="map-catalogue" type="application/json">(.*?)</script>', re.S)


def _fetch(session: requests.Session, url: str) -> requests.Response:
    response = session.get(url, timeout=300)
    response.raise_for_status()
    return response


def _assets(session, base: str, html: str) -> int:
    """The page's style sheets and scripts, six at a time, then what the modules import.

    Returns how many were not found (a browser would not draw the map then).
    """
    pending = {urljoin(base, path) for path in ASSETS.findall(html)}
    seen: set[str] = set()
    missing = 0
    with ThreadPoolExecutor(6) as pool:
        while pending:
            seen |= pending
            found = set()
            urls = sorted(pending)
            responses = pool.map(lambda u: session.get(u, timeout=300), urls)
            for url, response in zip(urls, responses, strict=True):
                missing += response.status_code != 200
                if url.endswith(".js"):
                    found |= {urljoin(url, path) for path in IMPORTS.findall(response.text)}
            pending = found - seen
    return missing


def first_map(url: str, level: str, indicator: str) -> dict[str, float]:
    """Seconds of each step of loading ``/karte/`` for ``level`` and ``indicator``."""
    session = requests.Session()
    steps = {}
    begin = time.monotonic()
    page = _fetch(session, f"{url}/karte/?ebene={level}&indikator={indicator}")
    steps["page"] = time.monotonic() - begin
    mark = time.monotonic()
    missing = _assets(session, page.url, page.text)
    steps["scripts and styles"] = time.monotonic() - mark
    if missing:
        print(f"  {missing} scripts or styles not found: the map would not start", flush=True)
    mark = time.monotonic()
    _fetch(session, f"{url}/karte/werte/?ebene={level}&indikator={indicator}")
    steps["values"] = time.monotonic() - mark
    levels = {lv["key"]: lv for lv in json.loads(CATALOGUE.search(page.text).group(1))["levels"]}
    mark = time.monotonic()
    _fetch(session, f"{url}/karte/geometrie/{level}/?stichtag=")
    if levels[level].get("parent"):
        _fetch(session, f"{url}/karte/geometrie/{levels[level]['parent']}/?stichtag=")
    steps["geometry"] = time.monotonic() - mark
    steps["first map"] = time.monotonic() - begin
    return steps


def cold_first_map(url: str, started: float, level: str, indicator: str) -> dict[str, float]:
    """:func:`first_map` asked 3 s after ``started`` (monotonic time of the server's start)."""
    time.sleep(max(0.0, started + 3 - time.monotonic()))
    return first_map(url, level, indicator)


def run(data_dir: Path, workers: int, level: str, indicator: str) -> dict[str, float]:
    """One fresh server: the cold first map, and the server's CPU seconds until it was drawn."""
    proc, url, started = start(data_dir, workers)
    try:
        steps = cold_first_map(url, started, level, indicator)
        steps["server CPU until then"] = cpu_of(proc.pid)
        steps["warm first map"] = first_map(url, level, indicator)["first map"]
        return steps
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--level", default="stadtteil")
    parser.add_argument("--indicator", default="kinderarmut")
    args = parser.parse_args()
    data_dir = demo_data_dir()
    results = []
    for i in range(args.runs):
        results.append(run(data_dir, args.workers, args.level, args.indicator))
        figures = "  ".join(f"{k} {v:.2f}" for k, v in results[-1].items())
        print(f"run {i + 1}: {figures}", flush=True)
        print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    print(f"\n--workers {args.workers}, {args.level}/{args.indicator}, {args.runs} runs (s):")
    for key in results[0]:
        values = [r[key] for r in results]
        print(f"  {key:24} median {statistics.median(values):6.2f}  max {max(values):6.2f}")
    print("target: first map ≤ 2 s when asked 3 s after the start")


if __name__ == "__main__":
    main()
