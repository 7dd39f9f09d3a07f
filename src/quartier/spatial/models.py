"""Levels (Raumebenen), areas (Raumeinheiten) and facility point layers.

Geometry is stored portably as WKB in EPSG:4326 so that SQLite and PostgreSQL
behave the same; spatial work happens in Python (shapely, pyproj). A bounding
box is kept in plain columns so bbox filters run in SQL on both databases.
"""

from __future__ import annotations

import shapely
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.Model):
    """A layer of areas, e.g. Stadtbezirk or Baublock, ordered coarse (0) to fine."""

    key = models.SlugField(_("Kürzel"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=120)
    order = models.PositiveSmallIntegerField(_("Reihenfolge (grob → fein)"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("übergeordnete Ebene"),
    )
    description = models.TextField(_("Beschreibung"), blank=True)

    class Meta:
        verbose_name = _("Raumebene")
        verbose_name_plural = _("Raumebenen")
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[Level]:
        """Coarser levels of this level's chain, nearest first."""
        chain, level = [], self.parent
        while level is not None:
            chain.append(level)
            level = level.parent
        return chain


class Area(models.Model):
    """One polygon of a level (Raumeinheit), valid for a span of time."""

    level = models.ForeignKey(
        Level, on_delete=models.CASCADE, related_name="areas", verbose_name=_("Raumebene")
    )
    code = models.CharField(_("Schlüssel"), max_length=40)
    name = models.CharField(_("Name"), max_length=200)
    geometry = models.BinaryField(_("Geometrie (WKB, EPSG:4326)"))
    source_crs = models.TextField(_("Quell-Koordinatenbezugssystem"), blank=True)
    area_m2 = models.FloatField(_("Fläche in m²"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("übergeordnete Raumeinheit"),
    )
    valid_from = models.DateField(_("gültig ab"), null=True, blank=True)
    valid_to = models.DateField(_("gültig bis (ausschließlich)"), null=True, blank=True)
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()

    class Meta:
        verbose_name = _("Raumeinheit")
        verbose_name_plural = _("Raumeinheiten")
        ordering = ["level__order", "code"]
        constraints = [
            # One open-ended (current) version per code; closed versions keep history.
            models.UniqueConstraint(
                fields=["level", "code"],
                condition=Q(valid_to__isnull=True),
                name="area_one_current_version",
            ),
            models.UniqueConstraint(
                fields=["level", "code", "valid_from"], name="area_unique_version"
            ),
        ]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def shape(self) -> shapely.Geometry:
        """The geometry as a shapely object in EPSG:4326."""
        return shapely.from_wkb(bytes(self.geometry))


class FacilityLayer(models.Model):
    """A point layer of facilities, e.g. Kitas or Grundschulen."""

    key = models.SlugField(_("Kürzel"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=120)
    description = models.TextField(_("Beschreibung"), blank=True)
    capacity_label = models.CharField(_("Bezeichnung der Kapazität"), max_length=60, blank=True)
    source = models.CharField(_("Quelle"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Einrichtungsebene")
        verbose_name_plural = _("Einrichtungsebenen")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    """One facility (point) with a name and an optional capacity."""

    layer = models.ForeignKey(
        FacilityLayer,
        on_delete=models.CASCADE,
        related_name="facilities",
        verbose_name=_("Einrichtungsebene"),
    )
    name = models.CharField(_("Name"), max_length=200)
    address = models.CharField(_("Adresse"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("Kapazität"), null=True, blank=True)
    lon = models.FloatField(_("Längengrad"))
    lat = models.FloatField(_("Breitengrad"))
    attributes = models.JSONField(_("weitere Merkmale"), default=dict, blank=True)

    class Meta:
        verbose_name = _("Einrichtung")
        verbose_name_plural = _("Einrichtungen")
        ordering = ["layer", "name"]

    def __str__(self) -> str:
        return self.name


class StoredDisplay(models.Model):
    """A level's encoded display geometry (gzipped JSON), built at import, read by every process.

    ``key`` identifies the set of area versions it shows (a digest of their ids,
    codes and names); the row is deleted whenever the level's areas change.
    """

    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="displays")
    key = models.CharField(max_length=40)
    etag = models.CharField(max_length=40)
    gzipped = models.BinaryField()
    built_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "key"], name="display_unique_key")]
