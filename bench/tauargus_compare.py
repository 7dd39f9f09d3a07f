"""Issue #12: τ-Argus (pytauargus with HiGHS) against Quartier's own protection, on Musterstadt.

The same tables are protected both ways and every result is audited by the
same LP attacker (:mod:`quartier.core.audit`, which knows every published cell,
every equation and that a hidden non-zero count is at least 1):

1. single counts over the area hierarchy (city → Stadtbezirk → Stadtteil →
   Sozialraum → block), one table each;
2. residents × their eight disjoint age groups over the hierarchy (two
   dimensions: total = Σ groups), as τ-Argus can express it. The full age family
   (under 15, under 18, 15–64 … overlap each other) is no hierarchy; τ-Argus can
   only take it as linked tables, which this engine does not offer.

The requirement is Quartier's: a small count v (1 ≤ v < Mindestfallzahl m) must
have a range reaching v + m − 1. For τ-Argus that is the upper protection level
m − 1 (lower 0) of a manually unsafe cell; zero cells are left out of its table
(zeros are published), costs are Quartier's own cost per cell (a COST column), so
both methods minimise the same thing. Printed per table and method: wall time,
hidden cells per level (share of cells with a value), cost, and the audit's
count of targets whose range is too narrow.

Usage: pip install pytauargus==0.6.0 && python bench/tauargus_compare.py
       (uses QUARTIER_DATA_DIR if it holds a demo; TAU_OPT_SECONDS caps OPT, default 300)
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _demo import setup_django  # noqa: E402

PERIOD = date(2024, 12, 31)
SINGLES = ("haushalte", "sgb2_u15", "arbeitslose")
AGE_TOTAL = "ew_gesamt"
SUPPRESSED = {3, 4, 5, 6, 7, 8, 9, 11, 12}
OPT_SECONDS = int(os.environ.get("TAU_OPT_SECONDS", "300"))


def problem(keys: list[str], sums=()):
    """Rows, values, targets, cost, reach and the structure of one table of ``keys``."""
    from quartier.core import protection
    from quartier.indicators import suppression
    from quartier.indicators.models import Indicator
    from quartier.spatial.index import area_index

    index = area_index()
    members = [Indicator.objects.get(key=k) for k in keys]
    levels = {lv.id: lv for m in members for lv in suppression.levels_of(index, m, PERIOD)}
    rows = suppression.build_rows(index, list(levels.values()), PERIOD)
    values = np.column_stack([rows.column(index, m, PERIOD) for m in members])
    minimum = np.array([m.min_count for m in members], dtype=np.float64)
    targets = (values >= 1) & (values < minimum)
    column = {k: i for i, k in enumerate(keys)}
    table = protection.Table(
        rows.parent, len(keys), tuple((column[t], tuple(column[p] for p in ps)) for t, ps in sums)
    )
    cost = rows.cost[:, None] * (1 + np.log1p(np.nan_to_num(values)) / 10)
    if sums:
        cost[:, 0] *= suppression.TOTAL_COST
    return rows, table, values, targets, cost, minimum


def ours(table, values, targets, cost, minimum) -> np.ndarray:
    """Quartier's protection (as in ``suppression.count_masks``)."""
    from quartier.core import protection

    floor = np.where(values >= 1, 1.0, 0.0)
    hidden, _moves = protection.protect(
        table,
        values,
        targets,
        reach=float(minimum.max()) - 1,
        floor=floor,
        cost=cost,
        hideable=~np.isnan(values),
    )
    return hidden


def write_hrc(path: Path, parent: np.ndarray, codes: list[str]) -> None:
    """τ-Argus hierarchy file: codes below the root, one '@' per level of depth."""
    children: dict[int, list[int]] = {}
    for row, up in enumerate(parent):
        children.setdefault(int(up), []).append(row)
    (root,) = children[-1]
    lines = []

    def walk(row: int, depth: int) -> None:
        for child in children.get(row, []):
            lines.append("@" * depth + codes[child])
            walk(child, depth + 1)

    walk(root, 0)
    path.write_text("\n".join(lines) + "\n")


def tau(table, values, targets, cost, minimum, method: str) -> tuple[np.ndarray, float]:
    """Hidden cells chosen by τ-Argus (``MOD`` or ``OPT``) and its wall time in seconds.

    A single count goes in as one dimension (areas), the age table as areas ×
    parts (the groups; its first column is their total).
    """
    from pytauargus.engine import run_batch

    rows, columns = values.shape
    (root,) = np.flatnonzero(table.parent < 0)
    width = len(str(rows))
    codes = [f"R{r:0{width}d}" for r in range(rows)]
    codes[root] = "Total"
    parts = [] if columns == 1 else ["Total", *(f"C{c}" for c in range(1, columns))]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_hrc(work / "area.hrc", table.parent, codes)
        lines = []
        for r, c in zip(*np.nonzero(np.nan_to_num(values) > 0), strict=True):
            # Zeros are published: they are not in the table.
            status, upper = ("U", f"{minimum[c] - 1:.0f}") if targets[r, c] else ("S", "")
            head = f"{codes[r]};{parts[c]}" if parts else codes[r]
            lines.append(f"{head};{values[r, c]:.0f};{cost[r, c]:.6f};{status};0;{upper}")
        (work / "cells.tab").write_text("\n".join(lines) + "\n")
        part = 'part "" ""\n  <RECODEABLE>\n  <TOTCODE> "Total"\n' if parts else ""
        (work / "cells.rda").write_text(
            '<SEPARATOR> ";"\n'
            'area "" ""\n  <RECODEABLE>\n  <TOTCODE> "Total"\n  <HIERARCHICAL>\n'
            '  <HIERCODELIST> "area.hrc"\n  <HIERLEADSTRING> "@"\n'
            f"{part}"
            'value "" ""\n  <NUMERIC>\n'
            'cost "" ""\n  <NUMERIC> <COSTVAR>\n'
            'status "" ""\n  <STATUS>\n'
            'lpl "" ""\n  <NUMERIC> <LOWERPL>\n'
            'upl "" ""\n  <NUMERIC> <UPPERPL>\n'
            '<SAFE> "S"\n<UNSAFE> "U"\n<PROTECT> "P"\n'
        )
        explanatory = '"area""part"' if parts else '"area"'
        suppress = f"MOD(1,{OPT_SECONDS},1,1,0)" if method == "MOD" else f"OPT(1,{OPT_SECONDS})"
        (work / "run.arb").write_text(
            '<OPENTABLEDATA> "cells.tab"\n<OPENMETADATA> "cells.rda"\n'
            f'<SPECIFYTABLE> {explanatory}|"value"||"cost"\n<SAFETYRULE>\n<READTABLE> 1\n'
            f'<SUPPRESS> {suppress}\n<WRITETABLE> (1,3,AS+,"out.txt")\n'
        )
        cwd = os.getcwd()
        os.chdir(work)  # the engine resolves the batch's file names here
        try:
            start = time.perf_counter()
            run_batch(work / "run.arb")
            seconds = time.perf_counter() - start
        finally:
            os.chdir(cwd)
        return read_status(work / "out.txt", codes, parts), seconds


def read_status(path: Path, codes, parts) -> np.ndarray:
    """Suppressed cells (primary or secondary) from τ-Argus' code-value output with status."""
    row_of = {c: i for i, c in enumerate(codes)}
    col_of = {p: i for i, p in enumerate(parts)}
    hidden = np.zeros((len(codes), max(len(parts), 1)), dtype=bool)
    for line in path.read_text().splitlines():
        fields = [f.strip().strip('"') for f in line.split(",")]
        if len(fields) < (4 if parts else 3):
            continue
        column = col_of[fields[1]] if parts else 0
        # Status codes of the engine: 3–9 primary unsafe, 11–12 secondary.
        hidden[row_of[fields[0]], column] = int(fields[-1]) in SUPPRESSED
    return hidden


class LeftVisible(Exception):
    """τ-Argus published small counts it was asked to protect."""


def too_narrow(table, values, targets, hidden, minimum, floor=1) -> int:
    """Targets whose range is too narrow for the LP attacker.

    ``floor`` is what the attacker knows of a hidden non-zero count: at least 1
    (zeros are published) or only at least 0.
    """
    from quartier.core import audit

    flat = lambda a: np.asarray(a).T.ravel()  # noqa: E731 - column-major like Table.cell
    present = ~np.isnan(values)
    shown = np.where(hidden, np.nan, values)
    system = audit.system(
        flat(shown), flat(present), table.groups(), flat(np.where(values >= 1, floor, 0))
    )
    cells = np.flatnonzero(flat(targets))
    visible = ~np.isin(cells, system.unknown)
    if visible.any():  # a small count left visible: no range at all
        raise LeftVisible(int(visible.sum()))
    need = np.broadcast_to(minimum, values.shape)
    return len(audit.audit(system, flat(values), cells, flat(need)[cells], flat(need - 1)[cells]))


def shares(rows, values, hidden) -> str:
    """Hidden share of cells with a value, per level (finest last)."""
    out = []
    for level in rows.levels:
        part = rows.slice(level.id)
        present = ~np.isnan(values[part])
        out.append(f"{level.key} {100 * hidden[part][present].mean():.1f} %")
    return ", ".join(out)


def isolated(function):
    """Run ``function`` in a forked process: a crash of the native engine becomes an error."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child():
        try:
            send.send(("ok", function()))
        except Exception as error:  # noqa: BLE001 - handed to the parent as a figure
            send.send(("error", f"{type(error).__name__}: {error}"))

    process = context.Process(target=child)
    process.start()
    send.close()  # the child's end only: a crash then ends the wait
    try:
        answer = receive.recv() if receive.poll(OPT_SECONDS * 3 + 60) else None
    except EOFError:
        answer = None
    process.join(5)
    if answer is None:
        process.kill()
        raise RuntimeError(f"engine process ended without an answer (exit code {process.exitcode})")
    if answer[0] == "error":
        raise RuntimeError(answer[1])
    return answer[1]


def report(label, rows, table, values, targets, cost, minimum, method, run) -> None:
    """Run one method on one table and print its figures."""
    try:
        hidden, seconds = run()
    except Exception as error:  # noqa: BLE001 - a failed engine is a figure too
        print(f"  {method:<8} failed: {error}")
        return
    try:
        leaks = too_narrow(table, values, targets, hidden, minimum)
        weak = too_narrow(table, values, targets, hidden, minimum, floor=0)
    except LeftVisible as error:
        print(f"  {method:<8} {seconds:7.2f} s  left {error} small counts visible")
        return
    print(
        f"  {method:<8} {seconds:7.2f} s  hidden {int(hidden.sum()):6,} "
        f"(cost {float(cost[hidden].sum()):,.0f})  too narrow {leaks:4} (≥ 0 only: {weak:4})"
        f"  | {shares(rows, values, hidden)}"
    )


def compare(label: str, keys: list[str], sums=()) -> None:
    """Protect one table with all three methods."""
    rows, table, values, targets, cost, minimum = problem(keys, sums)
    print(f"{label}: {values.size:,} cells, {int(targets.sum()):,} small (targets)")

    def timed_ours():
        start = time.perf_counter()
        hidden = ours(table, values, targets, cost, minimum)
        return hidden, time.perf_counter() - start

    args = (label, rows, table, values, targets, cost, minimum)
    report(*args, "Quartier", timed_ours)
    for method in ("MOD", "OPT"):
        run = lambda m=method: isolated(lambda: tau(table, values, targets, cost, minimum, m))  # noqa: E731
        report(*args, method, run)


def main() -> None:
    setup_django()
    from quartier.indicators.models import Indicator

    print(f"period {PERIOD}, OPT/MOD time limit {OPT_SECONDS} s")
    for key in SINGLES:
        compare(key, [key])
    total = Indicator.objects.get(key=AGE_TOTAL)
    parts = sorted(p.key for p in total.sum_of.all())
    compare(f"{AGE_TOTAL} × {len(parts)} age groups", [AGE_TOTAL, *parts], [(AGE_TOTAL, parts)])


if __name__ == "__main__":
    main()
