"""gzip for answers to GET and HEAD (HTML pages, JSON of the map and the API).

BREACH guesses a secret reflected in a compressed response by sending many
requests that also reflect attacker-chosen text. Quartier compresses only
GET/HEAD answers (a form POST's answer, which may echo what was sent, is not),
Django masks the CSRF token with a fresh random value in every response, and
Django's GZipMiddleware adds random bytes to every gzip stream ("Heal the
Breach"), so the length no longer gives a token away. Session cookies are
headers, never compressed. Static files are compressed ahead of time (whitenoise).
"""

from __future__ import annotations

from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware


class GZipMiddleware(DjangoGZipMiddleware):
    """Django's GZipMiddleware, for GET and HEAD requests only."""

    def process_response(self, request, response):
        """Compress the response of a GET or HEAD request if the client accepts gzip."""
        if request.method not in ("GET", "HEAD"):
            return response
        return super().process_response(request, response)
