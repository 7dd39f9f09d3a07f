"""Issue #17 speed targets for reports (server side, in process, Musterstadt).

- Steckbrief PDF of one Sozialraum ≤ 2 s: the first (cold process) and the median
  of the next ones, for the public and for an administrator (every indicator).
- All 225 Sozialräume ≤ 3 min on 2 cores: rendered by ``--workers`` processes
  (default 2), each with its own cold start, as a batch job would.
- A 40-page Sozialbericht ≤ 60 s: a new definition's chapters (one per Handlungsfeld,
  the key figures, maps and charts) at Sozialraum level, filled up with more indicators
  of those Handlungsfelder to ``--indicators`` (default 12: about 41 pages), as PDF and ODT.

Usage: python bench/reports.py [--workers N] [--all-limit K] [--indicators N]
       [--only steckbrief|batch|sozialbericht]
(uses QUARTIER_DATA_DIR if it holds a demo, else builds one)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import setup_django, use_demo  # noqa: E402

WARM = 5


def _render(codes: list[str], admin: bool) -> tuple[int, int, float]:
    """Render the Steckbriefe of ``codes``; (number, bytes, CPU seconds)."""
    setup_django()
    from django.contrib.auth.models import AnonymousUser
    from django.utils import translation

    from quartier.access.models import User
    from quartier.explorer.profile import find_area
    from quartier.reports.steckbrief import steckbrief

    user = User.objects.filter(is_superuser=True).first() if admin else AnonymousUser()
    cpu, size = time.process_time(), 0
    with translation.override("de"):
        for code in codes:
            size += len(steckbrief(user, find_area("sozialraum", code)).content)
    return len(codes), size, time.process_time() - cpu


def single(admin: bool) -> None:
    """First and warm Steckbrief of a Sozialraum in this process."""
    from quartier.spatial.models import Area

    codes = list(
        Area.objects.filter(level__key="sozialraum", valid_to__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)[: WARM + 1]
    )
    times = []
    for code in codes:
        started = time.perf_counter()
        _n, size, cpu = _render([code], admin)
        times.append((time.perf_counter() - started, cpu, size))
    warm = statistics.median(t for t, _c, _s in times[1:])
    warm_cpu = statistics.median(c for _t, c, _s in times[1:])
    print(
        f"{'admin' if admin else 'public':<7} first {times[0][0]:6.2f} s (cpu {times[0][1]:.2f})"
        f"   warm median {warm:5.2f} s (cpu {warm_cpu:.2f})   {times[-1][2] / 1024:.0f} KB"
    )


def batch(workers: int, limit: int | None) -> None:
    """Every Sozialraum as the administrator, split over ``workers`` processes."""
    from quartier.spatial.models import Area

    codes = list(
        Area.objects.filter(level__key="sozialraum", valid_to__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)
    )[:limit]
    parts = [codes[i::workers] for i in range(workers)]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        done = list(pool.map(_render, parts, [True] * workers))
    wall = time.perf_counter() - started
    count = sum(n for n, _s, _c in done)
    print(
        f"all {count} Sozialräume, {workers} processes: {wall:.1f} s wall "
        f"({wall / count:.2f} s each), {sum(s for _n, s, _c in done) / 2**20:.1f} MB, "
        f"cpu {sum(c for _n, _s, c in done):.1f} s   (target ≤ 180 s for 225)"
    )


def sozialbericht(indicators: int) -> None:
    """A Sozialbericht of ``indicators`` indicators at Sozialraum level (the default
    definition's key figures and more of their Handlungsfelder), as PDF and as ODT."""
    import io

    from django.utils import translation
    from pypdf import PdfReader

    from quartier.access.models import User
    from quartier.indicators import readlayer
    from quartier.reports.forms import default_chapters
    from quartier.reports.models import ReportDefinition
    from quartier.reports.sozialbericht import run

    admin = User.objects.filter(is_superuser=True).first()
    chapters = [{**c, "level": "sozialraum"} for c in default_chapters(admin)]
    # A new definition holds the key figures only (about 26 pages); more indicators of
    # the same Handlungsfelder, each with map, chart and table, make the 40 pages.
    extra = (i for i in readlayer.reader(admin).visible() if not i.key_figure)
    topics = {c["title"]: c for c in chapters}
    while sum(len(c["indicators"]) for c in chapters) < indicators:
        more = next(extra, None)
        if more is None:
            break
        chapter = topics.get(str(more.get_topic_display()))
        if chapter is not None:
            chapter["indicators"].append(more.key)
    definition = ReportDefinition(pk=0, title="Bench", chapters=chapters, created_by=admin)
    for fmt in ("pdf", "odt"):
        started, cpu = time.perf_counter(), time.process_time()
        with translation.override("de"):
            report = run(admin, definition, None, fmt)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        pages = len(PdfReader(io.BytesIO(report.content)).pages) if fmt == "pdf" else "–"
        print(
            f"Sozialbericht {fmt}: {wall:.1f} s wall (cpu {cpu:.1f}), {pages} pages, "
            f"{len(report.content) / 2**20:.1f} MB, {len(chapters)} chapters, "
            f"{sum(len(c['indicators']) for c in chapters)} indicators   (target ≤ 60 s for 40 pages)"
        )


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--all-limit", type=int, default=None)
    parser.add_argument("--only", choices=["steckbrief", "batch", "sozialbericht"])
    parser.add_argument("--indicators", type=int, default=12, help="of the Sozialbericht")
    args = parser.parse_args()
    use_demo()
    setup_django()
    if args.only in (None, "steckbrief"):
        for admin in (False, True):
            single(admin)
    if args.only in (None, "batch"):
        batch(args.workers, args.all_limit)
    if args.only in (None, "sozialbericht"):
        sozialbericht(args.indicators)


if __name__ == "__main__":
    main()
