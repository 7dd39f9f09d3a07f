"""The public contribution form and the staff forms (new procedure, moderation)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from quartier.participation import guard
from quartier.participation.models import Category, Contribution, Procedure
from quartier.participation.places import locate, procedure_areas
from quartier.participation.symbols import DEFAULT_CATEGORIES

# Contact data in the free text would make a contribution personal: refused, not stored.
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+"  # an e-mail address
    r"|(?:\+|\b0)\d[\d /-]{6,}\d"  # a phone number
)


class ContributionForm(forms.Form):
    """Category, place (a pin on the map or a place from the list), age group, a sentence."""

    kategorie = forms.ChoiceField(label=_("Was möchtest du sagen?"), widget=forms.RadioSelect)
    ort = forms.ChoiceField(label=_("Ort aus der Liste"), required=False)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    alter = forms.ChoiceField(
        label=_("Wie alt bist du? (freiwillig)"), required=False, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Möchtest du etwas dazu schreiben? (freiwillig)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
        help_text=_("Bitte keine Namen, Telefonnummern oder E-Mail-Adressen."),
    )
    token = forms.CharField(widget=forms.HiddenInput)
    # The honeypot: hidden from people (CSS and aria-hidden), filled in by bots.
    webseite = forms.CharField(required=False, label=_("Bitte leer lassen"))

    def __init__(self, procedure: Procedure, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.categories = {str(c.pk): c for c in procedure.categories.all()}
        self.fields["kategorie"].choices = [(k, c.label) for k, c in self.categories.items()]
        self.places = {a.code: a for a in procedure_areas(procedure)}
        self.fields["ort"].choices = [("", _("– Ort wählen –"))] + [
            (code, area.name) for code, area in self.places.items()
        ]
        self.fields["alter"].choices = [("", _("sage ich nicht"))] + list(
            Contribution.AgeGroup.choices
        )
        if not procedure.ask_age:
            del self.fields["alter"]
        if not procedure.ask_text:
            del self.fields["text"]

    def clean_text(self) -> str:
        """The sentence, refused if it holds an e-mail address or a phone number."""
        text = self.cleaned_data.get("text", "").strip()
        if _CONTACT.search(text):
            raise forms.ValidationError(
                _("Bitte schreibe keine Telefonnummern oder E-Mail-Adressen.")
            )
        return text

    def clean(self):
        """The place: the pin's area (inside the procedure's area) or the chosen place."""
        data = super().clean()
        if data.get(guard.HONEYPOT):
            raise forms.ValidationError(_("Das Formular konnte nicht gesendet werden."))
        problem = guard.token_problem(self.procedure, data.get("token", ""))
        if problem:
            raise forms.ValidationError(problem)
        lon, lat = data.get("lon"), data.get("lat")
        if lon is not None and lat is not None:
            area = locate(self.procedure, lon, lat)
            if area is None:
                self.add_error(
                    "ort",
                    _("Der Punkt liegt außerhalb des Gebiets. Bitte wähle einen Ort in der Liste."),
                )
            data["area"] = area
        elif data.get("ort"):
            data["area"] = self.places.get(data["ort"])
            data["lon"] = data["lat"] = None
        else:
            self.add_error(
                "ort",
                _("Bitte setze einen Punkt auf der Karte oder wähle einen Ort aus der Liste."),
            )
        return data

    def save(self) -> Contribution:
        """Store the contribution, waiting for moderation."""
        data = self.cleaned_data
        return Contribution.objects.create(
            procedure=self.procedure,
            category=self.categories[data["kategorie"]],
            area=data["area"],
            lon=data.get("lon"),
            lat=data.get("lat"),
            age_group=data.get("alter", "") or "",
            text=data.get("text", "") or "",
        )


class ProcedureForm(forms.ModelForm):
    """A new procedure; its areas are those of ``level`` inside the chosen area."""

    within = forms.ModelChoiceField(
        queryset=None,
        label=_("Gebiet"),
        help_text=_("Das Verfahren umfasst alle Gebiete der gewählten Ebene in diesem Gebiet."),
    )
    kategorien = forms.CharField(
        label=_("Kategorien"),
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="\n".join(f"{symbol}: {label}" for _code, label, symbol in DEFAULT_CATEGORIES),
        help_text=_(
            "Eine je Zeile: Symbol (herz, warnung, plus, stern, kreis), Doppelpunkt, Text."
        ),
    )

    class Meta:
        model = Procedure
        fields = ["key", "title", "question", "audience", "owner", "level", "opens", "closes",
                  "ask_age", "ask_text"]  # fmt: skip
        widgets = {
            "opens": forms.DateInput(attrs={"type": "date"}),
            "closes": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, units=None, **kwargs):
        from quartier.spatial.models import Area

        super().__init__(*args, **kwargs)
        from quartier.spatial.index import area_index

        # The city and the two levels below it: a few hundred areas at most in the list.
        coarse = [level.pk for level in area_index().levels[:3]]
        self.fields["within"].queryset = (
            Area.objects.filter(valid_to__isnull=True, level_id__in=coarse)
            .select_related("level")
            .order_by("level__order", "name")
        )
        if units is not None:
            self.fields["owner"].queryset = units

    def clean_kategorien(self) -> list[tuple[str, str]]:
        """(symbol, label) per line; at least one, symbols from the known ones."""
        from quartier.participation.symbols import SYMBOLS

        found = []
        for line in self.cleaned_data["kategorien"].splitlines():
            symbol, _sep, label = line.partition(":")
            symbol, label = symbol.strip(), label.strip()
            if not line.strip():
                continue
            if symbol not in SYMBOLS or not label:
                raise forms.ValidationError(
                    _("Zeile „%(line)s“: Symbol und Text, getrennt durch einen Doppelpunkt.")
                    % {"line": line.strip()}
                )
            found.append((symbol, label))
        if not found:
            raise forms.ValidationError(_("Mindestens eine Kategorie."))
        return found

    def clean(self):
        """Opening before closing, and some areas of the level in the chosen area."""
        data = super().clean()
        if data.get("opens") and data.get("closes") and data["opens"] > data["closes"]:
            self.add_error("closes", _("Das Ende liegt vor dem Beginn."))
        return data

    def save(self, commit=True) -> Procedure:
        """The procedure with its areas and categories."""
        from quartier.spatial.index import area_index
        from quartier.spatial.models import Area

        procedure = super().save()
        inside = area_index().within({self.cleaned_data["within"].pk}).tolist()
        procedure.areas.set(
            Area.objects.filter(level=procedure.level, id__in=inside, valid_to__isnull=True)
        )
        for order, (symbol, label) in enumerate(self.cleaned_data["kategorien"]):
            code = re.sub(r"[^a-z0-9]+", "-", label.lower())[:24].strip("-") or f"k{order}"
            Category.objects.create(
                procedure=procedure, code=f"{order + 1}-{code}", label=label, symbol=symbol,
                sort_order=order,
            )  # fmt: skip
        return procedure
