"""Issue #5: protecting one indicator-period across all levels of Musterstadt takes ≤ 200 ms.

For every count indicator of Musterstadt and three periods, the protection
(primary and secondary suppression over ~5,300 cells on five levels) is computed
from the in-memory values with an empty protection cache; prints median and
maximum, plus the number of hidden cells. Counts linked by sums ("Summe aus":
residents and their age groups) are protected together, as one table; their
figure — the whole family, as the first request for any member pays it — is
printed separately.

Usage: python bench/disclosure.py   (uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import setup_django  # noqa: E402


def main() -> None:
    setup_django()
    from quartier.indicators import disclosure, families, store
    from quartier.indicators.models import Indicator, Kind
    from quartier.spatial.index import area_index

    index = area_index()
    counts = list(Indicator.objects.filter(kind=Kind.COUNT))
    periods = [date(2014, 12, 31), date(2019, 12, 31), date(2024, 12, 31)]
    store.stored(index, [i.pk for i in counts], periods)  # values in memory, as in a server
    timings, hidden, cells = {False: [], True: []}, {False: [], True: []}, 0
    family_size = max(
        (len(families.family_of(i.pk).members) for i in counts if families.family_of(i.pk)),
        default=0,
    )
    for indicator in counts:
        family = families.family_of(indicator.pk)
        for period in periods:
            disclosure.clear()
            started = time.perf_counter()
            masks = disclosure.hidden_cells(index, indicator, period)
            timings[family is not None].append((time.perf_counter() - started) * 1000)
            hidden[family is not None].append(sum(int(m.sum()) for m in masks.values()))
            cells = sum(m.size for m in masks.values())
    for linked, label in ((False, "one count indicator-period"), (True, "a sum family-period")):
        if not timings[linked]:
            continue
        size = f" ({family_size} counts together)" if linked else ""
        print(
            f"protect {label}{size}, all levels ({cells:,} cells each): median "
            f"{statistics.median(timings[linked]):.1f} ms, max {max(timings[linked]):.1f} ms "
            f"over {len(timings[linked])} (target ≤ 200 ms); hidden cells of the asked count: "
            f"median {statistics.median(hidden[linked]):.0f}, max {max(hidden[linked])}"
        )


if __name__ == "__main__":
    main()
