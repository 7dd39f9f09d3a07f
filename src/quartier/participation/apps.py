from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    """Beteiligung: procedures in which residents mark places on a map (issue 19)."""

    name = "quartier.participation"
    label = "participation"
    verbose_name = _("Beteiligung")
    default_auto_field = "django.db.models.BigAutoField"
