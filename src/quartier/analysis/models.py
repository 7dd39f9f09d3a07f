"""A stored analysis: its definition, when and by whom it ran, and what it produced."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The account the command line acts as (quartier.cli_analysis.command_line_user).
COMMAND_LINE_USERNAME = "kommandozeile"


class Analysis(models.Model):
    """One analysis definition and its latest result (kept to run again, e.g. next year)."""

    # The method's key in the registry (quartier.analysis.registry), e.g. "mss".
    kind = models.CharField(_("Art"), max_length=40)
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

    @property
    def kind_label(self) -> str:
        """The method's name for people, from the registry (translated)."""
        from quartier.analysis.registry import label_of

        return gettext(label_of(self.kind))

    @property
    def origin(self) -> str:
        """Who ran it: "Kommandozeile" for the command line, else the user name."""
        user = self.created_by
        if user is None:
            return gettext("unbekannt")
        if user.get_username() == COMMAND_LINE_USERNAME:
            return gettext("Kommandozeile")
        return user.get_username()

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
