"""Issue #3 browser timings in headless Chromium (Debian's chromium via Playwright).

Prints, for the Musterstadt block level (~5,000 polygons):
* time from navigation start until the first map is drawn (target ≤ 2 s),
* time from an indicator switch until the map has repainted (target ≤ 300 ms).

Usage: python bench/map_browser.py [--runs N]   (uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import demo_data_dir  # noqa: E402

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SWITCH_JS = """
async (key) => {
  const map = document.getElementById('map');
  const before = map.dataset.view;
  const select = document.getElementById('indicator');
  const started = performance.now();
  select.value = key;
  select.dispatchEvent(new Event('change'));
  await new Promise((resolve) => {
    const check = () => (map.dataset.state === 'ready' && map.dataset.view !== before)
      ? resolve() : requestAnimationFrame(check);
    check();
  });
  // Leaflet repaints the canvas in the next animation frame; wait until it has run.
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - started;
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "QUARTIER_DATA_DIR": str(demo_data_dir())}
    env.pop("QUARTIER_DATABASE_URL", None)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "quartier", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in server.stdout:  # a first start collects the static files first
            if re.search("läuft auf", line):
                break
        else:
            raise AssertionError("the server did not start")
        time.sleep(3)  # let the server warm up (mapclassify/numba) as in production
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            url = f"http://127.0.0.1:{port}/karte/?ebene=baublock&indikator=kinderarmut"
            first, cached = [], []
            for run in range(args.runs):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                for target in (first, cached) if run == 0 else (cached,):
                    page.goto(url)
                    page.wait_for_function(
                        "() => performance.getEntriesByName('quartier:first-map').length"
                    )
                    target.append(
                        page.evaluate(
                            "() => performance.getEntriesByName('quartier:first-map')[0].startTime"
                        )
                    )
                if run == 0:
                    switches = [
                        page.evaluate(SWITCH_JS, key)
                        for key in [
                            "sgb2_quote",
                            "ew_gesamt",
                            "arbeitslosenquote",
                            "anteil_u18",
                            "kinderarmut",
                            "anteil_migration",
                            "wohnflaeche_je_ew",
                            "durchschnittsalter",
                            "sgb2_quote",
                            "kinderarmut",
                        ]
                    ]
                context.close()
            browser.close()
        print(
            f"first map drawn (new browser context, empty cache): {first[0]:.0f} ms (target ≤ 2000 ms)"
        )
        print(
            f"first map drawn (geometry revalidated by ETag): median {statistics.median(cached):.0f} ms "
            f"over {len(cached)} loads"
        )
        print(
            f"indicator switch until repainted: median {statistics.median(switches):.0f} ms, "
            f"max {max(switches):.0f} ms over {len(switches)} switches (target ≤ 300 ms)"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
