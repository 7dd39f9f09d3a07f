"""Issue 15 at scale: a Musterstadt with many blocks (default 80,000), map geometry and values.

Builds the city with the demo generator scaled up (Voronoi blocks nested in 4 levels,
values for every indicator), loads it into a fresh SQLite data directory through the
demo load path (which also stores the map geometry), then starts a *cold* process that
measures, server side:

* the geometry document: build time, stored size raw/gzip, and a cold read (from the DB);
* the first map: geometry + values of one indicator, cold, in that process;
* values of one indicator-period on the wire: /karte/werte/ (gzip), /api/v1/values/
  (rows) and /api/v1/values/columns/, raw and gzipped;
* the process's peak memory (RSS).

Usage: python bench/big_city.py [--blocks 80000]
Not measured here: the browser (Leaflet drawing the polygons) — see bench/map_browser.py.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build(data_dir: Path, blocks: int) -> None:
    """Generate and load the city (run in a child process: Django set up on data_dir)."""
    import django

    django.setup()
    from django.core.management import call_command

    from quartier.demo import load as demo_load
    from quartier.demo.generate import generate
    from quartier.demo.geometry import Layout

    call_command("migrate", verbosity=0)
    scale = blocks / 5000
    layout = Layout(
        blocks=blocks,
        districts=10,
        quarters=int(45 * scale**0.5),
        social_areas=int(225 * scale**0.5),
        radius=7200.0 * scale**0.5,
    )
    wall, cpu = time.perf_counter(), time.process_time()
    city = generate(20240101, layout)
    print(f"generate {blocks} blocks: {time.perf_counter() - wall:.1f} s wall", flush=True)
    wall2, cpu2 = time.perf_counter(), time.process_time()
    demo_load.load(city)
    print(
        f"load (incl. stored map geometry): {time.perf_counter() - wall2:.1f} s wall, "
        f"{time.process_time() - cpu2:.1f} s CPU",
        flush=True,
    )
    from quartier.spatial.display import prepare_level
    from quartier.spatial.models import Level

    level = Level.objects.get(key="baublock")
    wall3, cpu3 = time.perf_counter(), time.process_time()
    prepare_level(level)
    print(
        f"geometry document build (baublock): {time.perf_counter() - wall3:.2f} s wall, "
        f"{time.process_time() - cpu3:.2f} s CPU",
        flush=True,
    )
    # As `quartier demo` does and a server does after every import (one worker, in the
    # background): disclosure control for every family and period, stored for all processes.
    from quartier.indicators.precompute import protect_all

    wall4, cpu4 = time.perf_counter(), time.process_time()
    protect_all()
    print(
        f"protection masks stored: {time.perf_counter() - wall4:.1f} s wall, "
        f"{time.process_time() - cpu4:.1f} s CPU",
        flush=True,
    )
    del wall, cpu


def forget_packed() -> None:
    """Drop the packed copies of stored values (and migrate a city built before them)."""
    import django

    django.setup()
    from django.core.management import call_command

    from quartier.indicators import valuestore

    call_command("migrate", verbosity=0)
    valuestore.forget()


def measure() -> None:
    """Cold process: first map, payload sizes, memory."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from quartier.spatial import display

    settings.ALLOWED_HOSTS.append("testserver")
    client = Client()
    gz = {"HTTP_ACCEPT_ENCODING": "gzip"}

    def timed(url, **headers):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, **headers)
        assert response.status_code == 200, response.content[:200]
        spent = time.perf_counter() - wall, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  (peak RSS after {url.split('?')[0]}: {peak:.0f} MB)")
        return response, *spent

    geo, t_geo, c_geo = timed("/karte/geometrie/baublock/", **gz)
    print(
        f"cold geometry request: {t_geo:.2f} s wall, {c_geo:.2f} s CPU, builds in process: "
        f"{display.builds['count']}, {len(geo.content) / 1e6:.2f} MB gzip, "
        f"{len(gzip.decompress(geo.content)) / 1e6:.2f} MB raw"
    )
    url = "/karte/werte/?ebene=baublock&indikator=kinderarmut"
    values, t_val, c_val = timed(url, **gz)
    print(
        f"cold map values: {t_val:.2f} s wall, {c_val:.2f} s CPU, "
        f"{len(values.content) / 1e3:.0f} KB on the wire"
    )
    print(f"first map (server side, geometry + values): {t_geo + t_val:.2f} s (target ≤ 2 s)")
    _, t_rep, _ = timed("/karte/werte/?ebene=baublock&indikator=sgb2_quote", **gz)
    print(f"repaint values (other indicator, server side): {t_rep * 1000:.0f} ms")
    api = "indicator=kinderarmut&level=baublock&limit=100000"
    rows, t_rows, _ = timed(f"/api/v1/values/?{api}", HTTP_ACCEPT="application/json")
    cols, t_cols, _ = timed(f"/api/v1/values/columns/?{api}", HTTP_ACCEPT="application/json")
    for name, r, t in (("rows", rows, t_rows), ("columns", cols, t_cols)):
        raw = len(r.content)
        print(
            f"/api/v1/values/ {name}: {raw / 1e3:.0f} KB raw, "
            f"{len(gzip.compress(r.content, 6)) / 1e3:.0f} KB gzip (target ≤ 200 KB), "
            f"{t * 1000:.0f} ms"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the serving process: {peak:.0f} MB (target ≤ 600 MB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=80_000)
    parser.add_argument("--data-dir", type=Path, help="reuse a built city")
    parser.add_argument("--child", choices=["build", "measure", "forget-packed"])
    args = parser.parse_args()
    if args.child == "build":
        return build(args.data_dir, args.blocks)
    if args.child == "measure":
        return measure()
    if args.child == "forget-packed":
        return forget_packed()
    print("load:", os.getloadavg())
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="quartier-big-"))
    env = {
        **os.environ,
        "QUARTIER_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "quartier.settings",
    }
    env.pop("QUARTIER_DATABASE_URL", None)
    me = [sys.executable, __file__, "--data-dir", str(data_dir), "--blocks", str(args.blocks)]
    if not (data_dir / "quartier.sqlite3").exists():
        subprocess.run([*me, "--child", "build"], env=env, check=True)
    # Twice: the first cold process reads the value rows (and packs them for the next,
    # see quartier.indicators.valuestore); the second is a cold process after it, as a
    # new worker or a restart meets the city.
    subprocess.run([*me, "--child", "forget-packed"], env=env, check=True)
    print("== a cold process, values never read before (row by row, then packed)", flush=True)
    subprocess.run([*me, "--child", "measure"], env=env, check=True)
    print("== another cold process (packed values)", flush=True)
    subprocess.run([*me, "--child", "measure"], env=env, check=True)
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
