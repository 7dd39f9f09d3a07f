"""Report definitions (Sozialbericht): saved, edited, re-run for a new Stichtag."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportDefinition(models.Model):
    """A Sozialbericht as its author composed it; run for any Stichtag, as PDF or ODT.

    ``chapters`` is a list of ``{"title", "text", "level", "indicators", "map", "chart"}``
    (indicator keys, a level key): a chapter names what it shows, and whoever runs the
    report sees what their rights allow, like on every other page.
    """

    title = models.CharField(_("Titel"), max_length=200)
    introduction = models.TextField(_("Einleitung"), blank=True)
    chapters = models.JSONField(_("Kapitel"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_definitions",
        verbose_name=_("angelegt von"),
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("Berichtsdefinition")
        verbose_name_plural = _("Berichtsdefinitionen")

    def __str__(self) -> str:
        return self.title
