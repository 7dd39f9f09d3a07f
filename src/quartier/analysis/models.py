"""A stored analysis: its definition, when and by whom it ran, and what it produced."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Analysis(models.Model):
    """One analysis definition and its latest result (kept to run again, e.g. next year)."""

    class Kind(models.TextChoices):
        INDEX = "index", _("Index")
        MSS = "mss", _("Status/Dynamik-Index (MSS)")
        TYPOLOGY = "typology", _("Typologie")
        LISA = "lisa", _("Hot Spots (LISA)")
        SEGREGATION = "segregation", _("Segregation")
        NEED = "need", _("Handlungsbedarf")

    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("Name"), max_length=200)
    level = models.ForeignKey(
        "spatial.Level", on_delete=models.CASCADE, related_name="+", verbose_name=_("Raumebene")
    )
    period = models.DateField(_("Stichtag"), null=True, blank=True)
    definition = models.JSONField(_("Definition"), default=dict)
    result = models.JSONField(_("Ergebnis"), default=dict, blank=True)
    outputs = models.ManyToManyField(
        "indicators.Indicator", blank=True, related_name="+", verbose_name=_("erzeugte Indikatoren")
    )
    inputs = models.ManyToManyField(
        "indicators.Indicator",
        blank=True,
        related_name="analyses_using",
        verbose_name=_("Eingangsindikatoren"),
    )
    confidential = models.BooleanField(
        _("vertraulich"),
        default=False,
        help_text=_(
            "Aus ungeschützten Werten berechnet: nur für Personen sichtbar, die alle "
            "ungeschützt gelesenen Eingangswerte ungeschützt sehen dürfen."
        ),
    )
    confidential_sources = models.ManyToManyField(
        "indicators.Indicator",
        blank=True,
        related_name="+",
        verbose_name=_("ungeschützt gelesen"),
        help_text=_(
            "Indikatoren, deren ungeschützte Werte in das Ergebnis eingegangen sind (auch über "
            "vertrauliche Ergebnisse anderer Analysen)."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Analyse")
        verbose_name_plural = _("Analysen")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def record_view(self, user) -> None:
        """Audit a view of a confidential analysis: its result holds unprotected values."""
        if not self.confidential:
            return
        from quartier.access.models import AuditEntry
        from quartier.indicators import readlayer

        readlayer.reader(user).record_once(  # once per request (or command-line run)
            ("confidential-analysis", self.pk),
            AuditEntry.Action.CONFIDENTIAL,
            f"Analyse {self.pk}: {self.name}",
            kind=self.kind,
        )
