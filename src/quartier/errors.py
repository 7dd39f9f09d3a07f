"""Errors that carry a message meant for people, not a traceback."""

from __future__ import annotations


class QuartierError(Exception):
    """An error with a one-line message for the user (German first, then English).

    ``status`` is the HTTP status a web view should answer with; the CLI prints
    the message and exits with ``exit_code``.
    """

    status = 400
    exit_code = 2

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(QuartierError):
    """Something does not exist, or the user may not know that it exists."""

    status = 404
