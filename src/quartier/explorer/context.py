"""Template context shared by every page."""

from django.conf import settings


def site(request) -> dict:
    """The municipality's name for headers and titles."""
    return {"municipality": settings.QUARTIER.municipality}
