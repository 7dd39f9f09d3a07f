"""Issue #15 target "profile page ≤ 100 ms warm" (server side, in process).

Prints, per level of Musterstadt, the time of the first profile page (cold
process: values read and computed) and the median of the next ones (warm: other
areas of the same level, as a user clicking through Sozialräume meets them), for
an anonymous visitor and for an administrator (who sees every indicator).

Usage: python bench/profiles.py   (uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import setup_django  # noqa: E402

LEVELS = ["stadtbezirk", "stadtteil", "sozialraum", "baublock"]
WARM = 12


def timed(client, url: str) -> tuple[float, float]:
    """Wall and CPU milliseconds for one GET (which must succeed).

    CPU time is printed beside the wall time because on a shared machine the
    wall time mostly measures the neighbours.
    """
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.test import Client

    from quartier.access.models import User
    from quartier.indicators import store
    from quartier.server import warm_up
    from quartier.spatial.models import Area

    settings.ALLOWED_HOSTS.append("testserver")
    warm_up()
    admin = Client()
    admin.force_login(User.objects.filter(is_superuser=True).first())
    print(f"{'level':<12} {'audience':<9} {'first ms (cpu)':>15} {'warm median ms (cpu)':>21}")
    for level in LEVELS:
        codes = list(
            Area.objects.filter(level__key=level, valid_to__isnull=True)
            .order_by("code")
            .values_list("code", flat=True)[: WARM + 1]
        )
        for audience, client in (("public", Client()), ("admin", admin)):
            store.clear()
            first = timed(client, f"/gebiete/{level}/{codes[0]}/")
            warm = [timed(client, f"/gebiete/{level}/{code}/") for code in codes[1:]]
            wall, cpu = (statistics.median(w[i] for w in warm) for i in (0, 1))
            print(
                f"{level:<12} {audience:<9} {first[0]:>8.0f} ({first[1]:>4.0f})"
                f" {wall:>14.0f} ({cpu:>4.0f})"
            )
    print("target: warm ≤ 100 ms")


if __name__ == "__main__":
    main()
