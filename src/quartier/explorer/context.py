"""Template context shared by every page: the municipality's name, logo and legal pages."""

from django.conf import settings
from django.urls import reverse

from quartier.access.territories import installation_name, whole_texts


def _legal_link(value: str, view: str) -> str:
    """An operator's URL as it is, else our page showing the configured text."""
    return value if value.startswith(("https://", "http://")) else reverse(view)


def site(request) -> dict:
    """The municipality's name, logo, imprint and privacy links for headers and footers."""
    config = settings.QUARTIER
    return {
        "municipality": installation_name(),
        **whole_texts(),
        "logo_url": reverse("explorer:logo") if config.logo else "",
        "imprint_url": _legal_link(config.imprint, "explorer:imprint"),
        "privacy_url": _legal_link(config.privacy, "explorer:privacy"),
    }
