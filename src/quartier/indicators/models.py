"""Indicator catalogue, values in long format, import batches and value history."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    """Handlungsfelder of integrated social planning."""

    DEMOGRAPHY = "demografie", _("Demografie")
    SOCIAL = "soziales", _("Soziales")
    WORK = "arbeit", _("Arbeit")
    EDUCATION = "bildung", _("Bildung")
    HEALTH = "gesundheit", _("Gesundheit")
    HOUSING = "wohnen", _("Wohnen")
    ENVIRONMENT = "umwelt", _("Umwelt")
    PARTICIPATION = "beteiligung", _("Beteiligung")


class Kind(models.TextChoices):
    """How values of an indicator combine when areas are aggregated."""

    COUNT = "count", _("Anzahl (summierbar)")
    RATE = "rate", _("Quote/Anteil (Zähler ÷ Nenner)")
    OTHER = "other", _("sonstiger Wert (nicht summierbar)")


class Polarity(models.TextChoices):
    """Whether a higher value is good, bad or neither — decides map colours."""

    HIGHER_BETTER = "better", _("höher ist günstiger")
    HIGHER_WORSE = "worse", _("höher ist ungünstiger")
    NEUTRAL = "neutral", _("neutral")


class Visibility(models.TextChoices):
    """Who may see an indicator at all (enforced in the read layer)."""

    PUBLIC = "public", _("öffentlich")
    INTERNAL = "internal", _("intern")
    RESTRICTED = "restricted", _("eingeschränkt")


CONFIDENTIAL_MESSAGE = _(
    "Dieses Ergebnis wurde aus ungeschützten Werten berechnet (vertraulich) und kann nicht "
    "intern oder öffentlich werden. Zum Veröffentlichen die Analyse mit geschützten Werten "
    "berechnen."
)


class Indicator(models.Model):
    """A catalogue entry; values are in :class:`Value`, or computed for rates."""

    key = models.SlugField(_("Kürzel"), max_length=60, unique=True)
    name = models.CharField(_("Name"), max_length=200)
    description = models.TextField(_("Beschreibung"), blank=True)
    unit = models.CharField(_("Einheit"), max_length=40, blank=True)
    topic = models.CharField(_("Handlungsfeld"), max_length=20, choices=Topic.choices)
    kind = models.CharField(_("Art"), max_length=8, choices=Kind.choices)
    numerator = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Zähler"),
    )
    denominator = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Nenner"),
    )
    factor = models.FloatField(_("Faktor"), default=100.0)
    weight = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Gewicht für die Aggregation"),
        help_text=_("Nur für nicht summierbare Werte: Anzahl, mit der gewichtet gemittelt wird."),
    )
    polarity = models.CharField(
        _("Polarität"), max_length=8, choices=Polarity.choices, default=Polarity.NEUTRAL
    )
    source = models.CharField(_("Quelle"), max_length=300, blank=True)
    # Where several Gemeinden keep their own indicators for the same thing, the
    # concept ties them together and the definition tells whether they may be
    # compared (explorer.municipal): equal definitions, equal rules of computation.
    concept = models.SlugField(
        _("Begriff"),
        max_length=60,
        blank=True,
        help_text=_(
            "Kennung des Gemeinten, z. B. kinderarmut: Indikatoren verschiedener Gemeinden "
            "mit demselben Begriff werden im Gemeindevergleich nebeneinander gestellt."
        ),
    )
    defined_as = models.TextField(
        _("Definition"),
        blank=True,
        help_text=_(
            "Wer zählt im Zähler und im Nenner, Altersgrenzen, Stichtag, Rechtsgrundlage. "
            "Nur Indikatoren mit gleicher Definition werden gemeinsam gereiht."
        ),
    )
    owner = models.ForeignKey(
        "access.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="indicators",
        verbose_name=_("verantwortliche Organisationseinheit"),
    )
    visibility = models.CharField(
        _("Sichtbarkeit"), max_length=12, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    shared_with = models.ManyToManyField(
        "access.Unit",
        blank=True,
        related_name="shared_indicators",
        verbose_name=_("zusätzlich freigegeben für"),
    )
    kreis_shared = models.BooleanField(
        _("für den Kreis freigegeben"),
        default=False,
        help_text=_(
            "Interne Indikatoren einer Gemeinde sehen sonst nur ihre eigenen Beschäftigten; "
            "freigegeben auch die des Kreises."
        ),
    )
    min_count = models.PositiveIntegerField(
        _("Mindestfallzahl"),
        default=3,
        help_text=_("Fallzahlen von 1 bis Mindestfallzahl − 1 werden geheim gehalten."),
    )
    min_denominator = models.PositiveIntegerField(
        _("Mindestnenner"),
        default=10,
        help_text=_("Quoten mit kleinerem Nenner werden geheim gehalten."),
    )
    decimals = models.PositiveSmallIntegerField(_("Nachkommastellen"), default=0)
    reference_note = models.CharField(_("Hinweis zum Stichtag"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(_("Sortierung"), default=0)
    categories = models.JSONField(
        _("Kategorien"),
        default=list,
        blank=True,
        help_text=_(
            "Für Klassen und Typen: Liste von {code, label, colour}; die Werte sind Codes."
        ),
    )
    definition = models.JSONField(
        _("Berechnung"),
        default=dict,
        blank=True,
        help_text=_("Für berechnete Indikatoren (Indizes, Typologien …): wie sie entstanden sind."),
    )
    derived_from = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="derivatives",
        verbose_name=_("berechnet aus"),
    )
    sum_of = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="sums",
        limit_choices_to={"kind": "count"},
        verbose_name=_("Summe aus"),
        help_text=_(
            "Diese Anzahl ist in jedem Gebiet die Summe der gewählten Anzahlen (z. B. Einwohner "
            "= Summe der Altersgruppen). Die Geheimhaltung schützt sie dann gemeinsam, damit "
            "kein geheimer Wert durch Abziehen entsteht."
        ),
    )
    key_figure = models.BooleanField(
        _("Kennzahl"),
        default=False,
        help_text=_("Erscheint als Kennzahl im Seitenfeld der Karte."),
    )
    confidential = models.BooleanField(
        _("vertraulich"),
        default=False,
        editable=False,
        help_text=_(
            "Ergebnis einer Analyse aus ungeschützten Werten: nur für Personen sichtbar, die "
            "alle ungeschützt gelesenen Eingangswerte ungeschützt sehen dürfen; bleibt "
            "eingeschränkt."
        ),
    )
    # The import batch that created the indicator: rolling it back offers to remove the
    # indicator if nothing else is left in it (see indicators.emptied).
    created_in_batch = models.ForeignKey(
        "ImportBatch",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="created_indicators",
        verbose_name=_("angelegt durch Importlauf"),
    )

    class Meta:
        verbose_name = _("Indikator")
        verbose_name_plural = _("Indikatoren")
        ordering = ["topic", "sort_order", "name"]
        constraints = [
            # Results computed from unprotected values never become internal or public,
            # whichever code path saves them (admin form, queryset update, import).
            models.CheckConstraint(
                condition=models.Q(confidential=False) | models.Q(visibility="restricted"),
                name="indicator_confidential_is_restricted",
                violation_error_message=CONFIDENTIAL_MESSAGE,
            )
        ]

    def __str__(self) -> str:
        return self.name

    def category_label(self, value) -> str | None:
        """The label of a category code (None if the indicator has no categories)."""
        for category in self.categories or []:
            if value is not None and float(category["code"]) == float(value):
                return category["label"]
        return None

    @property
    def is_computed(self) -> bool:
        """True for rates computed from a numerator and a denominator count."""
        return self.kind == Kind.RATE and bool(self.numerator_id and self.denominator_id)

    def clean(self) -> None:
        """Check rates (two count indicators) and that a confidential result stays restricted."""
        if self.confidential and self.visibility != Visibility.RESTRICTED:
            raise ValidationError({"visibility": CONFIDENTIAL_MESSAGE})
        if self.kind == Kind.RATE and bool(self.numerator_id) != bool(self.denominator_id):
            raise ValidationError(
                _("Eine Quote braucht Zähler und Nenner – oder keinen von beiden.")
            )
        for part in (self.numerator, self.denominator):
            if part is not None and part.kind != Kind.COUNT:
                raise ValidationError(_("Zähler und Nenner müssen Anzahlen sein."))
        if self.weight is not None and self.weight.kind != Kind.COUNT:
            raise ValidationError(_("Das Gewicht muss eine Anzahl sein."))


class ImportBatch(models.Model):
    """Provenance of values: who brought in which file when; can be rolled back."""

    class Status(models.TextChoices):
        COMMITTED = "committed", _("übernommen")
        ROLLED_BACK = "rolled_back", _("zurückgenommen")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("importiert von"),
    )
    created_at = models.DateTimeField(_("importiert am"), auto_now_add=True)
    source_name = models.CharField(_("Quelldatei"), max_length=300)
    source_sha256 = models.CharField(_("SHA-256 der Quelle"), max_length=64, blank=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    rows_read = models.PositiveIntegerField(_("gelesene Zeilen"), default=0)
    rows_inserted = models.PositiveIntegerField(_("neue Werte"), default=0)
    rows_replaced = models.PositiveIntegerField(_("ersetzte Werte"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unveränderte Werte"), default=0)
    status = models.CharField(
        _("Status"), max_length=12, choices=Status.choices, default=Status.COMMITTED
    )
    rolled_back_at = models.DateTimeField(_("zurückgenommen am"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("zurückgenommen von"),
    )

    class Meta:
        verbose_name = _("Importlauf")
        verbose_name_plural = _("Importläufe")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source_name} ({localtime(self.created_at):%d.%m.%Y %H:%M})"  # not UTC


class ValueFlag(models.TextChoices):
    """Markers for a value, including the symbols of German official statistics."""

    NONE = "", _("–")
    UNKNOWN = ".", _("unbekannt oder geheim (.)")
    NOTHING = "-", _("nichts vorhanden (-)")
    LOCKED = "x", _("Tabellenfach gesperrt (x)")
    NOT_YET = "...", _("Angabe fällt später an (…)")
    PROVISIONAL = "p", _("vorläufig")
    ESTIMATED = "e", _("geschätzt")


class Value(models.Model):
    """One number for (indicator, area, period): long format, never a column per date."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    area = models.ForeignKey("spatial.Area", on_delete=models.CASCADE, related_name="values")
    period = models.DateField(_("Stichtag"))
    value = models.FloatField(_("Wert"), null=True, blank=True)
    flags = models.CharField(_("Kennzeichen"), max_length=4, blank=True, choices=ValueFlag.choices)
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="values")

    class Meta:
        verbose_name = _("Wert")
        verbose_name_plural = _("Werte")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "area", "period"], name="value_unique_cell"
            )
        ]
        indexes = [models.Index(fields=["indicator", "period"], name="value_indicator_period")]


class ValueRevision(models.Model):
    """A value that a later import replaced; rolling that import back restores it."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey("spatial.Area", on_delete=models.CASCADE, related_name="+")
    period = models.DateField(_("Stichtag"))
    value = models.FloatField(_("Wert"), null=True, blank=True)
    flags = models.CharField(_("Kennzeichen"), max_length=4, blank=True)
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.PROTECT,
        related_name="revisions",
        verbose_name=_("gesetzt durch"),
    )
    replaced_by = models.ForeignKey(
        ImportBatch,
        on_delete=models.PROTECT,
        related_name="replacements",
        verbose_name=_("ersetzt durch"),
    )

    class Meta:
        verbose_name = _("ersetzter Wert")
        verbose_name_plural = _("ersetzte Werte")
        indexes = [models.Index(fields=["indicator", "area", "period"], name="revision_cell")]


class ProtectionMask(models.Model):
    """Which cells disclosure control hides for one indicator and period, for one data state.

    Protection is a function of the stored values, the thresholds and sums and the
    areas; it is computed once per state (:mod:`quartier.indicators.maskstore`)
    and shared by every server process and every restart, so that no process
    pays the cold protection of a family again. ``state`` is a digest of all
    that the masks depend on; a row for another state is never read.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    state = models.CharField(max_length=64)
    masks = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "state"], name="protection_mask_unique"
            )
        ]


class DataStamp(models.Model):
    """A token that changes whenever the stored values of one indicator change.

    Written in the same transaction as the values (:func:`quartier.indicators.
    datastate.changed`), so every process that sees the new values sees the new
    token too: caches keyed by the tokens of what they were computed from are
    dropped only when those inputs change. Tokens are random, never reused; an
    indicator without a row has token 0 (no values written since stamps exist).
    """

    indicator = models.OneToOneField(
        Indicator, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    token = models.BigIntegerField()


class CatalogueStamp(models.Model):
    """One row whose token changes with every write to the indicator catalogue.

    Database triggers (:mod:`quartier.indicators.catalogue`) set a new random token
    whenever a row of the indicators, their units or their links is inserted,
    updated or deleted — in the writing transaction, also for bulk ``update()``
    and raw SQL, which send no Django signals. A process keeps the catalogue read
    under one token until the token changes.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.BigIntegerField(default=0)


class PackedValues(models.Model):
    """The stored values of one indicator and period packed into one row (a copy).

    Written by :mod:`quartier.indicators.valuestore` when a process has read the
    values row by row, read by the next process instead of those rows. Used only
    under the indicator's data stamp and the value rows' count and highest id it was
    packed with.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    stamp = models.BigIntegerField()
    rows = models.BigIntegerField()
    last_id = models.BigIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period"], name="packed_values_unique")
        ]
