"""The Sozialbericht builder's form: title, introduction and up to eight chapters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from quartier.indicators import readlayer
from quartier.indicators.models import Topic

CHAPTERS = 8  # one per Handlungsfeld fits


class DefinitionForm(forms.Form):
    """Title and introduction of a report."""

    title = forms.CharField(label=_("Titel"), max_length=200)
    introduction = forms.CharField(
        label=_("Einleitung"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class ChapterForm(forms.Form):
    """One chapter: its indicators at a level, with map and chart, and free text.

    The choices are what the author may see; an empty title leaves the slot unused.
    """

    title = forms.CharField(label=_("Kapitelüberschrift"), max_length=200, required=False)
    level = forms.ChoiceField(label=_("Ebene"), required=False)
    indicators = forms.MultipleChoiceField(
        label=_("Indikatoren"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    map = forms.BooleanField(label=_("mit Karte"), required=False, initial=True)
    chart = forms.BooleanField(label=_("mit Diagramm (Verteilung)"), required=False, initial=True)
    text = forms.CharField(
        label=_("Text des Kapitels"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        reader = readlayer.reader(user)
        self.fields["level"].choices = [(lv.key, lv.name) for lv in reader.index.levels]
        self.fields["indicators"].choices = [(i.key, i.name) for i in reader.visible()]

    def clean(self):
        """A used chapter needs a level and at least one indicator."""
        data = super().clean()
        if data.get("title") and (not data.get("level") or not data.get("indicators")):
            raise forms.ValidationError(_("Ein Kapitel braucht eine Ebene und Indikatoren."))
        return data


def chapter_forms(user, data=None, initial: list[dict] | None = None) -> list[ChapterForm]:
    """The eight chapter slots, bound to ``data`` or filled from ``initial``."""
    initial = list(initial or [])
    slots = []
    for number in range(CHAPTERS):
        start = initial[number] if number < len(initial) else {"map": True, "chart": True}
        slots.append(ChapterForm(data, user=user, prefix=f"k{number}", initial=start))
    return slots


def chapters_from(slots: list[ChapterForm]) -> list[dict]:
    """The used chapters of valid slots, as stored."""
    out = []
    for slot in slots:
        data = slot.cleaned_data
        if data.get("title"):
            out.append(
                {
                    "title": data["title"],
                    "text": data["text"],
                    "level": data["level"],
                    "indicators": list(data["indicators"]),
                    "map": bool(data["map"]),
                    "chart": bool(data["chart"]),
                }
            )
    return out


def default_chapters(user) -> list[dict]:
    """A new report's chapters: one per Handlungsfeld with the user's key figures in it."""
    reader = readlayer.reader(user)
    levels = reader.index.levels
    level = next((lv.key for lv in levels if lv.key == "sozialraum"), None)
    level = level or (levels[len(levels) // 2].key if levels else "")
    chapters = []
    for value, label in Topic.choices:
        keys = [i.key for i in reader.visible() if i.topic == value and i.key_figure]
        if keys:
            chapters.append(
                {"title": str(label), "text": "", "level": level, "indicators": keys,
                 "map": True, "chart": True}
            )  # fmt: skip
    return chapters[:CHAPTERS]
