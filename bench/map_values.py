"""Issue #3 speed targets for the map data (server side, in process).

Prints, for the Musterstadt block level (~5,000 polygons):
* median time of the values response when switching indicators (target ≤ 20 ms),
* bytes of an indicator switch (values only) against a full GeoJSON of the
  level with the values (target ≤ 5 %), uncompressed and gzipped,
* the geometry document's size (sent once, cached by ETag).

Usage: python bench/map_values.py   (uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import gzip
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import setup_django  # noqa: E402


def main() -> None:
    setup_django()
    import shapely
    from django.conf import settings
    from django.test import Client

    from quartier.server import warm_up
    from quartier.spatial.models import Area

    settings.ALLOWED_HOSTS.append("testserver")
    warm_up()
    client = Client()
    indicators = [
        "kinderarmut",
        "sgb2_quote",
        "ew_gesamt",
        "arbeitslosenquote",
        "anteil_u18",
        "anteil_migration",
        "durchschnittsalter",
        "wohnflaeche_je_ew",
    ]
    for key in indicators:  # first touch fills the in-memory value cache
        client.get(f"/karte/werte/?ebene=baublock&indikator={key}")
    timings = []
    for _ in range(8):
        for key in indicators:
            started = time.perf_counter()
            response = client.get(f"/karte/werte/?ebene=baublock&indikator={key}&methode=quantile")
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    cold = []
    for key in indicators:
        from quartier.indicators import store

        store.clear()
        started = time.perf_counter()
        client.get(f"/karte/werte/?ebene=baublock&indikator={key}")
        cold.append((time.perf_counter() - started) * 1000)

    values = client.get("/karte/werte/?ebene=baublock&indikator=kinderarmut").content
    geometry = client.get("/karte/geometrie/baublock/").content
    data = json.loads(values)
    rows = (
        Area.objects.filter(level__key="baublock")
        .order_by("code")
        .values_list("code", "name", "geometry")
    )
    features = [
        {
            "type": "Feature",
            "properties": {"code": c, "name": n, "value": v},
            "geometry": shapely.geometry.mapping(shapely.from_wkb(bytes(g))),
        }
        for (c, n, g), v in zip(rows, data["values"], strict=True)
    ]
    full = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    gz = lambda b: len(gzip.compress(b, 6))  # noqa: E731
    print(
        f"values response, block level, warm: median {statistics.median(timings):.1f} ms, "
        f"p90 {sorted(timings)[int(len(timings) * 0.9)]:.1f} ms (n={len(timings)}; target ≤ 20 ms)"
    )
    print(f"values response, block level, cold cache: median {statistics.median(cold):.1f} ms")
    print(f"indicator switch: {len(values):,} B ({gz(values):,} B gzipped)")
    print(f"full GeoJSON with values: {len(full):,} B ({gz(full):,} B gzipped)")
    print(
        f"switch / full GeoJSON: {len(values) / len(full):.1%} uncompressed, "
        f"{gz(values) / gz(full):.1%} gzipped (target ≤ 5 %)"
    )
    print(
        f"geometry document (once per level, ETag): {len(geometry):,} B ({gz(geometry):,} B gzipped)"
    )


if __name__ == "__main__":
    main()
