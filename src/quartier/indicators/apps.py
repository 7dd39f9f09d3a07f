from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    """Indicator catalogue, values, import batches and the one read layer."""

    name = "quartier.indicators"
    label = "indicators"
    verbose_name = _("Indikatoren und Werte")
