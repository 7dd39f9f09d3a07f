"""The "Schnittstellen" page: how to reach the API and OGC API, and one's own access tokens."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from quartier.access.models import ApiToken
from quartier.access.rights import is_admin
from quartier.access.tokens import create_token, revoke_token
from quartier.errors import QuartierError


def _render(request, status=200, **extra):
    tokens = (
        ApiToken.objects.filter(user=request.user)
        if request.user.is_authenticated
        else ApiToken.objects.none()
    )
    base = request.build_absolute_uri("/")[:-1]
    context = {
        "tokens": tokens,
        "api_url": base + reverse("api:root"),
        "docs_url": reverse("api:docs"),
        "schema_url": reverse("api:schema"),
        "ogc_url": base + "/ogc/",
        **extra,
    }
    return render(request, "access/interfaces.html", context, status=status)


@require_safe
def interfaces(request):
    """Addresses of the interfaces, with a list of the user's tokens when signed in."""
    return _render(request)


@require_POST
@login_required
def create(request):
    """Create a token and show its secret this one time (it is not stored)."""
    try:
        token, secret = create_token(request.user, request.POST.get("name", ""))
    except QuartierError as exc:
        return _render(request, status=exc.status, error=exc.message)
    return _render(request, new_token=token, new_secret=secret)


@require_POST
@login_required
def revoke(request, pk: int):
    """Revoke one of one's own tokens (administrators: anyone's)."""
    tokens = ApiToken.objects.select_related("user")
    if not is_admin(request.user):
        tokens = tokens.filter(user=request.user)
    token = tokens.filter(pk=pk).first()
    if token is None:
        raise Http404
    revoke_token(token)
    return redirect("access:interfaces")
