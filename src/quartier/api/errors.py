"""Errors of the API as JSON: ``{"error": message}`` with a fitting status code."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler

from quartier.errors import QuartierError, with_retry_after


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    error = serializers.CharField(help_text="Meldung (deutsch / englisch)")


def handle(exc, context):
    """QuartierError keeps its status and message; DRF's own errors keep their shape."""
    if isinstance(exc, QuartierError):
        return with_retry_after(Response({"error": exc.message}, status=exc.status), exc)
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"error": str(response.data["detail"])}
    return response
