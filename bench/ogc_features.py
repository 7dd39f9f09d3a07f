"""OGC API – Features speed: an items page of 1,000 Musterstadt blocks (target ≤ 150 ms),
and pygeoapi serving the same 1,000 features on the same machine, with the ratio.

Measured, each as median and 90th percentile of --runs requests after 3 warm-ups:

1. in process (Django's test client, anonymous user): Quartier's page
   /ogc/collections/baublock/items?limit=1000 with the default properties
   (every public indicator with data) and with 3 properties; plus the very
   first request (cold caches: geometry and values read from the database).
2. over HTTP, the same client code for both servers (one keep-alive
   connection, body read completely, no gzip): Quartier and pygeoapi 0.21,
   each on waitress with 4 threads in its own process. pygeoapi serves the
   1,000 features Quartier returned — same geometry, same properties — from a
   GeoJSON file with its GeoJSON provider (which reads the file per request).

pygeoapi pins packages that conflict with ours, so it gets its own virtual
environment: /tmp/pygeoapi-venv (or $PYGEOAPI_VENV), created by this script
with ``python3.11 -m venv`` and ``pip install pygeoapi==0.21.0 waitress`` when
missing. ``--no-pygeoapi`` skips that part.

Usage: python bench/ogc_features.py [--runs 30] [--no-pygeoapi]
       (uses QUARTIER_DATA_DIR if it holds a demo, else builds Musterstadt)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import use_demo  # noqa: E402

ITEMS = "/ogc/collections/baublock/items?limit=1000"
THREE = "&properties=ew_gesamt,kinderarmut,arbeitslose"
PYGEOAPI = "pygeoapi==0.21.0"


def stats(timings: list[float]) -> str:
    ordered = sorted(timings)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"median {statistics.median(ordered):6.1f} ms   p90 {p90:6.1f} ms"


def in_process(runs: int) -> dict[str, bytes]:
    """Time the items page through Django's test client; return the two bodies."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS.append("testserver")
    client = Client()
    bodies = {}
    for label, url in (("default properties", ITEMS), ("3 properties", ITEMS + THREE)):
        started = time.perf_counter()
        first = client.get(url)
        cold = (time.perf_counter() - started) * 1000
        assert first.status_code == 200, first.content[:300]
        for _ in range(2):
            client.get(url)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        doc = json.loads(response.content)
        columns = len(doc["features"][0]["properties"])
        print(
            f"Quartier in process, {label:18} ({doc['numberReturned']} features, {columns} "
            f"properties, {len(response.content) / 1e6:.2f} MB): {stats(timings)}"
            f"   first request {cold:.0f} ms"
        )
        bodies[label] = response.content
    return bodies


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, path: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} ended: {process.stderr.read()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not answer {path}")


def over_http(port: int, path: str, runs: int) -> tuple[list[float], int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings, size = [], 0
    for i in range(runs + 3):
        started = time.perf_counter()
        conn.request("GET", path, headers={"Accept": "application/geo+json"})
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status == 200, body[:300]
        size = len(body)
        if i >= 3:
            timings.append(elapsed)
    conn.close()
    return timings, size


def start_quartier(port: int) -> subprocess.Popen:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'quartier.settings');"
        "django.setup(); from waitress import serve; from quartier.wsgi import application;"
        f"serve(application, host='127.0.0.1', port={port}, threads=4, ident='Quartier')"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def pygeoapi_python() -> Path:
    venv = Path(os.environ.get("PYGEOAPI_VENV", "/tmp/pygeoapi-venv"))
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import pygeoapi, waitress; print(pygeoapi.__version__)"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {venv} with {PYGEOAPI} and waitress …", flush=True)
    subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", PYGEOAPI, "waitress"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return python


def pygeoapi_config(folder: Path, port: int, files: dict[str, Path]) -> Path:
    """A minimal pygeoapi configuration with one GeoJSON collection per file (JSON is YAML)."""
    resources = {
        name: {
            "type": "collection",
            "title": name,
            "description": "Musterstadt blocks",
            "keywords": ["bench"],
            "extents": {"spatial": {"bbox": [-180, -90, 180, 90]}},
            "providers": [
                {"type": "feature", "name": "GeoJSON", "data": str(path), "id_field": "code"}
            ],
        }
        for name, path in files.items()
    }
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "language": "en-US",
            "pretty_print": False,
            "gzip": False,
            "limits": {"default_items": 1000, "max_items": 10000},
            "map": {"url": "http://127.0.0.1/{z}/{x}/{y}.png", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "bench",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": "none",
                "url": "http://127.0.0.1",
            },
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "bench", "url": "http://127.0.0.1"},
            "contact": {"name": "bench", "url": "http://127.0.0.1"},
        },
        "resources": resources,
    }
    path = folder / "pygeoapi.yml"
    path.write_text(json.dumps(config))
    return path


def start_pygeoapi(python: Path, folder: Path, port: int, files: dict) -> subprocess.Popen:
    config = pygeoapi_config(folder, port, files)
    openapi = folder / "openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    subprocess.run(
        [str(python.parent / "pygeoapi"), "openapi", "generate", str(config)],
        env=env,
        check=True,
        stdout=openapi.open("w"),
        stderr=subprocess.DEVNULL,
    )
    code = (
        "from waitress import serve; from pygeoapi.flask_app import APP;"
        f"serve(APP, host='127.0.0.1', port={port}, threads=4, ident='pygeoapi')"
    )
    return subprocess.Popen(
        [str(python), "-c", code],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def compare_with_pygeoapi(bodies: dict[str, bytes], runs: int) -> None:
    python = pygeoapi_python()
    folder = Path(tempfile.mkdtemp(prefix="ogc-bench-"))
    files = {}
    for label, body in bodies.items():
        doc = json.loads(body)
        name = "blocks_all" if label.startswith("default") else "blocks_3"
        files[name] = folder / f"{name}.geojson"
        files[name].write_text(
            json.dumps({"type": "FeatureCollection", "features": doc["features"]})
        )
    ours, theirs = free_port(), free_port()
    servers = [start_quartier(ours)]
    try:
        servers.append(start_pygeoapi(python, folder, theirs, files))
        quartier, pygeoapi = servers
        wait_for(ours, "/ogc/collections", quartier)
        wait_for(theirs, "/collections?f=json", pygeoapi)
        print("over HTTP (waitress, 4 threads each; one keep-alive client; no gzip):")
        for label, name, query in (
            ("default properties", "blocks_all", ""),
            ("3 properties", "blocks_3", THREE),
        ):
            q, q_size = over_http(ours, ITEMS + query, runs)
            p, p_size = over_http(theirs, f"/collections/{name}/items?limit=1000&f=json", runs)
            ratio = statistics.median(p) / statistics.median(q)
            print(f"  Quartier {label:18} {stats(q)}   {q_size / 1e6:.2f} MB")
            print(f"  pygeoapi {label:18} {stats(p)}   {p_size / 1e6:.2f} MB")
            print(f"  ratio pygeoapi / Quartier (medians): {ratio:.1f}")
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-pygeoapi", action="store_true")
    args = parser.parse_args()
    use_demo()
    print("target: items page of 1,000 block features ≤ 150 ms (server side)")
    bodies = in_process(args.runs)
    if not args.no_pygeoapi:
        compare_with_pygeoapi(bodies, args.runs)


if __name__ == "__main__":
    main()
