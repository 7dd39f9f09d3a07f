"""Stored values read cold: row by row, row by row and packed, and from the packed rows.

Reads eight stored indicators (the parts of five map indicators) over all periods as a
cold process does (`quartier.indicators.store.stored` with an empty memory), three
times each way, and prints the medians: what `quartier.indicators.valuestore` saves a
new worker or a restarted server, and what the first read, which packs, costs more.

Usage: python bench/packed_values.py   (QUARTIER_DATA_DIR with a demo, or a fresh one;
QUARTIER_DATABASE_URL for PostgreSQL). Forgets the packed rows of that database.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _demo import setup_django  # noqa: E402

KEYS = ["sgb2_quote", "arbeitslosenquote", "anteil_u18", "kinderarmut", "ew_gesamt"]


def main() -> None:
    """Print the median cold read of each kind."""
    if os.environ.get("QUARTIER_DATABASE_URL"):  # a PostgreSQL database with a demo in it
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quartier.settings")
        import django

        django.setup()
    else:
        setup_django()  # the SQLite demo (built if QUARTIER_DATA_DIR holds none)
    from django.db import connection

    from quartier.indicators import datastate, store, valuestore
    from quartier.indicators.compute import stored_ids
    from quartier.indicators.models import Indicator, Value
    from quartier.spatial.index import area_index

    index = area_index()
    periods = sorted(set(Value.objects.values_list("period", flat=True).distinct()))
    ids = sorted({i for key in KEYS for i in stored_ids(Indicator.objects.get(key=key))})
    real_may_pack = store._may_pack

    def cold(packing: bool) -> float:
        store.clear()
        datastate._process["at"] = -1.0  # read the stamps again, as a new process
        store._may_pack = real_may_pack if packing else (lambda: False)
        started = time.perf_counter()
        store.stored(index, ids, periods)
        return (time.perf_counter() - started) * 1000

    times: dict[str, list[float]] = {"row by row": [], "row by row, then packed": [], "packed": []}
    for _ in range(3):
        valuestore.forget()
        times["row by row"].append(cold(False))
        times["row by row, then packed"].append(cold(True))
        times["packed"].append(cold(True))
    print(f"{connection.vendor}: {len(ids)} stored indicators × {len(periods)} periods, cold reads")
    for kind, values in times.items():
        print(f"  {kind:25} median {statistics.median(values):6.0f} ms")


if __name__ == "__main__":
    main()
