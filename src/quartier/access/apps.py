from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    """Organisational units, users and their rights."""

    name = "quartier.access"
    label = "access"
    verbose_name = _("Zugang und Rechte")

    def ready(self) -> None:
        """Connect the audit log to logins and to changes of users and indicators."""
        from quartier.access import signals

        signals.connect_indicator_signals()
