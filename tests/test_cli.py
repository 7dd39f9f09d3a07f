"""The ``quartier`` command, run as a real subprocess against the suite's database backend."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def cli_env(tmp_path):
    """Environment for a fresh installation: own data dir and, on PostgreSQL, own database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")}
    env["QUARTIER_DATA_DIR"] = str(tmp_path / "data")
    url = os.environ.get("QUARTIER_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield env
        return
    import psycopg

    name = f"quartier_cli_{uuid.uuid4().hex[:10]}"
    base = url.rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["QUARTIER_DATABASE_URL"] = f"{base}/{name}"
    yield env
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def quartier(*args, env, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "quartier", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_one_line_error(result):
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@contextmanager
def running(args, env, ready_pattern=r"läuft auf (http://\S+)", timeout=240):
    proc = subprocess.Popen(
        [sys.executable, "-m", "quartier", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        output, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(
                    f"quartier ended early: {''.join(output)} {proc.stderr.read()}"
                )
            output.append(line)
            match = re.search(ready_pattern, line)
            if match:
                yield match.group(1), "".join(output)
                return
        raise AssertionError("server did not start in time")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read().decode()


def test_demo_builds_serves_and_lists_levels_indicators_periods(cli_env):
    """The README's first command: `quartier demo` builds Musterstadt and serves it."""
    port = free_port()
    with running(["demo", "--port", str(port)], cli_env) as (url, output):
        assert url == f"http://127.0.0.1:{port}/"
        assert re.search(r"Anmeldung: admin / \S{12,}", output)
        html = get(url)
    levels = re.findall(r'<tr><th scope="row">[^<]+</th><td class="num">', html)
    indicators = re.findall(r'<a href="/indikatoren/[^"]+/">', html)
    periods = re.findall(r'<time datetime="(\d{4})-12-31">', html)
    assert len(levels) >= 5
    assert len(indicators) >= 25
    assert periods == [str(y) for y in range(2014, 2025)]

    again = quartier("demo", "--no-serve", env=cli_env)
    assert again.returncode == 0 and "bereits vorhanden" in again.stdout
    assert "Anmeldung" not in again.stdout  # the password is printed only once


def test_serve_createadmin_batches_rollback(cli_env):
    built = quartier("demo", "--no-serve", "--small", env=cli_env)
    assert built.returncode == 0, built.stderr
    admin = quartier("createadmin", "--username", "chefin", env=cli_env)
    assert re.search(r"Passwort .*: \S{12,}", admin.stdout)
    dup = quartier("createadmin", "--username", "chefin", env=cli_env)
    assert "existiert bereits" in assert_one_line_error(dup)
    listing = quartier("batches", env=cli_env)
    assert "Musterstadt-Generator" in listing.stdout
    port = free_port()
    with running(["serve", "--port", str(port)], cli_env) as (url, _):
        assert "Musterstadt" in get(url)
        assert "Kinderarmut" in get(url + "indikatoren/kinderarmut/?ebene=stadtteil")
    rolled = quartier("rollback", "1", env=cli_env)
    assert rolled.returncode == 0 and "zurückgenommen" in rolled.stdout
    twice = quartier("rollback", "1", env=cli_env)
    assert "bereits zurückgenommen" in assert_one_line_error(twice)


def test_wrong_database_url(cli_env):
    cli_env["QUARTIER_DATABASE_URL"] = "mysql://root@localhost/quartier"
    assert "QUARTIER_DATABASE_URL" in assert_one_line_error(quartier("migrate", env=cli_env))


def test_unreachable_database(cli_env):
    cli_env["QUARTIER_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{free_port()}/quartier"
    message = assert_one_line_error(quartier("migrate", env=cli_env))
    assert "nicht erreichbar" in message


def test_port_in_use(cli_env):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        result = quartier("serve", "--port", str(port), env=cli_env)
        assert "belegt" in assert_one_line_error(result)
        result = quartier("demo", "--port", str(port), env=cli_env)
        assert "belegt" in assert_one_line_error(result)


def test_data_dir_not_writable(cli_env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cli_env["QUARTIER_DATA_DIR"] = str(blocker / "data")
    assert "QUARTIER_DATA_DIR" in assert_one_line_error(quartier("demo", "--no-serve", env=cli_env))
