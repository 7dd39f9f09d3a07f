"""Helpers for browser tests: wait for the map, read what it shows."""

from __future__ import annotations

from collections import Counter

# Reads the canvas around an area's label point and returns the most frequent colour.
PIXEL_JS = """
(code) => {
  const q = window.quartier;
  const i = q.geometry.index.get(code);
  const pt = q.map.latLngToContainerPoint(q.geometry.labels[i]);
  const canvas = document.querySelector('#map .leaflet-overlay-pane canvas');
  const mapRect = document.getElementById('map').getBoundingClientRect();
  const rect = canvas.getBoundingClientRect();
  const ratio = canvas.width / rect.width;
  const x = Math.round((pt.x + mapRect.left - rect.left) * ratio);
  const y = Math.round((pt.y + mapRect.top - rect.top) * ratio);
  const data = canvas.getContext('2d').getImageData(x - 2, y - 2, 5, 5).data;
  const out = [];
  for (let j = 0; j < data.length; j += 4) out.push([data[j], data[j + 1], data[j + 2]]);
  return out;
}
"""


def wait_ready(page, timeout=20_000):
    """Wait until the map has drawn the current view.

    Null-safe: right after a click that navigates, the predicate may still run
    on the old document, which has no map.
    """
    page.wait_for_function(
        "() => { const el = document.getElementById('map');"
        " return el !== null && el.dataset.state === 'ready'; }",
        timeout=timeout,
    )


def change(page, selector, value):
    """Select an option and wait until the map redrew."""
    before = page.eval_on_selector("#map", "el => el.dataset.view")
    page.select_option(selector, value)
    page.wait_for_function(
        "(old) => { const el = document.getElementById('map');"
        " return el.dataset.state === 'ready' && el.dataset.view !== old; }",
        arg=before,
    )


def legend(page) -> list[str]:
    """Legend lines as shown."""
    return page.locator("#legend li").all_inner_texts()


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def shown_colour(page, code: str) -> tuple[int, int, int]:
    """The colour most often drawn around the area's label point."""
    pixels = [tuple(p) for p in page.evaluate(PIXEL_JS, code)]
    return Counter(pixels).most_common(1)[0][0]


def expected_class_colour(page, code: str) -> str:
    """The legend colour of the class the values response gives the area."""
    return page.evaluate(
        """(code) => { const q = window.quartier; const i = q.geometry.index.get(code);
        return q.colours[i]; }""",
        code,
    )


def nearest_legend_colour(page, rgb, background=(244, 246, 248), opacity=0.85) -> str:
    """Which legend colour, blended as drawn (fill opacity), is closest to ``rgb``."""
    colours = page.evaluate(
        "() => [...window.quartier.values.legend.map(e => e.colour),"
        " window.quartier.values.missing.colour, window.quartier.values.suppressed.colour]"
    )

    def blended(colour):
        return tuple(
            opacity * c + (1 - opacity) * b
            for c, b in zip(hex_to_rgb(colour), background, strict=True)
        )

    return min(
        colours, key=lambda c: sum((a - b) ** 2 for a, b in zip(blended(c), rgb, strict=True))
    )


def biggest_area(page) -> str:
    """Code of the area drawn largest on screen (its label point is far from any edge)."""
    return page.evaluate(
        """() => { const q = window.quartier; let best = null; let size = -1;
        q.geometry.codes.forEach((code, i) => {
          const ring = q.geometry.shapes[i][0][0];
          const lats = ring.map(p => p[0]); const lngs = ring.map(p => p[1]);
          const s = (Math.max(...lats) - Math.min(...lats)) * (Math.max(...lngs) - Math.min(...lngs));
          if (s > size) { size = s; best = code; } });
        return best; }"""
    )


WCAG22 = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations of the page as "rule: target" lines.

    axe-core comes bundled with axe-playwright-python; nothing is fetched at run time.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG22}, "resultTypes": ["violations"]}
    )
    return [
        f"{v['id']}: {node['target']}"
        for v in results.response["violations"]
        for node in v["nodes"]
    ]


def small_geojson() -> str:
    """Two small squares inside Musterstadt's first Stadtteil, as a GeoJSON file's text."""
    import json

    import shapely

    from quartier.spatial.models import Area

    area = Area.objects.filter(level__key="stadtteil").order_by("code").first()
    x, y = shapely.from_wkb(bytes(area.geometry)).representative_point().coords[0]
    d = 0.001
    features = [
        {
            "type": "Feature",
            "properties": {"schluessel": f"T{i}", "name": f"Testgebiet {i}"},
            "geometry": shapely.geometry.mapping(shapely.box(x + i * d, y, x + (i + 1) * d, y + d)),
        }
        for i in range(2)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features})
