"""A background job: an import (uploaded files, choices, report) or an analysis run."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One run of the import wizard (or a CLI import), from upload to commit."""

    class Kind(models.TextChoices):
        GEOMETRY = "geometry", _("Geometrien")
        TABLE = "table", _("Statistiktabelle")
        MICRODATA = "microdata", _("Einzeldaten (Adressen oder Koordinaten)")
        REGISTER = "register", _("Hauskoordinaten")
        # Not an import: an analysis run by the same worker (quartier.analysis.jobs).
        ANALYSIS = "analysis", _("Analyse")
        # Not an import either: the Steckbriefe of a level as a ZIP (quartier.reports.jobs).
        REPORT = "report", _("Bericht")

    # Jobs of the queue that are no imports (their own pages list and show them).
    NOT_IMPORTS = (Kind.ANALYSIS, Kind.REPORT)

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("hochgeladen")
        CHECKED = "checked", _("geprüft")
        QUEUED = "queued", _("wartet")
        RUNNING = "running", _("läuft")
        DONE = "done", _("übernommen")
        FAILED = "failed", _("fehlgeschlagen")
        CANCELLED = "cancelled", _("abgebrochen")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    source_name = models.CharField(_("Datei"), max_length=300)
    source_sha256 = models.CharField(max_length=64, blank=True)
    workdir = models.CharField(max_length=500, blank=True)
    options = models.JSONField(default=dict, blank=True)
    analysis = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # What the background worker needs to run a queued job (user, client address, choices).
    task = models.JSONField(default=dict, blank=True)
    # Which worker process runs it ("host:pid"), for the administration; whether it still
    # lives is told by the job's run lock (see runlock), not by this name.
    worker = models.CharField(max_length=100, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("Importvorgang")
        verbose_name_plural = _("Importvorgänge")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.source_name}"


class AddressEntry(models.Model):
    """One key of the address register (Hauskoordinaten): reference data, not personal data.

    Keys are canonical addresses as :func:`quartier.imports.addresses.address_key`
    builds them; an ambiguous key (street and number under several postcodes)
    has no coordinates and only blocks a match without postcode.
    """

    key = models.CharField(_("Schlüssel"), max_length=200, unique=True)
    lon = models.FloatField(_("Längengrad"), null=True)
    lat = models.FloatField(_("Breitengrad"), null=True)
    ambiguous = models.BooleanField(_("mehrdeutig"), default=False)

    class Meta:
        verbose_name = _("Hauskoordinate")
        verbose_name_plural = _("Hauskoordinaten")
