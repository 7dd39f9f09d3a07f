"""Pause points for fault-injection tests: hold still inside a transaction until killed.

Tests that kill ``quartier serve`` mid-write (tests/test_crash_recovery.py) start it with
``QUARTIER_TEST_PAUSE=<point>``. When the server reaches that point it says so on
standard output and sleeps, so the test can check that a transaction is open and send
SIGKILL exactly there. This is not a setting: no installation sets the variable, and
then :func:`pause` costs one dictionary lookup.
"""

from __future__ import annotations

import os
import time

VARIABLE = "QUARTIER_TEST_PAUSE"
ANNOUNCEMENT = "QUARTIER-TEST-PAUSE"  # the line a test waits for: "<ANNOUNCEMENT> <point>"


def pause(point: str) -> None:
    """Sleep here (for an hour) if the fault-injection test asked for ``point``."""
    if os.environ.get(VARIABLE) != point:
        return
    print(f"{ANNOUNCEMENT} {point}", flush=True)
    time.sleep(3600)
