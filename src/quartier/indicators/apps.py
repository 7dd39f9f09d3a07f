from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    """Indicator catalogue, values, import batches and the one read layer."""

    name = "quartier.indicators"
    label = "indicators"
    verbose_name = _("Indikatoren und Werte")

    def ready(self) -> None:
        """Forget cached sum relations and thresholds when an indicator changes; one BLAS thread.

        After every ``migrate``, the triggers that renew the catalogue's token are put
        in place (again: rebuilding a table on SQLite drops its triggers).
        """
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
        from threadpoolctl import threadpool_limits

        # Requests run side by side already; BLAS threads competing for the same cores make the
        # small matrix products of disclosure control 15× slower on a busy machine (0.2 → 3.7 ms).
        threadpool_limits(limits=1, user_api="blas")

        from quartier.indicators import catalogue, families
        from quartier.indicators.models import Indicator

        def changed(sender, **kwargs):
            families.bump()

        for signal in (post_save, post_delete):
            signal.connect(changed, sender=Indicator, weak=False, dispatch_uid=f"fam_{signal!r}")
        m2m_changed.connect(
            changed, sender=Indicator.sum_of.through, weak=False, dispatch_uid="fam_sums"
        )

        def triggers(sender, using, **kwargs):
            from django.db import connections

            catalogue.install_triggers(connections[using])

        post_migrate.connect(triggers, sender=self, weak=False, dispatch_uid="catalogue_triggers")
