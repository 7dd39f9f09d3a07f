"""``quartier import …`` as a real subprocess on a fresh installation (SQLite or PostgreSQL)."""

import json
import re
from pathlib import Path

import pytest

from tests.clitools import quartier

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LOR = DATA / "berlin-lor-2021-geometrien"
KOELN = DATA / "koeln-stadtteile-2012"


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_berlin_levels_and_mss_through_the_cli(cli_env, tmp_path):
    ok(quartier("migrate", env=cli_env))
    out = ok(
        quartier(
            "import",
            "geometry",
            *sorted(LOR.glob("lor_prognoseraeume_2021.*")),
            "--level",
            "prognoseraum",
            "--name",
            "Prognoseraum",
            env=cli_env,
        )
    )
    assert "58 neu" in out
    out = ok(
        quartier(
            "import",
            "geometry",
            *sorted(LOR.glob("lor_bezirksregionen_2021.*")),
            "--level",
            "bezirksregion",
            "--name",
            "Bezirksregion",
            "--parent",
            "prognoseraum",
            env=cli_env,
        )
    )
    assert "143 mit übergeordnetem Gebiet" in out
    out = ok(
        quartier(
            "import",
            "geometry",
            *sorted(LOR.glob("lor_planungsraeume_2021.*")),
            "--level",
            "planungsraum",
            "--name",
            "Planungsraum",
            "--parent",
            "bezirksregion",
            env=cli_env,
        )
    )
    assert "542 neu" in out and "542 mit übergeordnetem Gebiet" in out
    assert "Nicht vollständig" not in out

    inspect = ok(
        quartier(
            "import",
            "inspect",
            DATA / "berlin-mss-2021" / "mss_2021_index_indikatoren.csv",
            env=cli_env,
        )
    )
    mapping = json.loads(inspect)  # stdout is the mapping alone: `inspect FILE > m.json` works
    assert mapping["key_column"] == "PLR_ID" and mapping["level"] == "planungsraum"
    columns = ["S1", "S3", "S4", "D1", "D3", "D4"]
    mapping["columns"] = {c: f"mss_{c.lower()}" for c in columns}
    mapping["new_indicators"] = [
        {
            "key": f"mss_{c.lower()}",
            "name": c,
            "kind": "other",
            "unit": "%" if c[0] == "S" else "Prozentpunkte",
        }
        for c in columns
    ]
    mapping["period_column"] = "ZEIT"
    path = tmp_path / "mss.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    csv = DATA / "berlin-mss-2021" / "mss_2021_index_indikatoren.csv"
    dry = ok(quartier("import", "table", csv, "--mapping", path, "--dry-run", env=cli_env))
    assert "Probelauf" in dry and "−9999" in dry
    refused = quartier("import", "table", csv, "--mapping", path, env=cli_env)
    assert refused.returncode == 1 and "--accept-warnings" in refused.stdout
    out = ok(quartier("import", "table", csv, "--mapping", path, "--accept-warnings", env=cli_env))
    batch = re.search(r"Importlauf (\d+): (\d+) neue", out)
    assert int(batch.group(2)) == 6 * 536  # 542 Planungsräume minus 6 with −9999
    # the MSS preset in one command; the six "ungültig" Planungsräume take no part
    # no residents column in this file: the minimum of 300 residents is switched off
    args = [f"--{c.lower()}=mss_{c.lower()}" for c in columns] + ["--min-residents=0"]
    out = ok(
        quartier(
            "analyse",
            "mss",
            "--level",
            "planungsraum",
            "--period",
            "2020-12-31",
            *args,
            env=cli_env,
        )
    )
    counts = dict(re.findall(r"(\d[+/-]+): (\d+)", out))
    assert len(counts) == 12 and sum(map(int, counts.values())) == 536
    assert "mss_mss_gesamt" in out
    out = ok(quartier("rollback", batch.group(1), env=cli_env))
    assert f"{6 * 536} Werte entfernt" in out

    population = (
        DATA / "berlin-einwohner-plr-2024" / "berlin-lor-population-2024-02-t2-planning-areas.csv"
    )
    inspect = ok(quartier("import", "inspect", population, env=cli_env))
    mapping = json.loads(inspect)
    assert "inhabitants" in mapping["columns"] and "district_id" not in mapping["columns"]
    mapping["period"] = "31.12.2024"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    out = ok(
        quartier("import", "table", population, "--mapping", path, "--accept-warnings", env=cli_env)
    )
    assert re.search(r"Importlauf \d+: 11924 neue", out)  # 542 × 22 columns
    assert "[ 30 %] Werte werden geprüft" in out and "[ 60 %] 11924 Werte" in out  # progress
    # the next nights: the same mapping, the same file — nothing changes, and it says so
    batches = ok(quartier("batches", env=cli_env))
    for _night in range(2):
        out = ok(
            quartier(
                "import", "table", population, "--mapping", path, "--accept-warnings", env=cli_env
            )
        )
        assert "0 Werte geändert: alle 11924 Werte" in out and "kein Importlauf" in out
    assert ok(quartier("batches", env=cli_env)) == batches  # no empty batches listed


def test_koeln_through_the_cli(cli_env, tmp_path):
    ok(quartier("migrate", env=cli_env))
    out = ok(
        quartier(
            "import",
            "geometry",
            *sorted(KOELN.glob("Stadtteil.*")),
            "--level",
            "stadtteil",
            "--name",
            "Stadtteil",
            env=cli_env,
        )
    )
    assert "86 neu" in out and "Marienburg" in out and "repariert" in out
    assert "kein" in out and "EPSG" in out  # custom projection, no EPSG code
    table = KOELN / "bevoelkerung_stadtteile_2005-2012.csv"
    inspect = ok(quartier("import", "inspect", table, env=cli_env))
    mapping = json.loads(inspect[inspect.index("{") :])
    assert mapping["layout"] == "long" and mapping["indicator_columns"] == ["tabelle", "zeile"]
    mapping["level"] = "stadtteil"
    path = tmp_path / "koeln.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    out = ok(
        quartier("import", "table", table, "--mapping", path, "--accept-warnings", env=cli_env)
    )
    assert "„000“" in out  # the city total has no area at this level
    assert re.search(r"Importlauf \d+: \d+ neue", out)


def test_bad_files_through_the_cli(cli_env, tmp_path):
    ok(quartier("migrate", env=cli_env))
    broken = tmp_path / "kaputt.zip"
    broken.write_bytes(b"PK\x03\x04 nope")
    result = quartier("import", "geometry", broken, "--level", "x", env=cli_env)
    assert result.returncode == 2 and "beschädigt" in result.stderr
    assert "Traceback" not in result.stderr
    binary = tmp_path / "daten.csv"
    binary.write_bytes(bytes(range(256)) * 10)
    mapping = tmp_path / "m.json"
    mapping.write_text('{"layout": "wide", "key_column": "a"}', encoding="utf-8")
    result = quartier("import", "table", binary, "--mapping", mapping, env=cli_env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
