from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    """Composite indices, typologies, hot spots, segregation, areas with special need."""

    name = "quartier.analysis"
    label = "analysis"
    verbose_name = _("Analysen")
