"""The profile table's cells as text, worked out in Python instead of template tags.

A profile has some forty rows of eight cells and thirty tables of numbers; each
template tag call (``cell``, ``shown``, ``signed``, ``period`` …) looks the
language's formats up again and goes through the template engine. A
:class:`Formatter` looks them up once per page and gives the same text as the
tags of :mod:`quartier.explorer.templatetags.quartier` (issue 15: a profile page
in 100 ms).
"""

from __future__ import annotations

import html

from django.urls import reverse
from django.utils import dateformat, formats
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from quartier.explorer.templatetags.quartier import (
    cell_marks,
    cell_with,
    number_with,
    separators,
    shown_with,
    signed_with,
)
from quartier.explorer.units import difference_unit, name_with_unit
from quartier.indicators.status import Status


class Formatter:
    """The number, date and cell formats of the active language, looked up once.

    Gives exactly what the template tags ``number``, ``shown``, ``cell``, ``signed``
    and ``period`` give: both call the same ``…_with`` functions of the tags' module,
    the tags with the formats looked up on each call (tests/explorer compare them).
    """

    def __init__(self) -> None:
        self._marks = separators()
        self._cell_marks = cell_marks()
        self._dates: dict = {}
        self._years: dict = {}
        self._texts: dict = {}
        self._units: dict = {}

    def text(self, message: str) -> str:
        """``gettext(message)``, memoized for the page.

        The charts' texts repeat per row, and each gettext call looks the active
        language up again (cProfile: about 5 % of a profile page, single-threaded).
        """
        try:
            return self._texts[message]
        except KeyError:
            text = self._texts[message] = gettext(message)
            return text

    def status_label(self, status: Status) -> str:
        """Like ``status.label`` (the status word in the active language)."""
        return self.text(status.german) if status.german else ""

    def difference_unit(self, unit: str) -> str:
        """Like :func:`~quartier.explorer.units.difference_unit`, memoized per unit."""
        try:
            return self._units[unit]
        except KeyError:
            text = self._units[unit] = difference_unit(unit)
            return text

    def number(self, value, decimals: int = 0) -> str:
        """Like the ``number`` filter."""
        return number_with(self._marks, value, int(decimals))

    def signed(self, value, decimals: int = 0) -> str:
        """Like the ``signed`` filter."""
        return signed_with(self._marks, value, decimals)

    def period(self, value) -> str:
        """Like the ``period`` filter (memoized: a page has a dozen dates)."""
        if not value:
            return ""
        try:
            return self._dates[value]
        except KeyError:
            text = self._dates[value] = formats.date_format(value, "SHORT_DATE_FORMAT")
            return text

    def year(self, value) -> str:
        """Like ``value|date:"Y"``."""
        try:
            return self._years[value]
        except KeyError:
            text = self._years[value] = dateformat.format(value, "Y")
            return text

    def shown(self, value, indicator) -> str:
        """Like the ``shown`` tag."""
        return shown_with(self._marks, value, indicator)

    def cell(self, value, status: Status, indicator) -> str:
        """Like the ``cell`` tag: "•" for secret values, a "V" mark for confidential ones."""
        return cell_with(self._marks, self._cell_marks, value, status, indicator)


def escaped(text) -> str:
    """``conditional_escape(text)`` as a plain string: safe HTML as it is, other text escaped.

    The same characters as Django's ``escape`` (which calls :func:`html.escape`),
    without its lazy-text wrapper, for the thousands of cells of a page.
    """
    as_html = getattr(text, "__html__", None)
    return as_html() if as_html is not None else html.escape(str(text))


def add_cells(profile, area, fmt: Formatter) -> None:
    """Give every row of ``profile`` its ``cells``: the profile table's cells as safe HTML."""
    map_url = reverse("explorer:map")
    words = {
        "date": gettext("Stichtag"),
        "source": gettext("Quelle"),
        "share": gettext("%(share)s %% der Stadt"),
        "since": gettext("seit %(since)s"),
    }
    for row in profile.rows:
        row.cells = _cells(row, area, fmt, map_url, words)


def _cells(row, area, fmt: Formatter, map_url: str, words: dict) -> dict[str, SafeString]:
    indicator = row.indicator
    source = indicator.source
    head = format_html(
        '<a href="{}?indikator={}&amp;ebene={}&amp;gebiet={}">{}</a>'
        '<span class="help row-meta">{} {}{}</span>',
        map_url,
        indicator.key,
        area.level.key,
        area.code,
        name_with_unit(indicator.name, indicator.unit),
        words["date"],
        fmt.period(row.period),
        format_html(' · {}: <span class="source">{}</span>', words["source"], source)
        if source
        else "",
    )
    value = conditional_escape(fmt.cell(row.value, row.status, indicator))
    share = row.share_of_city
    if share is not None and row.status.shown:
        text = words["share"] % {"share": conditional_escape(fmt.number(share, 1))}
        value += format_html('<span class="help row-meta share">{}</span>', mark_safe(text))
    unit = fmt.difference_unit(indicator.unit)
    if row.deviation is not None and row.status.shown:
        deviation = fmt.signed(row.deviation, indicator.decimals) + (f" {unit}" if unit else "")
    else:
        deviation = "–"
    return {
        "head": head,
        "value": value,
        "parent": conditional_escape(fmt.shown(row.parent_value, indicator)),
        "city": conditional_escape(fmt.shown(row.city_value, indicator)),
        "deviation": conditional_escape(deviation),
        "rank": conditional_escape(f"{row.rank}/{row.rank_of}" if row.rank else "–"),
        "change": _change(row, fmt, unit, words),
    }


def _change(row, fmt: Formatter, unit: str, words: dict) -> SafeString:
    indicator = row.indicator
    if row.change_status == Status.SUPPRESSED:
        text = conditional_escape(fmt.cell(None, row.change_status, indicator))
    elif row.change is not None:
        text = conditional_escape(
            fmt.signed(row.change, indicator.decimals) + (f" {unit}" if unit else "")
        )
    else:
        text = conditional_escape("–")
    if row.change_since:
        since = words["since"] % {"since": conditional_escape(fmt.year(row.change_since))}
        text += format_html('<br><span class="help">{}</span>', mark_safe(since))
    return text
