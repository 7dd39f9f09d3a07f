"""Issue #8 speed target for the REST API (server side, in process).

Prints the median time of ``/api/v1/values/`` for one indicator-period at the
Musterstadt block level (~5,000 rows in long format; target ≤ 20 ms), both
anonymous and with a personal token (Bearer), and the response size.

Usage: python bench/api_values.py   (uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import setup_django  # noqa: E402

INDICATORS = [
    "kinderarmut",
    "sgb2_quote",
    "ew_gesamt",
    "arbeitslosenquote",
    "anteil_u18",
    "anteil_migration",
    "durchschnittsalter",
    "wohnflaeche_je_ew",
]


def _timed(client, url: str, **headers) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = client.get(url, **headers)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, response.content


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.test import Client

    from quartier.access.models import User
    from quartier.access.tokens import create_token

    settings.ALLOWED_HOSTS.append("testserver")
    client = Client()
    url = "/api/v1/values/?level=baublock&period=2024-12-31&indicator={}"
    for key in INDICATORS:  # first touch fills the in-memory value cache
        _timed(client, url.format(key))
    analyst = User.objects.filter(role="analyst", is_active=True).first()
    token, secret = create_token(analyst, "bench")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    anonymous, with_token = [], []
    for _ in range(8):
        for key in INDICATORS:
            anonymous.append(_timed(client, url.format(key))[0])
            with_token.append(_timed(client, url.format(key), **bearer)[0])
    token.delete()
    _ms, body = _timed(client, url.format("kinderarmut"))

    def line(name: str, timings: list[float]) -> str:
        p90 = sorted(timings)[int(len(timings) * 0.9)]
        return (
            f"/api/v1/values/ block level, one indicator-period, {name}: "
            f"median {statistics.median(timings):.1f} ms, p90 {p90:.1f} ms "
            f"(n={len(timings)}; target ≤ 20 ms)"
        )

    print(line("anonymous", anonymous))
    print(line(f"token ({analyst.username})", with_token))
    rows = json.loads(body)["count"]
    print(f"response: {len(body):,} B for {rows:,} rows")


if __name__ == "__main__":
    main()
