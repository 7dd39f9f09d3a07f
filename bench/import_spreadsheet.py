"""Issue #14: a 1,000,000 × 5 XLSX is inspected in ≤ 20 s and imported in ≤ 60 s, ≤ 500 MB.

Writes an XLSX as a statistics office would send it — Baublock, Stichtag and three counts
(Einwohner, männlich, weiblich) for every Musterstadt block and month-end — then times
`quartier import inspect` and `quartier import table` (check + atomic commit) on it, each in
its own process, and prints wall time, CPU time and peak memory (RSS of the process and the
children it waited for).

Usage: python bench/import_spreadsheet.py [ROWS]   (default 1,000,000; uses
QUARTIER_DATA_DIR if it holds a demo)

Measured on 2 shared cores, SQLite, 1,000,000 rows: inspect 7.8 s / 277 MB, import 35.0 s /
443 MB peak RSS (before the sheet was read in parts and kept as numbered cells: 6.1 s /
476 MB and 31.6 s / 644 MB in the same conditions).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import demo_data_dir  # noqa: E402

_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Einwohner" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}
COLUMNS = ["Baublock", "Stichtag", "Einwohner", "männlich", "weiblich"]


def month_ends(count: int) -> list[str]:
    """``count`` month-ends back from 31.12.2024, oldest first, as German dates."""
    out, day = [], dt.date(2025, 1, 1)
    for _ in range(count):
        day = day - dt.timedelta(days=1)
        out.append(f"{day:%d.%m.%Y}")
        day = day.replace(day=1)
    return out[::-1]


def write_xlsx(path: Path, codes: list[str], rows: int) -> None:
    """The sheet written as XML directly (openpyxl needs minutes for a million rows)."""

    def text(value: str) -> str:
        return f'<c t="inlineStr"><is><t>{value}</t></is></c>'

    periods = month_ends(-(-rows // len(codes)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in _PARTS.items():
            zf.writestr(name, content)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            out.write(("<row>" + "".join(text(c) for c in COLUMNS) + "</row>").encode())
            written = 0
            for p, period in enumerate(periods):
                chunk = []
                for i, code in enumerate(codes[: rows - written]):
                    men, women = (i * 7 + p) % 400, (i * 11 + p) % 420
                    chunk.append(
                        f"<row>{text(code)}{text(period)}<c><v>{men + women}</v></c>"
                        f"<c><v>{men}</v></c><c><v>{women}</v></c></row>"
                    )
                written += len(chunk)
                out.write("".join(chunk).encode())
            out.write(b"</sheetData></worksheet>")


def measure(args: list[str], env: dict) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, last output line) of one quartier command."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "quartier", *args], env=env, stdout=out, stderr=out, text=True
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        lines = [line for line in out.read().splitlines() if line.strip()]
    if os.waitstatus_to_exitcode(status) != 0:  # figures of a failed command mean nothing
        print("\n".join(lines[-15:]))
        raise SystemExit(f"quartier {args[0]} {args[1]} failed: no figures")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, lines[-1] if lines else ""


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    data_dir = demo_data_dir()
    env = {**os.environ, "QUARTIER_DATA_DIR": str(data_dir)}
    env.pop("QUARTIER_DATABASE_URL", None)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quartier.settings")
    import django

    django.setup()
    from quartier.spatial.models import Area

    codes = sorted(Area.objects.filter(level__key="baublock").values_list("code", flat=True))
    stamp = str(int(time.time()))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "einwohner.xlsx"
        started = time.perf_counter()
        write_xlsx(path, codes, rows)
        print(
            f"wrote {rows:,} × 5 XLSX ({path.stat().st_size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        keys = {name: f"bench_{n}_{stamp}" for n, name in enumerate(COLUMNS[2:])}
        mapping = {
            "layout": "wide",
            "key_column": "Baublock",
            "level": "baublock",
            "period_column": "Stichtag",
            "columns": {name: key for name, key in keys.items()},
            "new_indicators": [
                {"key": key, "name": f"Bench {name} {stamp}", "unit": "Personen"}
                for name, key in keys.items()
            ],
        }
        mapping_path = Path(tmp) / "mapping.json"
        mapping_path.write_text(json.dumps(mapping), encoding="utf-8")
        load = os.getloadavg()[0]
        steps = [
            ("inspect", ["import", "inspect", str(path), "--output", str(Path(tmp) / "i.json")]),
            ("import", ["import", "table", str(path), "--mapping", str(mapping_path)]),
        ]
        for label, args in steps:
            if label == "import":
                args.append("--accept-warnings")
            wall, cpu, peak, last = measure(args, env)
            print(f"  {last[:160]}")
            print(
                f"{label:8s} {rows:,} rows: wall {wall:.1f} s, CPU {cpu:.1f} s, "
                f"peak RSS {peak:.0f} MB (load before {load:.2f}, cpus={os.cpu_count()})"
            )
            load = os.getloadavg()[0]
    print("targets (1,000,000 rows): inspect ≤ 20 s, import ≤ 60 s, peak ≤ 500 MB")


if __name__ == "__main__":
    main()
