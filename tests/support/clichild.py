"""One ``quartier`` command in a process forked from a warm parent (tests/clitools.py).

A new ``python -m quartier`` spends 1–2 s of CPU importing Django, numpy, pandas and
geopandas before it does anything; the suite runs such commands dozens of times per
database. tests/clitools.py forks them instead from a process that has imported those
libraries once (multiprocessing's fork server, which has run nothing else), so every
command still runs in a process of its own — own environment, own Django setup, own
database connections, its exit code and its output as the interpreter would give them
— minus the imports. Only the standard library is imported here: this module is
loaded in every such process.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback


def run(argv: list[str], env: dict[str, str], stdout_path: str, stderr_path: str) -> None:
    """Run ``python -m quartier ARGV`` in this (forked) process, output into the two files.

    multiprocessing ends the process as the interpreter would: the exit code of a
    SystemExit (``raise SystemExit(main())``), after joining non-daemon threads and
    flushing the streams. An uncaught exception prints its traceback, exit code 1.
    """
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, stdout_path), (2, stderr_path)):
        target = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    # New text streams on the redirected descriptors, encoded as the fork server's
    # own (a fresh interpreter started by the test run, like python -m quartier).
    out, err = sys.stdout, sys.stderr
    sys.stdout = open(1, "w", encoding=out.encoding, errors=out.errors, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding=err.encoding, errors=err.errors, closefd=False)  # noqa: SIM115
    sys.argv = ["quartier", *argv]
    try:
        runpy.run_module("quartier", run_name="__main__", alter_sys=True)
    except SystemExit:
        raise
    except BaseException:  # the interpreter's way: the traceback, exit code 1
        traceback.print_exc()
        raise SystemExit(1) from None
    finally:
        _close_connections()


def _close_connections() -> None:
    """Close Django's database connections, as the interpreter's exit would.

    PostgreSQL must see the session end before the test clones the database
    (CREATE DATABASE ... TEMPLATE refuses a database in use).
    """
    if "django.db" not in sys.modules:
        return
    from django.conf import settings
    from django.db import connections

    if settings.configured:  # else no connection was made
        connections.close_all()
