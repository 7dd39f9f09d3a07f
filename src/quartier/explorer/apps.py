from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExplorerConfig(AppConfig):
    """Pages for people: landing page, indicator tables (later map and profiles)."""

    name = "quartier.explorer"
    label = "explorer"
    verbose_name = _("Explorer")
