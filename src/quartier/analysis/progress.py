"""How far a running analysis is: reported from deep in the run, shown on its job page.

The worker runs an analysis with a progress writer (:class:`quartier.imports.progress.Writer`,
readable by every web process) and sets it here for the run (:func:`reporting`); the
reading of inputs, the computation and the storing of results report through
:func:`report` without passing the writer through every method. Outside a job (the
command line without a writer, tests) reporting does nothing.

The percentages: 10 when the job starts, up to 55 while the inputs are read (one step
per indicator), 60 while the core functions compute, 85 while derived indicators are
written, 95 while the run is stored. Messages are stored in German and shown with
gettext in the page's language, like every job message.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from contextlib import contextmanager

from django.utils.translation import gettext_noop

READING = gettext_noop("Die Werte werden gelesen …")
COMPUTING = gettext_noop("Die Analyse wird berechnet …")
STORING = gettext_noop("Die Ergebnisse werden gespeichert …")

READ_FROM, READ_TO = 10, 55  # the span of the reading steps
COMPUTE_AT, STORE_AT, SAVE_AT = 60, 85, 95

_current: contextvars.ContextVar = contextvars.ContextVar("quartier_analysis_progress")


class _Run:
    """The writer of one run and the highest percentage reported (the bar never goes back)."""

    def __init__(self, write: Callable[[int, str], None]) -> None:
        self.write = write
        self.percent = 0

    def __call__(self, percent: float, message: str) -> None:
        self.percent = max(self.percent, int(percent))
        self.write(self.percent, message)


@contextmanager
def reporting(write: Callable[[int, str], None]):
    """Send the progress of the analysis run inside the block to ``write(percent, message)``."""
    token = _current.set(_Run(write))
    try:
        yield
    finally:
        _current.reset(token)


def report(percent: float, message: str) -> None:
    """Report ``percent`` (0–100, never less than before) and what is being done."""
    run = _current.get(None)
    if run is not None:
        run(percent, message)


def reading(done: int, total: int) -> None:
    """Report that ``done`` of ``total`` inputs of the current reading step are read."""
    run = _current.get(None)
    if run is None:
        return
    # A later reading step (changes after values) continues from where the bar stands.
    start = max(READ_FROM, min(run.percent, READ_TO))
    run(start + (READ_TO - start) * done / max(total, 1), READING)


def computing() -> None:
    """Report that the inputs are read and the core functions compute."""
    report(COMPUTE_AT, COMPUTING)
