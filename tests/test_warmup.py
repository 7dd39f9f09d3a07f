"""A server process warms up without making requests wait (issue 15, point 3).

What the first map needs is loaded before connections are accepted (and kept in
numba's disk cache); what only analyses need compiles once the process is idle,
one process at a time. No timings are asserted: the tests check the order of events.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from quartier import warmup


def _serving(app_body):
    """A tracked WSGI application whose request runs ``app_body``."""

    def app(environ, start_response):
        app_body()
        start_response("200 OK", [])
        return [b""]

    return warmup.track(app)


def _request(app) -> None:
    app({}, lambda *args: None)


def test_a_process_is_busy_while_a_request_runs_and_idle_after_it():
    seen = []
    _request(_serving(lambda: seen.append(warmup.idle(quiet=0))))
    assert seen == [False]
    assert warmup.idle(quiet=0)
    assert not warmup.idle(quiet=3600)  # a request ended just now


def test_the_warm_up_waits_while_a_request_runs():
    ran = []
    waiting = []

    def during_the_request():
        thread = threading.Thread(target=warmup.when_idle, args=(lambda: ran.append(1), 0))
        thread.start()
        thread.join(0.5)  # it has had time to start compiling, but must not
        waiting.append((thread.is_alive(), list(ran)))
        return thread

    threads = []
    _request(_serving(lambda: threads.append(during_the_request())))
    threads[0].join(60)
    assert waiting == [(True, [])]  # nothing ran while the request was being answered
    assert ran == [1]  # and it ran once the request was done


def test_a_failing_warm_up_does_not_raise(caplog):
    def broken():
        raise RuntimeError("no compiler")

    warmup.when_idle(broken, quiet=0)
    assert "warm-up failed" in caplog.text


@pytest.mark.skipif(warmup.fcntl is None, reason="file locks need a Unix system")
def test_processes_take_turns_compiling(tmp_path):
    lock = tmp_path / warmup.WARM_UP_LOCK
    go, first_started, order = threading.Event(), threading.Event(), []

    def first():
        first_started.set()
        order.append("first")
        go.wait(60)
        order.append("first done")

    one = threading.Thread(target=warmup.in_turn(first, lock))
    one.start()
    first_started.wait(60)
    two = threading.Thread(target=warmup.in_turn(lambda: order.append("second"), lock))
    two.start()
    two.join(0.5)
    assert two.is_alive() and order == ["first"]  # the second waits for the lock
    go.set()
    one.join(60)
    two.join(60)
    assert order == ["first", "first done", "second"]


CACHE_PROBE = """
import json
from quartier.core import jitcache
jitcache.mapclassify()
from mapclassify.classifiers import _fisher_jenks_means as kernel
print(json.dumps([sum(kernel.stats.cache_hits.values()), sum(kernel.stats.cache_misses.values())]))
"""


@pytest.mark.slow
def test_mapclassify_is_compiled_once_and_then_loaded_from_disk():
    def probe():
        done = subprocess.run(
            [sys.executable, "-c", CACHE_PROBE], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.splitlines()[-1])

    probe()  # compiles and stores the kernel, unless an earlier process did
    hits, misses = probe()
    assert hits >= 1 and misses == 0  # the next process loads the machine code


@pytest.mark.parametrize("setting, compiles", [("1", True), ("0", False)])
def test_quartier_warm_up_0_leaves_the_compiling_out(
    monkeypatch, settings, tmp_path, setting, compiles
):
    from dataclasses import replace

    from quartier.config import load_config

    config = load_config({"QUARTIER_DATA_DIR": str(tmp_path), "QUARTIER_WARM_UP": setting})
    assert config.warm_up is compiles
    settings.QUARTIER = replace(settings.QUARTIER, warm_up=config.warm_up)
    started = []
    monkeypatch.setattr(warmup.threading, "Thread", lambda **kw: started.append(kw) or _NoThread())
    warmup.start(tmp_path, precompute=False)
    assert [kw["name"] for kw in started] == (["quartier-warm-up"] if compiles else [])


class _NoThread:
    def start(self) -> None:
        pass


PRELOAD_PROBE = """
import json, sys
import django
django.setup()
from quartier import warmup
warmup.preload()
heavy = ("mapclassify", "scipy.stats", "sklearn", "pandas", "matplotlib", "pyogrio", "openpyxl")
print(json.dumps(sorted(name for name in heavy if name in sys.modules)))
"""


def test_the_preload_before_the_first_request_leaves_the_heavy_libraries_out(tmp_path):
    """They cost 4–7 s of CPU before a new server answered its first map (issue 15)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")},
        "DJANGO_SETTINGS_MODULE": "quartier.settings",
        "QUARTIER_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", PRELOAD_PROBE], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_a_request_between_two_warm_up_steps_delays_the_next_step():
    order = []
    running, release = threading.Event(), threading.Event()
    app = _serving(lambda: (running.set(), release.wait(30)))

    def first():
        order.append("first")
        threading.Thread(target=_request, args=(app,)).start()
        running.wait(30)  # a request arrived while the first step ran

    steps = [first, lambda: order.append("second")]
    runner = threading.Thread(target=warmup._run_steps, args=(steps, 0.05))
    runner.start()
    running.wait(30)
    runner.join(0.5)
    assert order == ["first"]  # the second step waits while the request runs …
    release.set()
    runner.join(30)
    assert order == ["first", "second"]  # … and runs once the process is quiet again
