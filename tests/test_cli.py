"""The ``quartier`` command, run as a real subprocess against the suite's database backend.

The failures a user can cause end with one line and exit code 2: those tests start
``python -m quartier`` itself (new_interpreter=True); the others fork the command
from a warm process (tests/clitools.py), which is the same process boundary.
"""

from __future__ import annotations

import re
import socket

import pytest

from tests.clitools import (
    assert_one_line_error,
    free_port,
    get,
    quartier,
    running,
    small_demo,
)

pytestmark = pytest.mark.slow


def test_demo_builds_serves_and_lists_levels_indicators_periods(cli_env):
    """The README's first command: `quartier demo` builds Musterstadt and serves it."""
    port = free_port()
    with running(["demo", "--port", str(port)], cli_env) as (url, output):
        assert url == f"http://127.0.0.1:{port}/"
        assert re.search(r"Anmeldung: admin / \S{12,}", output)
        html = get(url)
        # Issue 19: one open procedure to take part in, one finished with its results.
        assert "2 Beteiligungsverfahren" in output
        listed = get(url + "beteiligung/")
        assert "/beteiligung/wo-spielst-du-gern/" in listed
        results = get(url + "beteiligung/sichere-schulwege/ergebnisse/")
        assert "Was entschieden wurde" in results and 'id="anzahlen"' in results
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
    built = small_demo(cli_env)
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
    assert "QUARTIER_DATABASE_URL" in assert_one_line_error(
        quartier("migrate", env=cli_env, new_interpreter=True)
    )


def test_unreachable_database(cli_env):
    cli_env["QUARTIER_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{free_port()}/quartier"
    message = assert_one_line_error(quartier("migrate", env=cli_env, new_interpreter=True))
    assert "nicht erreichbar" in message


def test_port_in_use(cli_env):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        result = quartier("serve", "--port", str(port), env=cli_env, new_interpreter=True)
        assert "belegt" in assert_one_line_error(result)
        result = quartier("demo", "--port", str(port), env=cli_env, new_interpreter=True)
        assert "belegt" in assert_one_line_error(result)


def test_data_dir_not_writable(cli_env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cli_env["QUARTIER_DATA_DIR"] = str(blocker / "data")
    result = quartier("demo", "--no-serve", env=cli_env, new_interpreter=True)
    assert "QUARTIER_DATA_DIR" in assert_one_line_error(result)
