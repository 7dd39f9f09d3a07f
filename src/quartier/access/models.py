"""Organisational units (Fachbereiche) and users, the basis of all rights."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Territory(models.Model):
    """A Kreis, a Gemeinde or a city whose administration shares the installation.

    Units belong to a territory; the internal indicators of a territory's units are
    seen by the staff of that territory and of the territories below it (a Kreis's
    by its Gemeinden), a Gemeinde's by the Kreis only where the indicator is shared
    with it (:mod:`quartier.access.rights`). An installation for one city needs none.
    """

    class Kind(models.TextChoices):
        KREIS = "kreis", _("Kreis")
        GEMEINDE = "gemeinde", _("Gemeinde")
        STADT = "stadt", _("Stadt")

    key = models.SlugField(_("Kürzel"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=200)
    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("gehört zu"),
        help_text=_("Bei einer kreisangehörigen Gemeinde: ihr Kreis."),
    )
    area = models.ForeignKey(
        "spatial.Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="territories",
        verbose_name=_("Gebiet"),
        help_text=_(
            "Das Gebiet der Gemeinde oder des Kreises: Datenverantwortliche importieren nur "
            "Werte für dieses Gebiet und die Gebiete darin."
        ),
    )

    # The Gemeinde's own public portal (explorer.portalviews): name, logo, headline indicators.
    portal = models.BooleanField(
        _("eigenes öffentliches Portal"),
        default=False,
        help_text=_(
            "Zeigt unter /gemeinden/<Kürzel>/ eine Seite der Gemeinde mit Logo und "
            "Leitindikatoren (öffentliche Indikatoren für alle, interne für Angemeldete)."
        ),
    )
    logo = models.BinaryField(_("Logo"), blank=True, default=b"", editable=False)
    logo_type = models.CharField(max_length=40, blank=True, editable=False)
    headline = models.ManyToManyField(
        "indicators.Indicator",
        blank=True,
        related_name="headline_of",
        verbose_name=_("Leitindikatoren"),
        help_text=_("Die Indikatoren, die das Portal der Gemeinde zuerst zeigt."),
    )

    class Meta:
        verbose_name = _("Gebietskörperschaft")
        verbose_name_plural = _("Gebietskörperschaften")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """An organisational unit (Fachbereich) that owns indicators."""

    key = models.SlugField(_("Kürzel"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=200)
    territory = models.ForeignKey(
        Territory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name=_("Gebietskörperschaft"),
        help_text=_("Leer: die Einheit gehört zur ganzen Installation (eine Stadt)."),
    )

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

    def save(self, *args, **kwargs):
        """Roles decide the Django flags: administrators are superusers, stewards staff."""
        if self.role == Role.ADMIN:
            self.is_superuser = True
        if self.is_superuser:
            self.role = Role.ADMIN
        self.is_staff = self.role in (Role.ADMIN, Role.DATA_STEWARD)
        super().save(*args, **kwargs)


class AuditQuerySet(models.QuerySet):
    """Audit entries can be added and read, never changed or removed."""

    def update(self, **kwargs):  # noqa: D102
        raise PermissionError("Protokolleinträge können nicht geändert werden.")

    def delete(self):  # noqa: D102
        raise PermissionError("Protokolleinträge können nicht gelöscht werden.")


class AuditEntry(models.Model):
    """One line of the append-only audit log: who did what, when, from where."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Anmeldung")
        LOGIN_FAILED = "login_failed", _("fehlgeschlagene Anmeldung")
        LOGOUT = "logout", _("Abmeldung")
        IMPORT = "import", _("Import")
        ROLLBACK = "rollback", _("Import zurückgenommen")
        METADATA = "metadata", _("Metadaten geändert")
        VISIBILITY = "visibility", _("Sichtbarkeit geändert")
        EXPORT = "export", _("Export")
        CONFIDENTIAL = "confidential", _("vertrauliche Werte angesehen")
        USER = "user", _("Benutzer geändert")
        TOKEN = "token", _("Zugangsschlüssel erstellt oder widerrufen")
        ROLE = "role", _("Rolle oder Rechte geändert")
        PARTICIPATION = "beteiligung", _("Beteiligung moderiert oder ausgewertet")

    at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        "access.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Benutzer"),
    )
    username = models.CharField(_("Benutzername"), max_length=150, blank=True)
    action = models.CharField(_("Aktion"), max_length=20, choices=Action.choices, db_index=True)
    target = models.CharField(_("Gegenstand"), max_length=300, blank=True)
    details = models.JSONField(_("Einzelheiten"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP-Adresse"), null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokoll")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%d.%m.%Y %H:%M} {self.username} {self.get_action_display()} {self.target}"

    def save(self, *args, **kwargs):
        """Only new entries may be saved."""
        if self.pk is not None:
            raise PermissionError("Protokolleinträge können nicht geändert werden.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        """Entries are never deleted."""
        raise PermissionError("Protokolleinträge können nicht gelöscht werden.")


class ApiTokenQuerySet(models.QuerySet):
    """Tokens that can still be used."""

    def active(self):
        """Not revoked, and the account still active."""
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A personal access token (Zugangsschlüssel) for scripts, QGIS and other clients.

    Only a SHA-256 hash of the secret is stored; the secret itself is shown once,
    when the token is created. A token acts with exactly the rights of its user.
    """

    user = models.ForeignKey(
        "access.User",
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("Benutzer"),
    )
    name = models.CharField(_("Bezeichnung"), max_length=100)
    prefix = models.CharField(_("Anfang des Schlüssels"), max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("erstellt am"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("zuletzt benutzt"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("widerrufen am"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("Zugangsschlüssel")
        verbose_name_plural = _("Zugangsschlüssel")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        """True while the token may be used."""
        return self.revoked_at is None and self.user.is_active
