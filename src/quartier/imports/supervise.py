"""The import worker as a child of ``quartier serve``/``demo``: one command still runs everything.

The child is restarted when it dies and ends with its parent: Linux sends it SIGTERM
when the parent dies (also on kill -9), and the worker itself checks its parent's
process id between jobs.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings

log = logging.getLogger(__name__)
RESTART_AFTER = 2.0  # seconds between a worker's death and its restart
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the worker checks itself
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _command() -> list[str]:
    return [sys.executable, "-m", "quartier", "worker", "--parent-pid", str(os.getpid())]


def _supervise() -> None:
    # prctl's parent is the thread that forked: this thread lives as long as the process.
    while True:
        child = subprocess.Popen(_command(), preexec_fn=_die_with_parent)  # noqa: S603, PLW1509
        code = child.wait()
        log.warning("import worker ended (exit code %s): starting a new one", code)
        time.sleep(RESTART_AFTER)


def start_worker() -> bool:
    """Start the import worker as a child process unless QUARTIER_START_WORKER is off."""
    if not settings.QUARTIER.start_worker:
        return False
    threading.Thread(target=_supervise, name="quartier-worker-supervisor", daemon=True).start()
    return True
