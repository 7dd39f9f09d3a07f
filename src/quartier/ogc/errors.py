"""Errors of the OGC API, answered as OGC exception documents ``{"code", "description"}``."""

from __future__ import annotations

from quartier.errors import QuartierError


class InvalidParameter(QuartierError):
    """A query parameter with a value the API does not understand (HTTP 400)."""

    status = 400
    code = "InvalidParameterValue"


def exception_document(exc: QuartierError) -> dict:
    """The OGC exception body for ``exc`` (the code follows from its HTTP status)."""
    code = getattr(exc, "code", None) or {
        400: "InvalidParameterValue",
        404: "NotFound",
        406: "NotAcceptable",
        503: "ServiceUnavailable",
    }.get(exc.status, "ServerError")
    return {"code": code, "description": exc.message}
