"""Participation procedures (Beteiligungsverfahren), their categories and contributions.

A contribution holds what the person chose and wrote, a place and the time — no account,
no name, no address of the device (see :mod:`.guard` for how abuse is limited without it).
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quartier.participation.symbols import SYMBOLS


class Procedure(models.Model):
    """A Beteiligungsverfahren: a question about a set of areas, open for a period."""

    class Audience(models.TextChoices):
        CHILDREN = "kinder", _("Kinder")
        YOUTH = "jugendliche", _("Jugendliche")
        FAMILIES = "familien", _("Familien")
        EVERYONE = "alle", _("alle")

    key = models.SlugField(_("Kürzel"), max_length=60, unique=True)
    title = models.CharField(_("Titel"), max_length=200)
    question = models.TextField(_("Frage"), help_text=_("In einfacher Sprache."))
    audience = models.CharField(
        _("Zielgruppe"), max_length=12, choices=Audience.choices, default=Audience.EVERYONE
    )
    owner = models.ForeignKey(
        "access.Unit",
        on_delete=models.PROTECT,
        related_name="procedures",
        verbose_name=_("verantwortliche Organisationseinheit"),
    )
    level = models.ForeignKey(
        "spatial.Level",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Raumebene der Orte"),
        help_text=_("Auf dieser Ebene werden Orte zur Auswahl angeboten und Beiträge gezählt."),
    )
    areas = models.ManyToManyField(
        "spatial.Area", related_name="procedures", verbose_name=_("Gebiet des Verfahrens")
    )
    opens = models.DateField(_("offen ab"))
    closes = models.DateField(_("offen bis einschließlich"))
    ask_age = models.BooleanField(_("nach der Altersgruppe fragen"), default=True)
    ask_text = models.BooleanField(_("einen Satz erlauben"), default=True)
    decision = models.TextField(
        _("Was entschieden wurde"),
        blank=True,
        help_text=_("Steht auf der öffentlichen Ergebnisseite."),
    )
    results_public = models.BooleanField(_("Ergebnisse öffentlich"), default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Beteiligungsverfahren")
        verbose_name_plural = _("Beteiligungsverfahren")
        ordering = ["-opens", "title"]

    def __str__(self) -> str:
        return self.title

    def is_open(self, today: date | None = None) -> bool:
        """True while contributions are taken (from ``opens`` to ``closes``, inclusive)."""
        today = today or timezone.localdate()
        return self.opens <= today <= self.closes


class Category(models.Model):
    """What a contribution says about its place ("Hier spiele ich gern")."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="categories")
    code = models.SlugField(_("Kürzel"), max_length=30)
    label = models.CharField(_("Text"), max_length=80)
    symbol = models.CharField(
        _("Symbol"), max_length=12, choices=[(k, s.name) for k, s in SYMBOLS.items()]
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("Kategorie")
        verbose_name_plural = _("Kategorien")
        ordering = ["sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "code"], name="category_code_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Contribution(models.Model):
    """One pin: a category, a place, optionally an age group and a sentence."""

    class Status(models.TextChoices):
        PENDING = "pending", _("wartet auf Freigabe")
        APPROVED = "approved", _("freigegeben")
        HIDDEN = "hidden", _("ausgeblendet")
        MERGED = "merged", _("zusammengeführt")

    class AgeGroup(models.TextChoices):
        UNDER_10 = "u10", _("unter 10")
        FROM_10 = "10-13", _("10 bis 13")
        FROM_14 = "14-17", _("14 bis 17")
        ADULT = "18+", _("18 oder älter")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="contributions")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="contributions")
    area = models.ForeignKey(
        "spatial.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("Ort")
    )
    lon = models.FloatField(null=True, blank=True)  # None: chosen from the list of places
    lat = models.FloatField(null=True, blank=True)
    age_group = models.CharField(max_length=6, choices=AgeGroup.choices, blank=True)
    text = models.CharField(_("Satz"), max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("Grund"), max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("Beitrag")
        verbose_name_plural = _("Beiträge")
        ordering = ["created", "pk"]
