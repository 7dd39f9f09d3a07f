"""Authentication for the API: the user Django's middleware already found.

Sessions (browser) and personal tokens (scripts, GIS) are both resolved by
middleware before a view runs (see
:class:`quartier.access.middleware.TokenAuthenticationMiddleware`), so every
interface — pages, OGC API, REST API — applies the same rules.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication

from quartier.access.middleware import AUTHENTICATE


class MiddlewareAuthentication(BaseAuthentication):
    """Use ``request.user`` as set by session or token middleware."""

    def authenticate(self, request):
        """(user, None) for a signed-in user; None leaves the request anonymous."""
        user = getattr(request._request, "user", None)
        if user is not None and user.is_authenticated:
            return user, None
        return None

    def authenticate_header(self, request):
        """Makes refusals 401 with a challenge, not 403."""
        return AUTHENTICATE


class MiddlewareAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes the token schemes in the OpenAPI document."""

    target_class = "quartier.api.auth.MiddlewareAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        """A personal token as Bearer; clients that only know Basic send it as the password."""
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "Persönlicher Zugangsschlüssel (qt_…), zu erstellen unter /schnittstellen/."
                " Alternativ HTTP Basic mit beliebigem Benutzernamen und dem Schlüssel als"
                " Passwort (QGIS, GDAL). Im Browser gilt die Anmeldung der Sitzung."
            ),
        }
