"""Issue 15, the browser's share alone: N synthetic blocks drawn in headless Chromium.

Opens the map page of a demo (any level), builds a geometry document of N hexagonal blocks
(12 vertices each) over the city's box in the page, and times, without the server:

* JSON.parse of the document and decodeGeometry (geometry.js);
* the area layer (areas.js): first draw, repaint with new colours (median of 5), a new view;
* for comparison, the former way: one L.polygon per area on an L.canvas renderer
  (creating and drawing them, then a repaint by setStyle per layer).

Usage: python bench/map_canvas_synthetic.py [--areas 80000]  (uses QUARTIER_DATA_DIR's demo)
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import demo_data_dir  # noqa: E402
from map_browser import ARGS  # noqa: E402

SETUP_JS = """
(count) => {
  const q = window.quartier; const [w, s, e, n] = q.geometry.bbox;
  const scale = 100000; const origin = [Math.floor(w * 100) / 100, Math.floor(s * 100) / 100];
  const side = Math.ceil(Math.sqrt(count)); const dx = (e - w) / side; const dy = (n - s) / side;
  const shapes = []; const labels = []; const codes = []; const names = [];
  for (let i = 0; i < count; i += 1) {
    const cx = w + (i % side + 0.5) * dx; const cy = s + (Math.floor(i / side) + 0.5) * dy;
    const ring = []; let px = 0; let py = 0;
    for (let k = 0; k < 12; k += 1) {
      const a = (k / 12) * 2 * Math.PI;
      const x = Math.round((cx + Math.cos(a) * dx * 0.5 - origin[0]) * scale);
      const y = Math.round((cy + Math.sin(a) * dy * 0.5 - origin[1]) * scale);
      ring.push(x - px, y - py); px = x; py = y;
    }
    shapes.push([[ring]]);
    labels.push([Math.round((cx - origin[0]) * scale), Math.round((cy - origin[1]) * scale)]);
    codes.push(`S${i}`); names.push(`Block ${i}`);
  }
  window.syntheticText = JSON.stringify({ origin, scale, shapes, labels, codes, names,
    bbox: q.geometry.bbox, level: "synthetic", version: "synthetic" });
  return window.syntheticText.length;
}
"""

PALETTE = "['#ffffcc', '#fed976', '#fd8d3c', '#e31a1c', '#800026', '#cccccc']"

NEW_JS = (
    """
async () => {
  const href = (name) => [...document.querySelectorAll('link[rel=modulepreload]')]
    .map((l) => l.href).find((h) => h.includes(`/js/${name}.`));
  const { decodeGeometry } = await import(href('geometry'));
  const q = window.quartier; const a = q.areas; const flush = () => a._ctx.getImageData(0, 0, 1, 1);
  const palette = """
    + PALETTE
    + """;
  const out = {};
  let t = performance.now(); const doc = JSON.parse(window.syntheticText); out.parse = performance.now() - t;
  t = performance.now(); const geom = decodeGeometry(doc); out.decode = performance.now() - t;
  const n = geom.codes.length;
  a.setOutlines(null);
  t = performance.now(); a.setAreas(geom); a.setColours(new Array(n).fill('#cfcfcf')); flush();
  out.first_draw = performance.now() - t;
  const repaints = [];
  for (let r = 0; r < 5; r += 1) {
    const colours = Array.from({ length: n }, (_, i) => palette[(i * (r + 3)) % 6]);
    t = performance.now(); a.setColours(colours); flush(); repaints.push(performance.now() - t);
  }
  repaints.sort((x, y) => x - y); out.repaint_median = repaints[2];
  t = performance.now(); q.map.setZoom(q.map.getZoom() + 1, { animate: false }); flush();
  out.zoom_in = performance.now() - t;
  return out;
}
"""
)

OLD_JS = (
    """
async () => {
  const href = (name) => [...document.querySelectorAll('link[rel=modulepreload]')]
    .map((l) => l.href).find((h) => h.includes(`/js/${name}.`));
  const { decodeRing } = await import(href('geometry'));
  const q = window.quartier; q.map.removeLayer(q.areas);
  const palette = """
    + PALETTE
    + """;
  const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const out = {};
  let t = performance.now(); const doc = JSON.parse(window.syntheticText); out.parse = performance.now() - t;
  t = performance.now();
  const shapes = doc.shapes.map((ps) => ps.map((rs) => rs.map((ring) => decodeRing(ring, doc.origin, doc.scale))));
  out.decode = performance.now() - t;
  const renderer = L.canvas({ padding: 0.3, tolerance: 2 });
  const group = L.featureGroup().addTo(q.map);
  t = performance.now();
  const layers = shapes.map((shape, i) => {
    const layer = L.polygon(shape, { renderer, areaIndex: i, weight: 0.6, color: '#5a5a5a',
      fillColor: '#cfcfcf', fillOpacity: 0.85 });
    group.addLayer(layer); return layer; });
  await frame(); out.first_draw = performance.now() - t;
  const repaints = [];
  for (let r = 0; r < 5; r += 1) {
    t = performance.now();
    layers.forEach((layer, i) => layer.setStyle({ fillColor: palette[(i * (r + 3)) % 6] }));
    await frame(); repaints.push(performance.now() - t);
  }
  repaints.sort((x, y) => x - y); out.repaint_median = repaints[2];
  t = performance.now(); q.map.setZoom(q.map.getZoom() + 1, { animate: false }); await frame();
  out.zoom_in = performance.now() - t;
  return out;
}
"""
)


def main() -> None:
    """Start a server on the demo, run both ways in fresh pages, print the times."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--areas", type=int, default=80_000)
    args = parser.parse_args()
    env = {**os.environ, "QUARTIER_DATA_DIR": str(demo_data_dir())}
    env.pop("QUARTIER_DATABASE_URL", None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "quartier", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in server.stdout:
            if re.search("läuft auf", line):
                break
        else:
            raise AssertionError("the server did not start")
        time.sleep(3)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            url = f"http://127.0.0.1:{port}/karte/?ebene=stadtbezirk&indikator=kinderarmut"
            for name, script in (
                ("area layer (areas.js)", NEW_JS),
                ("one L.polygon per area", OLD_JS),
            ):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(url)
                page.wait_for_function(
                    "() => document.getElementById('map').dataset.state === 'ready'"
                )
                size = page.evaluate(SETUP_JS, args.areas)
                result = page.evaluate(script)
                print(
                    f"{name}, {args.areas} areas ({size / 1e6:.1f} MB JSON): "
                    + ", ".join(f"{k} {v:.0f} ms" for k, v in result.items())
                )
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
