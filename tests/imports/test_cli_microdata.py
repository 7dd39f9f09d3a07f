"""``quartier import microdata|register`` as a nightly job would run them, in a subprocess.

A small Musterstadt is built; its block geometries come out through
``quartier export`` (as a GIS user would get them), records are placed inside
known blocks, and the counts are read back through ``quartier export`` with the
rights of the owning unit's account.
"""

from __future__ import annotations

import csv
import re

import pyogrio
import pytest

from tests.clitools import assert_one_line_error, fresh_installation, quartier, small_demo

pytestmark = pytest.mark.slow


def ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def write_csv(path, header, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)


def german(number: float) -> str:
    return f"{number:.2f}".replace(".", ",")


def exported_counts(cli_env, tmp_path, key: str, user: str | None) -> dict[str, str]:
    """Block code → the exported cell, as the account sees it (international CSV, wide)."""
    target = tmp_path / f"{key}-{user}.csv"
    args = ["export", "--indicator", key, "--level", "baublock", "--format", "csv"]
    args += ["--output", str(target)] + (["--user", user] if user else [])
    ok(quartier(*args, env=cli_env))
    with open(target, encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    value = next(k for k in rows[0] if k.startswith(key))
    # Metadata follow the values after an empty line.
    return {row["Schlüssel"]: row[value] for row in rows if row["Ebene"] == "baublock"}


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """A small Musterstadt and three of its blocks with points inside (EPSG:25832)."""
    tmp = tmp_path_factory.mktemp("microdata-cli")
    with fresh_installation(tmp) as env:
        yield build_town(env, tmp)


def build_town(env, tmp):
    ok(small_demo(env))
    gpkg = tmp / "bloecke.gpkg"
    ok(
        quartier(
            "export", "--indicator", "ew_gesamt", "--level", "baublock", "--format", "gpkg",
            "--output", str(gpkg), env=env,
        )
    )  # fmt: skip
    blocks = pyogrio.read_dataframe(gpkg, layer="baublock").to_crs("EPSG:25832")
    blocks = blocks.sort_values("schluessel").reset_index(drop=True)
    picked = {}
    for row in blocks.iloc[[3, 10, 20]].itertuples():
        point = row.geometry.representative_point()
        picked[row.schluessel] = (point.x, point.y)
    return env, tmp, picked


def test_points_are_counted_per_block_with_the_units_rights(town, tmp_path):
    env, _tmp, picked = town
    (a, (ax, ay)), (b, (bx, by)), _c = picked.items()
    rows = [[german(ax), german(ay), "U3"]] * 4 + [[german(ax), german(ay), "Ü3"]]
    rows += [[german(bx), german(by), "Ü3"]] * 3
    rows += [["100000,00", "100000,00", "U3"], ["", "", "U3"]]  # far outside; no coordinates
    records = tmp_path / "warteliste.csv"
    write_csv(records, ["rechtswert", "hochwert", "alter"], rows)
    args = ["import", "microdata", str(records), "--period", "2025", "--x", "rechtswert"]
    args += ["--y", "hochwert", "--category", "alter", "--name", "Kita-Warteliste"]

    dry = ok(quartier(*args, "--user", "jugendamt", "--dry-run", env=env))
    assert "10 Fälle gelesen, 8 in der Ebene baublock zugeordnet, 2 nicht" in dry
    assert "Außerhalb aller Gebiete: 1\n  - Zeile 10" in dry and "Probelauf" in dry
    assert "Kita-Warteliste" not in ok(quartier("batches", env=env))

    out = ok(quartier(*args, "--user", "jugendamt", env=env))
    keys = re.findall(r"^  (\S+): Kita-Warteliste", out, re.M)
    assert len(keys) == 3, out  # the total and one count per age group
    assert out.count("eingeschränkt, Jugendamt)") == 3, out
    total = keys[0]
    counts = exported_counts(env, tmp_path, total, "jugendamt")
    assert float(counts[a]) == 5 and float(counts[b]) == 3
    assert sum(float(v) for v in counts.values() if v not in ("", ".")) == 8
    # The records' file is read where it lies; nothing of it is kept.
    assert records.exists()
    # A new count belongs to the account's unit and is restricted to it.
    refused = quartier("export", "--indicator", total, "--level", "baublock", env=env)
    assert total in assert_one_line_error(refused)


def test_addresses_through_the_register(town, tmp_path):
    env, _tmp, picked = town
    (_a, (ax, ay)), (_b, _), (c, (cx, cy)) = picked.items()
    register = tmp_path / "hauskoordinaten.csv"
    write_csv(
        register,
        ["strasse", "hausnummer", "zusatz", "plz", "rechtswert", "hochwert"],
        [
            ["Lindenstraße", "4", "", "44135", german(ax), german(ay)],
            ["Am Markt", "12", "a", "44135", german(cx), german(cy)],
        ],
    )
    assert "2 Adressen übernommen" in ok(
        quartier("import", "register", str(register), "--crs", "EPSG:25832", env=env)
    )
    records = tmp_path / "faelle.csv"
    write_csv(
        records,
        ["str", "nr", "plz"],
        [
            ["Lindenstr.", "4", "44135"],
            ["Am Markt", "12 A", "44135"],
            ["am markt", "12a", ""],
            ["AM MARKT", "12a", "44135"],
            ["Nirgendweg", "1", "44135"],
        ],
    )
    out = ok(
        quartier(
            "import", "microdata", str(records), "--period", "31.12.2025", "--street", "str",
            "--number", "nr", "--postcode", "plz", "--name", "Hilfefälle", "--user", "jugendamt",
            env=env,
        )
    )  # fmt: skip
    assert "5 Fälle gelesen, 4 in der Ebene baublock zugeordnet, 1 nicht" in out
    assert "Adresse nicht gefunden: 1\n  - Zeile 6: Nirgendweg 1" in out
    key = re.search(r"^  (\S+): Hilfefälle", out, re.M).group(1)
    counts = exported_counts(env, tmp_path, key, "jugendamt")
    assert float(counts[c]) == 3


def test_wrong_use_gets_one_line(town, tmp_path):
    env, _tmp, _picked = town
    records = tmp_path / "x.csv"
    write_csv(records, ["x", "y"], [["1", "2"]])
    base = ["import", "microdata", str(records), "--period", "2025", "--name", "X"]
    assert "--street" in assert_one_line_error(quartier(*base, env=env))
    both = quartier(*base, "--x", "x", "--y", "y", "--street", "x", "--number", "y", env=env)
    assert "--street" in assert_one_line_error(both)
    stranger = quartier(*base, "--x", "x", "--y", "y", "--user", "niemand", env=env)
    assert "niemand" in assert_one_line_error(stranger)
    foreign = quartier(*base[:-2], "--indicator", "ew_gesamt", "--x", "x", "--y", "y",
                       "--user", "jugendamt", env=env)  # fmt: skip
    assert "ew_gesamt" in assert_one_line_error(foreign)
    assert "Datei" in assert_one_line_error(quartier(*base[:2], "fehlt.csv", *base[3:], env=env))
