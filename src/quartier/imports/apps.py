from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Import wizard and CLI imports of geometries and statistics tables."""

    name = "quartier.imports"
    label = "imports"
    verbose_name = _("Import")
