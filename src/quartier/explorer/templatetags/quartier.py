"""Template filters for numbers and periods, formatted for the active language."""

from __future__ import annotations

import math

from django import template
from django.utils import formats, numberformat
from django.utils.html import format_html
from django.utils.translation import get_language, gettext

from quartier.core.numbers import round_half_up

register = template.Library()


@register.filter
def number(value, decimals=0):
    """A number with grouping and the locale's decimal mark; "–" when missing."""
    return number_with(separators(), value, int(decimals))


def separators() -> tuple:
    """The active language's (decimal mark, grouping, thousands mark) for :func:`number_with`."""
    language = get_language()
    return tuple(
        formats.get_format(name, language, use_l10n=True)
        for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
    )


def number_with(marks: tuple, value, decimals: int) -> str:
    """:func:`number` with the :func:`separators` looked up once (a page formats thousands)."""
    value = round_half_up(value, decimals)
    if value is None:
        return "–"
    decimal_mark, grouping, thousands_mark = marks
    if grouping == 3 and 0 <= decimals <= 14 and abs(value) < _EXACT[decimals]:
        # The common case (groups of three, as in German and English) through Python's
        # own formatting: the same text as Django's numberformat at a fifth of its cost
        # (a profile page formats some 1,400 numbers). The value is already rounded, and
        # up to 15 significant digits a float prints as the decimal it stands for, so
        # nothing differs (tests/explorer/test_number_format.py compares).
        return format(value, _SPECS[decimals]).translate(_marks_table(decimal_mark, thousands_mark))
    return numberformat.format(
        value, decimal_mark, decimals, grouping, thousands_mark, force_grouping=True, use_l10n=True
    )


_SPECS = [f",.{decimals}f" for decimals in range(15)]
_EXACT = [10.0 ** (15 - decimals) for decimals in range(15)]
_TABLES: dict[tuple[str, str], dict] = {}


def _marks_table(decimal_mark: str, thousands_mark: str) -> dict:
    """The ``str.translate`` table from Python's "," and "." to the locale's marks."""
    try:
        return _TABLES[decimal_mark, thousands_mark]
    except KeyError:
        table = _TABLES[decimal_mark, thousands_mark] = str.maketrans(
            {",": thousands_mark, ".": decimal_mark}
        )
        return table


@register.filter
def period(value):
    """A period (date) in the locale's short date format."""
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


@register.filter
def signed(value, decimals=0):
    """A number with an explicit sign (+/−), e.g. for deviations and changes."""
    return signed_with(separators(), value, decimals)


def signed_with(marks: tuple, value, decimals) -> str:
    """:func:`signed` with the :func:`separators` looked up once."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = number_with(marks, abs(value), int(decimals))
    if round_half_up(value, int(decimals)) == 0:
        return text
    return ("+" if value > 0 else "−") + text


@register.filter
def km2(value):
    """Square metres as square kilometres with two decimals."""
    return number(value / 1e6, 2) if value is not None else "–"


@register.simple_tag
def shown(value, indicator, decimals=None):
    """A value as users read it: the category label for types and classes, else the number."""
    return shown_with(separators(), value, indicator, decimals)


def shown_with(marks: tuple, value, indicator, decimals=None) -> str:
    """:func:`shown` with the :func:`separators` looked up once."""
    if indicator is not None and getattr(indicator, "categories", None):
        label = indicator.category_label(value)
        if label is not None:
            return label
    return number_with(marks, value, int(indicator.decimals if decimals is None else decimals))


@register.simple_tag
def cell(value, status, indicator, decimals=None):
    """A value in a table: "•" when hidden (geheim), marked "V" when confidential (vertraulich).

    ``status`` is a :class:`~quartier.indicators.status.Status`; the marks come from it,
    so every page shows the same ones.
    """
    return cell_with(separators(), cell_marks(), value, status, indicator, decimals)


def cell_marks() -> tuple:
    """The active language's (HTML of a secret cell, title of the confidential mark)."""
    from quartier.indicators.status import Status

    title = gettext("geheim: zu kleine Fallzahl (Geheimhaltung)")
    secret = format_html('<abbr title="{}">{}</abbr>', title, Status.SUPPRESSED.mark)
    return secret, gettext("vertraulich: nicht für alle sichtbar")


def cell_with(marks: tuple, cell_texts: tuple, value, status, indicator, decimals=None):
    """:func:`cell` with the :func:`separators` and :func:`cell_marks` looked up once."""
    from quartier.indicators.status import Status

    status = Status(status)
    secret, confidential_title = cell_texts
    if status == Status.SUPPRESSED:
        return secret
    text = shown_with(marks, value, indicator, decimals)
    if status == Status.CONFIDENTIAL:
        return format_html(
            '{} <span class="confidential-mark" title="{}">{}</span>',
            text,
            confidential_title,
            status.mark,
        )
    return text


@register.filter
def with_unit(indicator):
    """The indicator's name with its unit in brackets, never twice."""
    from quartier.explorer.units import name_with_unit

    return name_with_unit(indicator.name, indicator.unit)


@register.filter
def points_unit(indicator):
    """Unit of differences of the indicator's values (Prozentpunkte for shares in %)."""
    from quartier.explorer.units import difference_unit

    return difference_unit(indicator.unit)


@register.simple_tag
def deviation(value, city, indicator):
    """Deviation from the city value with its unit: "+2,3 Prozentpunkte", "+1,2 Jahre".

    Counts are not compared by difference (a block minus the whole city says
    nothing); they get "4,1 % der Stadt" instead, explicitly named as a share.
    """
    from quartier.explorer.units import difference, difference_unit, share_of
    from quartier.indicators.models import Kind

    if indicator.kind == Kind.COUNT:
        share = share_of(value, city)
        if share is None:
            return "–"
        return gettext("%(share)s %% der Stadt") % {"share": number(share, 1)}
    delta = difference(value, city)
    if delta is None:
        return "–"
    unit = difference_unit(indicator.unit)
    text = signed(delta, indicator.decimals)
    return f"{text} {unit}" if unit else text
