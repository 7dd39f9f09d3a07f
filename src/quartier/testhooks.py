"""Pause points for fault-injection tests: hold still inside a transaction until killed.

Tests that kill ``quartier serve`` mid-write (tests/test_crash_recovery.py) start it with
``QUARTIER_TEST_PAUSE=<point>``. When the server reaches that point it says so on
standard output and sleeps, so the test can check that a transaction is open and send
SIGKILL exactly there — or, with ``QUARTIER_TEST_RESUME=<file>``, let it go on once
that file exists (two imports at the same time). This is not a setting: no
installation sets the variables, and then :func:`pause` costs one dictionary lookup.
"""

from __future__ import annotations

import os
import time

VARIABLE = "QUARTIER_TEST_PAUSE"
RESUME = "QUARTIER_TEST_RESUME"
ANNOUNCEMENT = "QUARTIER-TEST-PAUSE"  # the line a test waits for: "<ANNOUNCEMENT> <point>"


def pause(point: str) -> None:
    """Wait here (until killed or resumed, an hour at most) if a test asked for ``point``."""
    if os.environ.get(VARIABLE) != point:
        return
    print(f"{ANNOUNCEMENT} {point}", flush=True)
    resume = os.environ.get(RESUME)
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline and not (resume and os.path.exists(resume)):
        time.sleep(0.1)


WORKER_HEADER = "QUARTIER_TEST_WORKER_HEADER"


def worker_header(app):
    """``app``, answering with the serving process id if a test asked (several workers).

    ``X-Quartier-Worker`` lets a test see which worker process served a request;
    without ``QUARTIER_TEST_WORKER_HEADER=1`` the application is returned as it is.
    """
    if os.environ.get(WORKER_HEADER) != "1":
        return app

    def with_pid(environ, start_response):
        def start(status, headers, exc_info=None):
            pid = ("X-Quartier-Worker", str(os.getpid()))
            return start_response(status, [*headers, pid], exc_info)

        return app(environ, start)

    return with_pid
