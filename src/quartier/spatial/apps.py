from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpatialConfig(AppConfig):
    """Raumebenen, Raumeinheiten and point layers."""

    name = "quartier.spatial"
    label = "spatial"
    verbose_name = _("Raumbezug")

    def ready(self) -> None:
        """Connect the signals that keep the area index fresh."""
        from quartier.spatial import signals  # noqa: F401
