"""OGC API – Features at scale: pages and bbox queries over a city of 80,000 blocks.

Target (issue 15): a page of 1,000 features costs O(page), not O(N) — ≤ 150 ms
cold at 80,000 blocks. Each measurement starts a fresh Python process (so
"cold" means: nothing cached in memory; what the database stores — areas,
values, protection masks of the data state — is there, as after any import),
times the first request, then ``--runs`` warm ones, wall and CPU time each.

The city is Musterstadt's generator with a bigger layout (Voronoi blocks nested
in 4 levels), the last ``--years`` years of counts only (the page reads one
Stichtag; fewer years keep the build short). "process start" is what a fresh
process pays once before its first page (URLs, the area index); "cold" is the
first page after it. It is built once into
``--data-dir`` (SQLite) and reused when that directory already holds it; the
build stores the protection masks like ``quartier demo`` does.

Usage: python bench/ogc_big.py [--data-dir DIR] [--blocks 80000] [--years 2] [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PAGES = (
    ("page 1 (offset 0)", "/ogc/collections/baublock/items?limit=1000"),
    ("page 40 (offset 39000)", "/ogc/collections/baublock/items?limit=1000&offset=39000"),
    (
        "3 properties",
        "/ogc/collections/baublock/items?limit=1000&properties=ew_gesamt,kinderarmut,arbeitslose",
    ),
)


def _django(data_dir: Path) -> None:
    os.environ["QUARTIER_DATA_DIR"] = str(data_dir)
    os.environ.pop("QUARTIER_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quartier.settings")
    import django

    django.setup()


def build(data_dir: Path, blocks: int, years: int) -> None:
    """Generate and load the big city into ``data_dir`` (SQLite), masks stored."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _django(data_dir)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from quartier.demo import load as demo_load
    from quartier.demo.generate import generate
    from quartier.demo.geometry import Layout
    from quartier.indicators.precompute import protect_all

    if demo_load.is_loaded():
        return
    scale = blocks / 5000
    layout = Layout(
        blocks=blocks,
        districts=max(10, round(10 * scale**0.5)),
        quarters=round(45 * scale**0.75),
        social_areas=round(225 * scale**0.75),
        radius=7200.0 * scale**0.5,
    )
    started = time.perf_counter()
    city = generate(2024, layout)
    city.years = city.years[-years:]
    city.counts = {key: values[-years:] for key, values in city.counts.items()}
    print(f"generated {blocks} blocks in {time.perf_counter() - started:.0f} s", flush=True)
    stats = demo_load.load(city)
    print(f"loaded {stats} after {time.perf_counter() - started:.0f} s", flush=True)
    protect_all()
    print(f"masks stored after {time.perf_counter() - started:.0f} s", flush=True)


def measure(data_dir: Path, label: str, path: str, runs: int) -> dict:
    """In a fresh process: the first (cold) request of ``path`` and ``runs`` warm ones."""
    _django(data_dir)
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS.append("testserver")
    client = Client()
    # What every process pays once at start, not per page: URLs, templates, the area index.
    started = time.perf_counter()
    client.get("/ogc/")
    from quartier.spatial.index import area_index

    area_index()
    start_ms = (time.perf_counter() - started) * 1000
    timings = []
    for _ in range(runs + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        timings.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
        assert response.status_code == 200, response.content[:300]
    doc = json.loads(response.content)
    return {
        "label": label,
        "start": start_ms,
        "cold": timings[0],
        "warm": [t[0] for t in timings[1:]],
        "warm_cpu": [t[1] for t in timings[1:]],
        "returned": doc["numberReturned"],
        "matched": doc["numberMatched"],
        "mb": len(response.content) / 1e6,
    }


def _bbox_paths(data_dir: Path) -> list[tuple[str, str]]:
    """A small and a large bbox around the city centre (from the blocks' extent)."""
    _django(data_dir)
    from quartier.spatial.models import Area

    blocks = Area.objects.filter(level__key="baublock")
    lon = sorted(blocks.values_list("min_lon", flat=True))
    lat = sorted(blocks.values_list("min_lat", flat=True))
    cx, cy = lon[len(lon) // 2], lat[len(lat) // 2]
    width, height = lon[-1] - lon[0], lat[-1] - lat[0]
    out = []
    for label, share in (("bbox 2 % of width", 0.02), ("bbox 10 % of width", 0.10)):
        dx, dy = width * share / 2, height * share / 2
        box = f"{cx - dx:.6f},{cy - dy:.6f},{cx + dx:.6f},{cy + dy:.6f}"
        out.append((label, f"/ogc/collections/baublock/items?limit=1000&bbox={box}"))
    return out


def _child(data_dir: Path, label: str, path: str, runs: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--data-dir", str(data_dir), "--child", label, path, str(runs)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/quartier-ogc-big"))
    parser.add_argument("--blocks", type=int, default=80000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--bboxes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        label, path, runs = args.child
        print(json.dumps(measure(args.data_dir, label, path, int(runs))))
        return
    if args.bboxes:
        print(json.dumps(_bbox_paths(args.data_dir)))
        return
    # The build runs in a child process too: this one stays free of Django.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pathlib; sys.path.insert(0, sys.argv[1]); import ogc_big; "
            "ogc_big.build(pathlib.Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))",
            str(Path(__file__).parent),
            str(args.data_dir),
            str(args.blocks),
            str(args.years),
        ],
        check=True,
    )
    bboxes = subprocess.run(
        [sys.executable, __file__, "--data-dir", str(args.data_dir), "--bboxes"],
        check=True,
        capture_output=True,
        text=True,
    )
    paths = [*PAGES, *(tuple(p) for p in json.loads(bboxes.stdout.strip().splitlines()[-1]))]
    print(f"load before: {os.getloadavg()[0]:.2f}  ({os.cpu_count()} cores)")
    for label, path in paths:
        r = _child(args.data_dir, label, path, args.runs)
        cold_wall, cold_cpu = r["cold"]
        print(
            f"{r['label']:24} {r['returned']:5}/{r['matched']:6} features {r['mb']:5.2f} MB   "
            f"process start {r['start']:6.0f} ms   "
            f"cold {cold_wall:7.1f} ms (cpu {cold_cpu:7.1f})   "
            f"warm median {statistics.median(r['warm']):6.1f} ms "
            f"(cpu {statistics.median(r['warm_cpu']):6.1f})",
            flush=True,
        )
    print(f"load after: {os.getloadavg()[0]:.2f}   target: page of 1,000 cold <= 150 ms")


if __name__ == "__main__":
    main()
