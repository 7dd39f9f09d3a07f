from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    """Indicator catalogue, values, import batches and the one read layer."""

    name = "quartier.indicators"
    label = "indicators"
    verbose_name = _("Indikatoren und Werte")

    def ready(self) -> None:
        """Forget cached sum relations and thresholds when an indicator changes."""
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from quartier.indicators import families
        from quartier.indicators.models import Indicator

        def changed(sender, **kwargs):
            families.bump()

        for signal in (post_save, post_delete):
            signal.connect(changed, sender=Indicator, weak=False, dispatch_uid=f"fam_{signal!r}")
        m2m_changed.connect(
            changed, sender=Indicator.sum_of.through, weak=False, dispatch_uid="fam_sums"
        )
