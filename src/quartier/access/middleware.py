"""Request context for the audit log, optional login everywhere, security headers."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse

from quartier.access.audit import current_request, flush_deferred

# Paths that stay reachable without login when the installation is fully internal.
_OPEN_PREFIXES = (
    "/admin/login/",
    "/admin/logout/",
    "/static/",
    "/i18n/",
    "/jsi18n/",
    "/favicon.ico",
    "/impressum/",
    "/datenschutz/",
    "/logo",
)


class RequestContextMiddleware:
    """Remember the current request so audit entries know who and from where."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """Handle one request with it remembered."""
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            try:
                flush_deferred(request)
            finally:
                current_request.reset(token)


# Machine interfaces: tokens are accepted here, and they answer 401 instead of a login page.
MACHINE_PREFIXES = ("/api/", "/ogc/", "/export/datei/")
AUTHENTICATE = 'Bearer realm="Quartier"'


def _unauthorized(message: str) -> JsonResponse:
    response = JsonResponse({"code": "NotAuthorized", "description": message}, status=401)
    response["WWW-Authenticate"] = AUTHENTICATE
    return response


def _too_many(seconds: int) -> JsonResponse:
    minutes = max(1, round(seconds / 60))
    message = (
        "Zu viele ungültige Zugangsschlüssel von dieser Adresse; bitte in etwa "
        f"{minutes} Minuten erneut versuchen. / Too many invalid tokens from this address; "
        f"retry in {seconds} seconds."
    )
    response = JsonResponse({"code": "TooManyRequests", "description": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def presented_secret(request) -> str | None:
    """The token in ``Authorization`` (Bearer/Token, or Basic with the token as password)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme in ("bearer", "token"):
        return value
    if scheme == "basic":
        # QGIS and GDAL offer Basic authentication: any user name, the token as password.
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return None


class TokenAuthenticationMiddleware:
    """Scripts and GIS clients sign in with a personal token on the machine interfaces.

    Runs after Django's AuthenticationMiddleware. A presented but invalid token is
    refused outright (401) rather than silently treated as anonymous, so a
    script with a revoked token fails loudly instead of getting public data only.
    Refusals are audited, and an address with too many of them is refused (429)
    before its token is even looked at (:mod:`quartier.access.tokenguard`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """Replace the (session) user by the token's user when a token is presented."""
        if request.path.startswith(MACHINE_PREFIXES):
            secret = presented_secret(request)
            if secret is not None:
                from quartier.access import tokenguard
                from quartier.access.tokens import user_for_secret

                wait = tokenguard.retry_after(request)
                if wait is not None:
                    return _too_many(wait)
                user = user_for_secret(secret)
                if user is None:
                    tokenguard.record_failure(request, secret)
                    return _unauthorized(
                        "Zugangsschlüssel ungültig oder widerrufen. / Invalid or revoked token."
                    )
                request.user = user
                request.token_authenticated = True
                # No session cookie is involved, so there is nothing to forge.
                request._dont_enforce_csrf_checks = True
        return self.get_response(request)


class LoginRequiredMiddleware:
    """With QUARTIER_LOGIN_REQUIRED, every page asks for a login (no public portal)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """Redirect anonymous visitors to the login page."""
        if (
            settings.QUARTIER.login_required
            and not request.user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            if request.path.startswith(MACHINE_PREFIXES):
                return _unauthorized("Anmeldung erforderlich. / Authentication required.")
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


def content_security_policy() -> str:
    """Everything from this server only; images also from an operator-configured basemap."""
    images = ["'self'", "data:", "blob:"]
    basemap = settings.QUARTIER.basemap_url
    if basemap:
        parts = urlsplit(basemap.replace("{s}", "a"))
        images.append(f"{parts.scheme}://{parts.netloc}".replace("://a.", "://*."))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",  # no inline scripts anywhere
            "style-src 'self'",  # styles set from scripts (Leaflet) go through the CSSOM: allowed
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        """Add the headers to the response."""
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL_MESSAGE = "Ungültiges Zeichen (NUL) in der Anfrage. / NUL character in the request."


def has_nul(request) -> bool:
    """Whether the path, a query parameter or a posted form field holds a NUL character.

    Form fields are read only where Django parses them anyway (the CSRF check
    reads ``request.POST`` of every POST); uploaded files are not looked into.
    """
    if "\x00" in request.path:
        return True
    fields = [request.GET]
    if request.method == "POST" and request.content_type in _FORM_TYPES:
        fields.append(request.POST)
    return any(
        "\x00" in key or any("\x00" in value for value in query.getlist(key))
        for query in fields
        for key in query
    )


class RefuseNulMiddleware:
    """Answer 400 to a request with a NUL character in its path or query.

    No database stores NUL in text (PostgreSQL raises an error), so such a
    request could only end in a server error deep inside a view; refusing it
    here covers every route, including those added later. Each interface
    answers in its own error format.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """Refuse or pass the request on."""
        if not has_nul(request):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"error": NUL_MESSAGE}, status=400)
        if request.path.startswith(MACHINE_PREFIXES):
            body = {"code": "InvalidParameterValue", "description": NUL_MESSAGE}
            return JsonResponse(body, status=400)
        from django.shortcuts import render

        return render(request, "quartier/error.html", {"message": NUL_MESSAGE}, status=400)


class QuartierErrorMiddleware:
    """A QuartierError that reaches the top becomes a page (or JSON) with its status and message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """Pass the request on."""
        return self.get_response(request)

    def process_exception(self, request, exception):
        """Answer with the error's own status instead of a server error."""
        from django.http import JsonResponse
        from django.shortcuts import render

        from quartier.errors import QuartierError, with_retry_after

        if not isinstance(exception, QuartierError):
            return None
        if "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"error": exception.message}, status=exception.status)
        else:
            context = {"message": exception.message}
            response = render(request, "quartier/error.html", context, status=exception.status)
        return with_retry_after(response, exception)
