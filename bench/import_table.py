"""Issue #4: a 200,000-row long-format CSV is validated and imported in ≤ 30 s (2 cores).

Writes a CSV with 5,000 Musterstadt blocks × 4 indicators × 10 years (German
format: semicolon, decimal comma), then times `quartier import table` on it
(check + atomic commit as one import batch) and prints the figures.

Usage: python bench/import_table.py   (uses QUARTIER_DATA_DIR if it holds a demo)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _demo import demo_data_dir  # noqa: E402


def main() -> None:
    data_dir = demo_data_dir()
    env = {**os.environ, "QUARTIER_DATA_DIR": str(data_dir)}
    env.pop("QUARTIER_DATABASE_URL", None)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quartier.settings")
    import django

    django.setup()
    from quartier.spatial.models import Area

    codes = list(Area.objects.filter(level__key="baublock").values_list("code", flat=True))
    names = ["Bench Kita-Kinder", "Bench Schulanfänger", "Bench Pflegebedürftige", "Bench Wohngeld"]
    stamp = str(int(time.time()))
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "lang.csv"
        rows = 0
        with open(csv_path, "w", encoding="utf-8") as out:
            out.write("Baublock;Merkmal;Jahr;Anzahl\n")
            for year in range(2015, 2025):
                for n, name in enumerate(names):
                    for i, code in enumerate(codes):
                        out.write(
                            f"{code};{name} {stamp};{year};{(i * 7 + n * 13 + year) % 500},0\n"
                        )
                        rows += 1
        mapping = {
            "layout": "long",
            "key_column": "Baublock",
            "level": "baublock",
            "period_column": "Jahr",
            "indicator_columns": ["Merkmal"],
            "value_column": "Anzahl",
            "indicator_labels": {
                f"{name} {stamp}": f"bench_{n}_{stamp}" for n, name in enumerate(names)
            },
            "new_indicators": [
                {"key": f"bench_{n}_{stamp}", "name": f"{name} {stamp}"}
                for n, name in enumerate(names)
            ],
        }
        mapping_path = Path(tmp) / "mapping.json"
        mapping_path.write_text(json.dumps(mapping), encoding="utf-8")
        size = csv_path.stat().st_size
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "quartier",
                "import",
                "table",
                str(csv_path),
                "--mapping",
                str(mapping_path),
                "--accept-warnings",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
    print(result.stdout.strip().splitlines()[-1] if result.stdout else result.stderr)
    print(
        f"{rows:,} rows ({size / 1e6:.1f} MB) checked and imported in {elapsed:.1f} s "
        f"(target ≤ 30 s; cpus={os.cpu_count()})"
    )


if __name__ == "__main__":
    main()
