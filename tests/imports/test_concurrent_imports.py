"""Two imports of the same table at the same time, as two real ``quartier import table`` processes.

The first holds its transaction open at a pause point (:mod:`quartier.testhooks`)
until the test lets it go on; the second starts meanwhile. On PostgreSQL the test
waits until the second is really blocked by the first (a lock wait in
``pg_stat_activity``); on SQLite write transactions queue anyway. Then the first
commits, and the second must either keep the values it finds (same indicator) or
refuse with a clear German message (same new indicator) — never a constraint
violation, never anything half-written.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quartier.imports.tablemap import NewIndicator, TableMapping
from quartier.testhooks import ANNOUNCEMENT, RESUME, VARIABLE
from tests.clitools import small_demo
from tests.support.serverproc import query, uses_postgres

pytestmark = pytest.mark.slow
WAIT = 120  # seconds: a bound for a process that hangs, not a measurement


@pytest.fixture
def installation(cli_env):
    """A small Musterstadt in a fresh installation (production settings)."""
    env = {k: v for k, v in cli_env.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONUNBUFFERED"] = "1"
    built = small_demo(env)
    assert built.returncode == 0, built.stderr
    return env


def table_and_mapping(env, tmp_path, target: str | NewIndicator):
    codes = [
        row[0]
        for row in query(
            env,
            "SELECT DISTINCT a.code FROM spatial_area a JOIN spatial_level l"
            " ON a.level_id = l.id WHERE l.key = 'stadtteil' ORDER BY a.code",
        )
    ]
    table = tmp_path / "gleichzeitig.csv"
    table.write_text("schluessel;faelle\n" + "".join(f"{c};{i + 7}\n" for i, c in enumerate(codes)))
    new = [target] if isinstance(target, NewIndicator) else []
    key = target.key if new else target
    mapping = TableMapping(
        layout="wide",
        key_column="schluessel",
        level="stadtteil",
        period="2030-12-31",
        columns={"faelle": key},
        new_indicators=new,
    )
    path = tmp_path / "zuordnung.json"
    path.write_text(json.dumps(mapping.to_json()))
    return table, path, len(codes)


def start_import(env, table, mapping, extra=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "quartier", "import", "table", str(table)]
        + ["--mapping", str(mapping), "--accept-warnings"],
        env={**env, **(extra or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_blocked(env, second: subprocess.Popen) -> None:
    """PostgreSQL: until a session of the installation waits for a lock."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and second.poll() is None:
        if not uses_postgres(env):
            # SQLite shows no waiting session; its writers queue (BEGIN IMMEDIATE) and
            # sleep in the busy handler. A fixed pause of 3 s was too short on a slow
            # machine (the second import had not reached its transaction when the
            # first committed): wait until the second one uses no more CPU time.
            wait_until_idle(second.pid, deadline)
            return
        waiting = query(
            env,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'",
        )[0][0]
        if waiting:
            return
        time.sleep(0.1)
    out, err = second.communicate(timeout=WAIT) if second.poll() is not None else ("", "")
    raise AssertionError(f"the second import never waited for the first: {out} {err}")


def cpu_ticks(pid: int) -> int:
    """User and system CPU time of process ``pid`` so far, in clock ticks (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime and stime (fields 14 and 15)


def wait_until_idle(pid: int, deadline: float, still: float = 1.5) -> None:
    """Until process ``pid`` has used no CPU time for ``still`` seconds (it waits for a lock)."""
    last, since = cpu_ticks(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        ticks = cpu_ticks(pid)
        if ticks != last:
            last, since = ticks, time.monotonic()
        elif time.monotonic() - since >= still:
            return


def run_both(env, tmp_path, table, mapping):
    """The first import pauses in its transaction; the second starts; then the first goes on."""
    resume = tmp_path / "weiter"
    first = start_import(env, table, mapping, {VARIABLE: "import-commit", RESUME: str(resume)})
    second = None
    try:
        for line in first.stdout:
            if line.startswith(ANNOUNCEMENT):
                break
        else:
            raise AssertionError(f"the first import ended early: {first.stderr.read()}")
        second = start_import(env, table, mapping)
        wait_until_blocked(env, second)
        resume.touch()
        first_out, first_err = first.communicate(timeout=WAIT)
        assert first.returncode == 0, first_err
        return second.communicate(timeout=WAIT), second.returncode
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()


def test_two_imports_into_the_same_indicator_both_succeed(installation, tmp_path):
    env = installation
    table, mapping, areas = table_and_mapping(env, tmp_path, "ew_gesamt")
    (out, err), code = run_both(env, tmp_path, table, mapping)
    assert code == 0, err
    assert f"0 neue, 0 ersetzte, {areas} unveränderte Werte" in out
    stored = query(
        env,
        "SELECT count(*), count(DISTINCT v.area_id) FROM indicators_value v JOIN"
        " indicators_indicator i ON v.indicator_id = i.id"
        " WHERE i.key = 'ew_gesamt' AND v.period = '2030-12-31'",
    )
    assert stored == [(areas, areas)]


def test_two_imports_creating_the_same_indicator_one_explains_why_it_stopped(
    installation, tmp_path
):
    env = installation
    new = NewIndicator(key="gleichzeitig", name="Gleichzeitig", unit="Fälle", kind="count")
    table, mapping, areas = table_and_mapping(env, tmp_path, new)
    batches = query(env, "SELECT count(*) FROM indicators_importbatch")[0][0]
    (out, err), code = run_both(env, tmp_path, table, mapping)
    assert code == 2, (out, err)
    assert "Traceback" not in err
    assert "gleichzeitig laufender Import" in err
    assert query(env, "SELECT count(*) FROM indicators_indicator WHERE key = 'gleichzeitig'") == [
        (1,)
    ]
    assert query(env, "SELECT count(*) FROM indicators_importbatch")[0][0] == batches + 1
    stored = query(
        env,
        "SELECT count(*) FROM indicators_value v JOIN indicators_indicator i"
        " ON v.indicator_id = i.id WHERE i.key = 'gleichzeitig'",
    )
    assert stored == [(areas,)]
