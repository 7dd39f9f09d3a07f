"""Request context for the audit log, optional login everywhere, security headers."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

from quartier.access.audit import current_request

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
            current_request.reset(token)


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

        from quartier.errors import QuartierError

        if not isinstance(exception, QuartierError):
            return None
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"error": exception.message}, status=exception.status)
        return render(
            request, "quartier/error.html", {"message": exception.message}, status=exception.status
        )
