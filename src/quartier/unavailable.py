"""When the database cannot be reached: 503 with a retry hint, in each interface's format.

Django turns every exception that no view or middleware handled into the answer
of ``handler500`` (:func:`server_error`), wherever it was raised — in a view, in
the session middleware, in the REST framework. There a lost database (server
down, network cut, connection ended, SQLite file gone or locked) becomes
``503 Service Unavailable`` with ``Retry-After``: a page for people, ``{"error"}``
for the REST API, an OGC exception document for the OGC API and the file
downloads. Stale connections after the database is back are replaced by Django's
connection health checks (``CONN_HEALTH_CHECKS``, see :mod:`quartier.config`).
"""

from __future__ import annotations

import sqlite3
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from quartier.errors import QuartierError

RETRY_AFTER = 30  # seconds; a restarted database server is usually back by then

# Errors of a database schema that is missing or outdated, not of a database that is away:
# SQLite reports them as OperationalError too ("run quartier migrate" is the remedy).
_SCHEMA_PROBLEMS = ("no such table", "no such column")


class DatabaseUnavailable(QuartierError):
    """The database cannot be reached or used right now; retrying later will help."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            "Die Datenbank ist gerade nicht erreichbar; bitte versuchen Sie es in einer Minute "
            "erneut. / The database is not available right now; please try again in a minute."
        )


def _driver_errors() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [OperationalError, InterfaceError, sqlite3.OperationalError]
    try:
        import psycopg
    except ImportError:  # pragma: no cover (psycopg is a dependency)
        return tuple(kinds)
    return (*kinds, psycopg.OperationalError, psycopg.InterfaceError)


def is_outage(exc: BaseException | None) -> bool:
    """Whether ``exc`` means that the database is unreachable or unusable right now."""
    if exc is None or not isinstance(exc, _driver_errors()):
        return False
    return not any(problem in str(exc) for problem in _SCHEMA_PROBLEMS)


def unavailable_response(request) -> HttpResponse:
    """The 503 answer in the format of the interface ``request`` addressed."""
    from quartier.access.middleware import MACHINE_PREFIXES
    from quartier.ogc.errors import exception_document

    error = DatabaseUnavailable()
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"error": error.message}, status=error.status)
    elif request.path.startswith(MACHINE_PREFIXES):
        response = JsonResponse(exception_document(error), status=error.status)
    else:
        # A page of its own, rendered without the request: the site's templates ask
        # the database (signed-in user, settings), which is what just failed.
        body = loader.get_template("503.html").render()
        response = HttpResponse(body, status=error.status, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def server_error(request) -> HttpResponse:
    """``handler500``: 503 for a lost database, otherwise Django's 500 page."""
    if is_outage(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request)
