"""What all API views share: authentication, JSON only, read-only, documented errors."""

from __future__ import annotations

import math

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from quartier.api.auth import MiddlewareAuthentication
from quartier.api.errors import ErrorSerializer

ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="invalid parameter, or more work than one request may ask for"
        " (QUARTIER_MAX_REQUEST_VALUES; the message says how to narrow it)",
    ),
    401: OpenApiResponse(ErrorSerializer, description="invalid or revoked token"),
    404: OpenApiResponse(ErrorSerializer, description="unknown, or not visible to the caller"),
    503: OpenApiResponse(
        ErrorSerializer,
        description="disclosure control could not be applied safely, or too many large"
        " requests are running (see Retry-After); no values are sent, try again",
    ),
}

LIMIT = OpenApiParameter("limit", int, description="page size (default 10000, at most 100000)")
OFFSET = OpenApiParameter("offset", int, description="index of the first entry (default 0)")


class ReadOnlyView(APIView):
    """Base of every endpoint: the caller's rights apply inside the read layer."""

    authentication_classes = [MiddlewareAuthentication]
    permission_classes = [AllowAny]  # visibility is decided per indicator, not per endpoint
    renderer_classes = [JSONRenderer]


def number(value) -> float | None:
    """A JSON-safe float: None for missing, NaN or infinite values."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def example(value: str) -> list[OpenApiExample]:
    """An example value for a parameter (shown in the docs, used by schemathesis)."""
    return [OpenApiExample("Beispiel", value=value)]


INDICATORS = OpenApiParameter(
    "indicator",
    str,
    required=True,
    description="indicator key(s), comma-separated",
    examples=example("kinderarmut"),
)


def path_parameters(**examples: str) -> list[OpenApiParameter]:
    """Path parameters (strings) with an example each, e.g. level="stadtteil"."""
    return [
        OpenApiParameter(name, str, OpenApiParameter.PATH, examples=example(value))
        for name, value in examples.items()
    ]
