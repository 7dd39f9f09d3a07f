"""The metadata every export carries: what, when, by whom, definitions, disclosure notes.

The writers lay these out in their own way (a sheet, a block after the CSV
table, a table in the GeoPackage, a member of the GeoJSON object); the content is
assembled once, here. Text is plain; CSV and XLSX writers neutralise it.
"""

from __future__ import annotations

import json
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quartier.access.territories import installation_name
from quartier.exports.selection import ExportData
from quartier.indicators.models import Indicator


def disclosure_note(spatial: bool) -> str:
    """What hidden and missing values look like in the file."""
    if spatial:
        return _(
            "Geheime Werte (zu kleine Fallzahl, oder aus anderen Werten errechenbar) und "
            "fehlende Werte sind leer (null); die Spalte „<Spalte>_status“ sagt, welches: "
            "„geheim“ oder „keine Daten“. „vertraulich“ steht bei Werten, die andere nur "
            "geheim sehen."
        )
    return _(
        "„.“ = geheim (Geheimhaltung): zu kleine Fallzahl, oder der Wert ließe sich sonst "
        "aus anderen Werten errechnen. Leeres Feld = keine Daten."
    )


def confidential_note() -> str:
    """The warning for files with values that are hidden for others."""
    return _(
        "VERTRAULICH: Diese Datei enthält Werte, die wegen kleiner Fallzahlen für andere "
        "geheim sind. Nicht weitergeben und nicht veröffentlichen."
    )


def _dates(periods: list[date]) -> str:
    return ", ".join(f"{p:%d.%m.%Y}" for p in periods)


def general(data: ExportData, spatial: bool = False) -> list[tuple[str, str]]:
    """(label, text) pairs describing the whole export."""
    selection = data.selection
    items = [
        (_("Titel"), _("Export aus Quartier – %(town)s") % {"town": _municipality()}),
        (_("Exportiert am"), f"{data.created:%d.%m.%Y %H:%M}"),
        (_("Exportiert von"), data.username or _("öffentliches Portal (nicht angemeldet)")),
        (
            _("Raumebenen"),
            ", ".join(f"{level.key} ({level.name})" for level in selection.levels),
        ),
        (
            _("Stichtage"),
            _("jeweils der neueste mit Werten: %(dates)s")
            % {"dates": _dates(selection.all_periods)}
            if selection.latest
            else _dates(selection.all_periods),
        ),
        (_("Geheimhaltung"), disclosure_note(spatial)),
    ]
    if data.confidential:
        items.append((_("Vertraulich"), confidential_note()))
    items.append(
        (
            _("Hinweise"),
            _(
                "Werte gerundet auf die Nachkommastellen des Indikators. Gebietsschlüssel "
                "sind Text: führende Nullen gehören dazu."
            ),
        )
    )
    return items


#: Fields of the indicator table: stable names (GeoPackage columns, JSON keys) and labels.
INDICATOR_FIELDS = [
    ("kuerzel", gettext_lazy("Kürzel")),
    ("name", gettext_lazy("Name")),
    ("beschreibung", gettext_lazy("Beschreibung")),
    ("einheit", gettext_lazy("Einheit")),
    ("art", gettext_lazy("Art")),
    ("handlungsfeld", gettext_lazy("Handlungsfeld")),
    ("sichtbarkeit", gettext_lazy("Sichtbarkeit")),
    ("quelle", gettext_lazy("Quelle")),
    ("verantwortlich", gettext_lazy("verantwortlich")),
    ("hinweis_stichtag", gettext_lazy("Hinweis zum Stichtag")),
    ("nachkommastellen", gettext_lazy("Nachkommastellen")),
    ("stichtage", gettext_lazy("Stichtage im Export")),
    ("berechnung", gettext_lazy("Berechnung")),
    ("kategorien", gettext_lazy("Kategorien")),
]


def indicator_headers() -> list[str]:
    """Column labels of the indicator table (matching :func:`indicator_rows`)."""
    return [str(label) for _name, label in INDICATOR_FIELDS]


def indicator_records(data: ExportData) -> list[dict[str, str]]:
    """One dict of text per indicator, keyed by the names in :data:`INDICATOR_FIELDS`."""
    selection = data.selection
    return [
        {
            "kuerzel": ind.key,
            "name": ind.name,
            "beschreibung": ind.description,
            "einheit": ind.unit,
            "art": str(ind.get_kind_display()),
            "handlungsfeld": str(ind.get_topic_display()),
            "sichtbarkeit": str(ind.get_visibility_display()),
            "quelle": ind.source,
            "verantwortlich": ind.owner.name if ind.owner_id else "",
            "hinweis_stichtag": ind.reference_note,
            "nachkommastellen": str(ind.decimals),
            "stichtage": _dates(selection.periods.get(ind.pk, [])),
            "berechnung": definition(ind, data.sum_parts.get(ind.pk, [])),
            "kategorien": categories(ind),
        }
        for ind in selection.indicators
    ]


def indicator_rows(data: ExportData) -> list[list[str]]:
    """One row of text per indicator, in the order of :func:`indicator_headers`."""
    return [
        [record[name] for name, _label in INDICATOR_FIELDS] for record in indicator_records(data)
    ]


def definition(indicator: Indicator, sum_of: list[Indicator] = ()) -> str:
    """How the indicator's values come about: the formula, the sum, the weight, the analysis.

    ``sum_of`` are the parts of a sum the exporting user may see.
    """
    parts = []
    if sum_of:
        names = ", ".join(f"{p.key} ({p.name})" for p in sum_of)
        parts.append(_("Summe aus %(parts)s") % {"parts": names})
    if indicator.is_computed:
        num, den = indicator.numerator, indicator.denominator
        parts.append(
            _("Zähler %(num)s ÷ Nenner %(den)s × %(factor)s")
            % {
                "num": f"{num.key} ({num.name})",
                "den": f"{den.key} ({den.name})",
                "factor": f"{indicator.factor:g}",
            }
        )
    if indicator.weight_id:
        parts.append(
            _("höhere Ebenen: Mittel gewichtet mit %(weight)s")
            % {"weight": f"{indicator.weight.key} ({indicator.weight.name})"}
        )
    if indicator.definition:
        parts.append(json.dumps(indicator.definition, ensure_ascii=False, sort_keys=True))
    return "; ".join(parts)


def categories(indicator: Indicator) -> str:
    """Codes and labels of a class or type indicator ("1 = …; 2 = …")."""
    return "; ".join(f"{c.get('code')} = {c.get('label', '')}" for c in indicator.categories or [])


def _municipality() -> str:
    return installation_name()
