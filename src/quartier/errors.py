"""Errors that carry a message meant for people, not a traceback."""

from __future__ import annotations


class QuartierError(Exception):
    """An error with a one-line message for the user (German first, then English).

    ``status`` is the HTTP status a web view should answer with; the CLI prints
    the message and exits with ``exit_code``.
    """

    status = 400
    exit_code = 2
    retry_after: int | None = None  # seconds; web answers send it as Retry-After

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


def with_retry_after(response, exc: QuartierError):
    """``response`` with a ``Retry-After`` header when ``exc`` says when to try again."""
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


class NotFound(QuartierError):
    """Something does not exist, or the user may not know that it exists."""

    status = 404


class ProtectionError(QuartierError):
    """Disclosure control could not be applied consistently, so no values are given out.

    Raised when values and their protection masks do not describe the same
    areas (e.g. the area index was reloaded in between): the read layer fails
    closed instead of passing unprotected values on. Usually gone on retry.
    """

    status = 503

    def __init__(self, detail: str = "") -> None:
        message = (
            "Die Werte können gerade nicht sicher geschützt werden (Geheimhaltung); "
            "bitte in einem Moment erneut versuchen. / Values cannot be protected right now; "
            "please try again in a moment."
        )
        super().__init__(message)
        self.detail = detail  # for the log, never shown: it names internals


class DiskFull(QuartierError):
    """The disk (or the quota) of the server is full; answered 507 on the web, exit 2 in the CLI."""

    status = 507

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "Der Datenträger des Servers ist voll – bitte Platz schaffen (oder die "
            "Administration verständigen) und es erneut versuchen. / No space left on the "
            "server's disk: free some space and try again."
        )
