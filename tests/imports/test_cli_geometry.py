"""``quartier import geometry`` with unusual real files, as a nightly job runs it (issue 14).

Integer codes get their leading zeros back and the command says so; a level read in the
wrong coordinate system is refused (exit 2, nothing stored) with the one that fits named;
no output reads "None".
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.clitools import free_port, get, quartier, running
from tests.imports.test_codewidth import integer_copy

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LOR = DATA / "berlin-lor-2021-geometrien"
KOELN = DATA / "koeln-stadtteile-2012"


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def without_prj(folder: Path, source: Path, stem: str) -> list[Path]:
    folder.mkdir()
    for part in source.parent.glob(f"{source.name}.*"):
        if part.suffix.lower() != ".prj":
            shutil.copyfile(part, folder / f"{stem}{part.suffix}")
    return sorted(folder.iterdir())


def test_integer_codes_wrong_crs_and_no_none(cli_env, tmp_path):
    ok(quartier("migrate", env=cli_env))
    pgr = sorted(LOR.glob("lor_prognoseraeume_2021.*"))
    ok(quartier("import", "geometry", *pgr, "--level", "prognoseraum", env=cli_env))

    gpkg = integer_copy(tmp_path, "bezirksregionen.gpkg", "EPSG:3035")
    args = ["--level", "bezirksregion", "--name", "Bezirksregion", "--parent", "prognoseraum"]
    out = ok(quartier("import", "geometry", gpkg, *args, env=cli_env))
    assert "speichert die Codes als Zahlen (5 Stellen: 109, 6 Stellen: 34)" in out
    assert "109 von 143 Codes wurden mit führenden Nullen auf 6 Stellen ergänzt" in out
    assert "143 neu" in out and "143 mit übergeordnetem Gebiet" in out
    again = ok(quartier("import", "geometry", gpkg, *args, env=cli_env))  # the next night
    assert "0 neu" in again and "143 unverändert" in again

    # Planungsräume without .prj, read as EPSG:25832 instead of Berlin's EPSG:25833.
    plr = without_prj(tmp_path / "plr", LOR / "lor_planungsraeume_2021", "plr")
    args = ["--level", "planungsraum", "--parent", "bezirksregion"]
    refused = quartier("import", "geometry", *plr, *args, "--crs", "EPSG:25832", env=cli_env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "Nichts wurde gespeichert" in refused.stderr
    assert "--crs EPSG:25833" in refused.stderr and "--ignore-location" in refused.stderr
    assert "Achtung: Die Gebiete liegen nicht im Bereich" in refused.stdout
    assert "km westlich davon" in refused.stdout
    out = ok(quartier("import", "geometry", *plr, *args, "--crs", "EPSG:25833", env=cli_env))
    assert "542 neu" in out and "542 mit übergeordnetem Gebiet" in out

    # Köln beside Berlin on purpose: outside every parent, and the text says so.
    koeln = sorted(KOELN.glob("Stadtbezirk.*"))
    args = ["--level", "koeln", "--parent", "prognoseraum", "--dry-run", "--ignore-location"]
    out = ok(quartier("import", "geometry", *koeln, *args, env=cli_env))
    assert "1 Innenstadt: liegt in keinem Gebiet der übergeordneten Ebene" in out
    assert "None" not in out

    with running(["serve", "--port", str(free_port())], cli_env) as (url, _out):
        body = get(url.rstrip("/") + "/api/v1/areas/bezirksregion/011001/")
    assert '"011001"' in body


def test_first_import_outside_germany_is_refused(cli_env, tmp_path):
    ok(quartier("migrate", env=cli_env))
    # Köln's own projection has a false easting of 2,000 km: read as EPSG:25832, it lies in Ukraine.
    bezirke = without_prj(tmp_path / "koeln", KOELN / "Stadtbezirk", "bezirke")
    result = quartier(
        "import", "geometry", *bezirke, "--level", "bezirk", "--crs", "EPSG:25832", env=cli_env
    )
    assert result.returncode == 2 and "nicht im Bereich Deutschlands" in result.stderr
    assert "None" not in result.stdout + result.stderr
    levels = ok(quartier("import", "geometry", *sorted(KOELN.glob("Stadtbezirk.*")),
                         "--level", "bezirk", env=cli_env))  # fmt: skip
    assert "9 neu" in levels and "im Bereich Deutschlands" in levels
