"""Issue #15: 50 concurrent users on a mixed load, one process against N worker processes.

Starts ``quartier serve`` itself on the full Musterstadt (``bench/_demo.py``), first
with ``--workers 1`` (waitress, 8 threads), then with ``--workers N`` (gunicorn,
8 threads each), and drives 50 users (threads with requests, no think time; p50/p95 over all answers,
503 refusals of the heavy-request limiter counted as errors) for
``--seconds`` each: map values, API values, OGC pages and area profiles, as an
anonymous visitor of the public portal (public indicators). Prints throughput,
p50/p95 and errors side by side and the ratio, plus the time of the first map
loaded 3 s after the server started (as ``bench/cold_start.py`` loads it).

Usage: python bench/load.py [--workers N] [--users 50] [--seconds 30]
(uses QUARTIER_DATA_DIR if it holds a demo). The figures depend on what else runs
on the machine; the script prints the load average next to them.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _demo import demo_data_dir  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.clitools import free_port  # noqa: E402


def mixed_urls(data_dir: Path) -> list[str]:
    """The mix: map values, API values, OGC pages, profiles (one quarter each)."""
    with sqlite3.connect(data_dir / "quartier.sqlite3") as db:
        indicators = [
            key
            for (key,) in db.execute(
                "SELECT key FROM indicators_indicator WHERE visibility = 'public' ORDER BY key"
            )
        ][:12]
        areas = db.execute(
            "SELECT l.key, a.code FROM spatial_area a JOIN spatial_level l ON a.level_id = l.id"
            " WHERE l.key IN ('stadtteil', 'sozialraum') ORDER BY a.code"
        ).fetchall()
    urls = []
    for key in indicators:
        for level in ("baublock", "sozialraum"):
            urls.append(("map", f"/karte/werte/?ebene={level}&indikator={key}"))
            urls.append(("api", f"/api/v1/values/?indicator={key}&level={level}"))
    for level in ("baublock", "sozialraum", "stadtteil"):
        for offset in (0, 100, 200):
            urls.append(("ogc", f"/ogc/collections/{level}/items?limit=100&offset={offset}"))
    urls += [("profile", f"/gebiete/{level}/{code}/") for level, code in areas]
    return urls


def start(data_dir: Path, workers: int) -> tuple[subprocess.Popen, str, float]:
    """``quartier serve`` on a free port; (process, url, monotonic start time)."""
    port = free_port()
    env = {**os.environ, "QUARTIER_DATA_DIR": str(data_dir)}
    env.pop("QUARTIER_DATABASE_URL", None)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "quartier", "serve", "--port", str(port)]
        + ["--workers", str(workers), "--threads", "8"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in proc.stdout:
        if "läuft auf" in line:
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, f"http://127.0.0.1:{port}", started


def first_map(url: str, started: float) -> float:
    """Seconds the first map (page, scripts, values, geometry) takes, asked 3 s after the start."""
    from cold_start import cold_first_map  # it imports this module: not at the top

    return cold_first_map(url, started, "stadtteil", "kinderarmut")["first map"]


def drive(url: str, urls: list, users: int, seconds: float) -> dict:
    """``users`` threads asking random URLs of the mix for ``seconds``."""
    times: list[float] = []
    kind_times: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    by_kind: dict[str, list[str]] = {}
    for kind, path in urls:
        by_kind.setdefault(kind, []).append(path)
    kinds = sorted(by_kind)

    def user(seed: int) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        while time.monotonic() < stop:
            # One quarter each: a kind first, then one of its URLs (there are 270 profiles
            # but 9 OGC pages; drawing from all URLs made 83 % of the load profiles).
            kind = rng.choice(kinds)
            path = rng.choice(by_kind[kind])
            begin = time.monotonic()
            try:
                response = session.get(url + path, timeout=120)
                failed = None if response.status_code == 200 else f"{kind} {response.status_code}"
            except requests.RequestException as exc:
                failed = f"{kind} {type(exc).__name__}"
            with lock:
                times.append(time.monotonic() - begin)
                kind_times.setdefault(kind, []).append(times[-1])
                if failed:
                    errors[failed] = errors.get(failed, 0) + 1

    begin = time.monotonic()
    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - begin
    times.sort()
    return {
        "requests": len(times),
        "rps": len(times) / wall,
        "ok_rps": (len(times) - sum(errors.values())) / wall,
        "p50": times[len(times) // 2] if times else float("nan"),
        "p95": times[int(len(times) * 0.95)] if times else float("nan"),
        "errors": errors,
        "kinds": {kind: _percentiles(spent) for kind, spent in sorted(kind_times.items())},
    }


def _percentiles(spent: list[float]) -> tuple[int, float, float]:
    """(count, p50, p95) of the seconds in ``spent``."""
    spent = sorted(spent)
    return len(spent), spent[len(spent) // 2], spent[int(len(spent) * 0.95)]


def cpu_of(pid: int) -> float:
    """CPU seconds of a process and its children so far (from /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid] + [int(p) for p in re.findall(r"\d+", _children(pid))]
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _children(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return ""


def run(data_dir: Path, workers: int, urls: list, users: int, seconds: float) -> dict:
    """One configuration: start, first map at 3 s, warm-up pass, then the load."""
    proc, url, started = start(data_dir, workers)
    try:
        result = {"first_map": first_map(url, started)}
        drive(url, urls, users, min(10.0, seconds / 3))  # warm the caches of every worker
        cpu = cpu_of(proc.pid)
        result.update(drive(url, urls, users, seconds))
        result["server_cpu"] = cpu_of(proc.pid) - cpu
        # Answers per CPU second of the server: comparable on a machine shared with others.
        result["per_cpu"] = result["requests"] / max(result["server_cpu"], 1e-9)
        result["load"] = os.getloadavg()
        return result
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    data_dir = demo_data_dir()
    urls = mixed_urls(data_dir)
    print(f"{len(urls)} URLs in the mix; {args.users} users, {args.seconds:.0f} s each")
    results = {}
    for workers in (1, args.workers):
        print(f"--workers {workers} …", flush=True)
        results[workers] = run(data_dir, workers, urls, args.users, args.seconds)
    one, many = results[1], results[args.workers]
    print(f"\n{'':24}{'1 process':>16}{f'{args.workers} workers':>16}")
    rows = [
        ("requests", "requests", "{:.0f}"),
        ("throughput (req/s)", "rps", "{:.1f}"),
        ("answered 200 (req/s)", "ok_rps", "{:.1f}"),
        ("p50 (s)", "p50", "{:.3f}"),
        ("p95 (s)", "p95", "{:.3f}"),
        ("server CPU (s)", "server_cpu", "{:.1f}"),
        ("requests / CPU second", "per_cpu", "{:.1f}"),
        ("first map at 3 s (s)", "first_map", "{:.2f}"),
    ]
    for label, key, form in rows:
        print(f"{label:24}{form.format(one[key]):>16}{form.format(many[key]):>16}")
    print(f"{'errors':24}{sum(one['errors'].values()):>16}{sum(many['errors'].values()):>16}")
    for workers, result in results.items():
        kinds = ", ".join(
            f"{kind} {n} × p50 {p50:.2f} / p95 {p95:.2f} s"
            for kind, (n, p50, p95) in result["kinds"].items()
        )
        print(f"  by kind with {workers}: {kinds}")
        if result["errors"]:
            print(f"  errors with {workers}: {result['errors']}")
        print(f"  load average after {workers}: {' '.join(f'{x:.2f}' for x in result['load'])}")
    print(f"throughput ratio {args.workers} workers / 1 process: {many['rps'] / one['rps']:.2f}×")
    print(f"ratio of 200 answers: {many['ok_rps'] / one['ok_rps']:.2f}×")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"bench client CPU: {usage.ru_utime + usage.ru_stime:.1f} s")


if __name__ == "__main__":
    main()
