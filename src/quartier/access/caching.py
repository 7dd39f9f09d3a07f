"""Responses to signed-in users are never stored by browsers or proxies.

Whatever a signed-in user (session or access token) receives may hold internal
or restricted indicators, values they see unprotected (*vertraulich*), or the
results of confidential analyses. Deciding per view which of these a response
holds would be one more thing to forget on the next route; so every response to
a signed-in user gets ``Cache-Control: private, no-store``, on every interface,
unless its view marks it as holding no values (:func:`holds_no_values`, e.g. the
boundaries of a level, which the map caches and revalidates by ETag).
Anonymous visitors only ever get public, protected values; their responses keep
what their views say.
"""

from __future__ import annotations

NO_STORE = "private, no-store"


def holds_no_values(response):
    """Mark ``response`` as free of values and rights-dependent content (it may be cached)."""
    response.quartier_holds_no_values = True
    return response


class PrivateResponsesMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user.

    Sits after the session and token middleware, so ``request.user`` is the
    caller whichever way they signed in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """Pass the request on; mark the response private for signed-in users."""
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not getattr(response, "quartier_holds_no_values", False)
        ):
            response["Cache-Control"] = NO_STORE
        return response
