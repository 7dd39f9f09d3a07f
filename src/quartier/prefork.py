"""Serving Quartier with several worker processes: gunicorn, started from ``quartier serve``.

One process is bound by the GIL (issue 15: 8 req/s for 50 users); gunicorn forks
``--workers`` processes from a master that has loaded the application once
(``preload_app``), each with a pool of threads (``gthread``). Everything a
request may see is either in the database or in per-process caches checked
against the data stamps (:mod:`quartier.indicators.datastate`), so any worker
may answer any request. Unix only (gunicorn forks); ``--workers 1`` uses waitress.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading

from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)

PRECOMPUTE_LOCK = "precompute.lock"  # in the data directory: one worker precomputes


class QuartierApplication(BaseApplication):
    """gunicorn run programmatically on a socket ``quartier serve`` has already bound."""

    def __init__(self, app, sock: socket.socket, workers: int, threads: int, data_dir) -> None:
        self.application = app
        self.sock = sock
        self.options = {
            "bind": [f"fd://{sock.fileno()}"],
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "preload_app": True,  # the application is in the master: imported once, forked
            # behind_proxy() decides which peer may name client, scheme and host; gunicorn
            # must trust nobody itself (its default trusts X-Forwarded-Proto from 127.0.0.1).
            "forwarded_allow_ips": "",
            "secure_scheme_headers": {},
            # A profile of a big city or a heavy request waiting for its slot takes a while;
            # a worker is killed only when it stops answering the master for this long.
            "timeout": 120,
            "graceful_timeout": 20,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "quartier",
            "post_fork": _post_fork(data_dir),
        }
        super().__init__()

    def load_config(self) -> None:
        """Apply :attr:`options` (no command line, no config file)."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """The WSGI application, loaded in the master before the workers are forked."""
        from django.db import connections

        # Nothing the master opened may be shared by the forked workers.
        connections.close_all()
        return self.application


def _post_fork(data_dir):
    def post_fork(server, worker) -> None:
        from quartier import warmup

        warmup.start(data_dir, precompute=False)
        threading.Thread(
            target=_precompute, args=(data_dir,), name="quartier-precompute", daemon=True
        ).start()

    return post_fork


def _precompute(data_dir) -> None:
    """One worker precomputes the protection masks (stored for all); the others wait.

    They wait for the lock, so a recycled or killed worker's duty passes on to another.
    """
    from quartier.files import open_lock_file
    from quartier.indicators import precompute

    lock = open_lock_file(os.path.join(data_dir, PRECOMPUTE_LOCK))  # held for life
    fcntl.flock(lock, fcntl.LOCK_EX)
    _held.append(lock)
    precompute.enable()


_held: list = []  # the open lock file, so that it is not closed (and unlocked) by the GC


def serve(app, sock: socket.socket, workers: int, threads: int, data_dir) -> None:
    """Serve ``app`` with ``workers`` processes of ``threads`` threads until interrupted."""
    QuartierApplication(app, sock, workers, threads, data_dir).run()
