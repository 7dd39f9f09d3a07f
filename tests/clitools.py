"""Running the ``quartier`` command and its server as subprocesses in tests."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest


@contextmanager
def fresh_installation(path):
    """Environment for a fresh installation: own data dir and, on PostgreSQL, own database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")}
    env["QUARTIER_DATA_DIR"] = str(path / "data")
    # Servers of tests live for seconds: compiling esda (10-30 s CPU) would only slow the suite.
    env["QUARTIER_WARM_UP"] = "0"
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
    try:
        yield env
    finally:
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The small Musterstadt, built once per test run: (installation env, output of the build).
_small_demos: dict[str, tuple[dict, subprocess.CompletedProcess]] = {}
_small_demo_stack = ExitStack()
atexit.register(_small_demo_stack.close)


def small_demo(env: dict) -> subprocess.CompletedProcess:
    """``quartier demo --no-serve --small`` in the fresh installation ``env``, from a copy.

    The first call builds the small Musterstadt in an installation of its own with the
    production settings (about 15 s); every later call copies its data directory and,
    on PostgreSQL, clones its database (CREATE DATABASE ... TEMPLATE), which takes well
    under a second. The copy is the same installation: same accounts and passwords (the
    returned output of the build names them), same secret key. Its passwords are hashed
    as in production; tests/settings.py verifies those hashes too, so one build serves
    ``env`` with either settings module. Tests of the demo command itself run
    ``quartier("demo", ...)``.
    """
    if "built" not in _small_demos:
        where = Path(tempfile.mkdtemp(prefix="quartier-small-demo-"))
        _small_demo_stack.callback(shutil.rmtree, where, ignore_errors=True)
        template = _small_demo_stack.enter_context(fresh_installation(where))
        template["DJANGO_SETTINGS_MODULE"] = "quartier.settings"
        built = quartier("demo", "--no-serve", "--small", env=template)
        if built.returncode != 0:
            return built
        _small_demos["built"] = (template, built)
    template, built = _small_demos["built"]
    shutil.copytree(template["QUARTIER_DATA_DIR"], env["QUARTIER_DATA_DIR"], dirs_exist_ok=True)
    if "QUARTIER_DATABASE_URL" in env:
        import psycopg

        base, name = env["QUARTIER_DATABASE_URL"].rsplit("/", 1)
        original = template["QUARTIER_DATABASE_URL"].rsplit("/", 1)[1]
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{original}"')
    return built


@pytest.fixture
def cli_env(tmp_path):
    """A fresh installation for one test (see :func:`fresh_installation`)."""
    with fresh_installation(tmp_path) as env:
        yield env


# Forked commands (see tests/support/clichild.py) start from a process that has imported
# these once; QUARTIER_TEST_CLI_FORK=0 starts every command as a new interpreter instead.
FORK = os.environ.get("QUARTIER_TEST_CLI_FORK", "1") != "0" and os.name == "posix"
PRELOAD = [
    "numpy",
    "pandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "geopandas",
    "openpyxl",
    "django.db.models",
    "django.contrib.admin",
    "django.forms",
    "tests.support.clichild",
]
_fork_server = []


def _forking_context():
    if not _fork_server:
        import multiprocessing

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _fork_server.append(context)
    return _fork_server[0]


def quartier(*args, env, timeout=300, new_interpreter=False):
    """Run ``quartier ARGS`` in a process of its own and return the completed process.

    The process is forked from a warm parent (tests/support/clichild.py: the same
    command, environment, output and exit code, without 1-2 s of imports each);
    ``new_interpreter=True`` runs ``python -m quartier`` itself, for tests of that
    boundary.
    """
    argv = [str(arg) for arg in args]
    command = [sys.executable, "-m", "quartier", *argv]
    if new_interpreter or not FORK:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    from tests.support import clichild

    with tempfile.TemporaryDirectory(prefix="quartier-cli-") as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        out.touch()
        err.touch()
        process = _forking_context().Process(
            target=clichild.run, args=(argv, dict(env), str(out), str(err))
        )
        process.start()
        process.join(timeout)
        code = process.exitcode
        if code is None:
            process.kill()
            process.join()
        process.close()
        if code is None:
            raise subprocess.TimeoutExpired(command, timeout, out.read_text(), err.read_text())
        return subprocess.CompletedProcess(command, code, out.read_text(), err.read_text())


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(args, env, ready_pattern=r"läuft auf (http://\S+)", timeout=240):
    """Start ``quartier ARGS`` and yield (url, output so far) once it serves."""
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
    """GET a URL and return the body (asserting status 200)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read().decode()


def assert_one_line_error(result):
    """The command failed with exit code 2 and exactly one line on stderr (no traceback)."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]
