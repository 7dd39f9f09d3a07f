"""Organisational units (Fachbereiche) and users, the basis of all rights."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    """An organisational unit (Fachbereich) that owns indicators."""

    key = models.SlugField(_("Kürzel"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=200)

    class Meta:
        verbose_name = _("Organisationseinheit")
        verbose_name_plural = _("Organisationseinheiten")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a user may do; visibility rules in :mod:`quartier.access.rights` use it."""

    ADMIN = "admin", _("Administration")
    DATA_STEWARD = "steward", _("Datenverantwortliche")
    ANALYST = "analyst", _("Analyse (intern)")


class User(AbstractUser):
    """A Quartier account: a role plus the units the person works in."""

    role = models.CharField(_("Rolle"), max_length=16, choices=Role.choices, default=Role.ANALYST)
    units = models.ManyToManyField(
        Unit, blank=True, related_name="members", verbose_name=_("Organisationseinheiten")
    )

    class Meta:
        verbose_name = _("Benutzer")
        verbose_name_plural = _("Benutzer")
