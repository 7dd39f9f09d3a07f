from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    """Organisational units, users and their rights."""

    name = "quartier.access"
    label = "access"
    verbose_name = _("Zugang und Rechte")
