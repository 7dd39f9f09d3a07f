"""The profile's charts: image addresses, alternative texts and the tables of their numbers.

Worked out in Python, not in the template: a profile has some thirty charts with a
table each, and the template language would spend more time on them than the
read layer spends on the values (issue 15: a profile page in 100 ms).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

from quartier.access.territories import whole_label, whole_label_id
from quartier.explorer import chartdata
from quartier.explorer.profile import Profile, ProfileRow
from quartier.explorer.profiledisplay import Formatter, escaped
from quartier.explorer.units import name_with_unit
from quartier.spatial.models import Area


def add_figures(profile: Profile, area: Area, fmt: Formatter | None = None) -> None:
    """Give every chartable row of ``profile`` its ``figure`` (None for types and classes)."""
    fmt = fmt or Formatter()
    # One reverse per kind of chart; the rows only change the indicator's key.
    series_url = reverse("explorer:time_series_chart", args=[area.level.key, area.code, "KEY"])
    spread_url = reverse("explorer:distribution_chart", args=["KEY"])
    table_url = reverse("explorer:table")
    for row in profile.rows:
        if not chartdata.chartable(row.indicator):
            row.figure = None
            continue
        key = row.indicator.key
        query = urlencode(
            {"ebene": area.level.key, "stichtag": row.period.isoformat(), "gebiet": area.code}
        )
        row.figure = {
            "caption": name_with_unit(row.indicator.name, row.indicator.unit),
            "series_url": series_url.replace("KEY", key),
            "series_alt": series_alt(row, area, fmt),
            "spread_url": spread_url.replace("KEY", key) + "?" + query,
            "spread_alt": _spread_alt(row, area, fmt),
            "table_url": f"{table_url}?indikator={key}&{query}#werte",
            "numbers_html": numbers_html(row, profile.parent is not None, fmt),
        }


def table_texts(profile: Profile, area: Area) -> dict:
    """Caption, header row and link text shared by every chart's table of the profile."""
    columns = [area.name]
    if profile.parent is not None:
        columns.append(profile.parent.name)
    columns.append(whole_label())
    head = format_html('<th scope="col">{}</th>', gettext("Stichtag")) + format_html_join(
        "", '<th scope="col" class="num">{}</th>', ((c,) for c in columns)
    )
    link = gettext("Alle Werte der Ebene %(level)s als Tabelle (die Zahlen der Verteilung)")
    return {
        "numbers_caption": gettext("Zahlen zur Zeitreihe"),
        "numbers_head": head,
        "numbers_link": link % {"level": area.level.name},
    }


def series_alt(row: ProfileRow, area: Area, fmt: Formatter | None = None) -> str:
    """The alternative text of ``row``'s time-series chart (its numbers are in a table)."""
    translate = fmt.text if fmt else gettext
    names = {"name": row.indicator.name, "area": area.name}
    if chartdata.city_in_chart(row.indicator):
        return (
            translate(
                gettext_noop(
                    "Zeitreihe %(name)s: %(area)s, übergeordnetes Gebiet und Gesamtstadt; Lücken "
                    "markieren fehlende oder geheime Werte. Die Zahlen stehen in der Tabelle "
                    "daneben."
                )
            )
            % names
        )
    return (
        translate(
            gettext_noop(
                "Zeitreihe %(name)s: nur %(area)s (eine Anzahl, neben der Stadt nicht "
                "ablesbar); Lücken markieren fehlende oder geheime Werte. Die Zahlen stehen in "
                "der Tabelle daneben."
            )
        )
        % names
    )


def _spread_alt(row: ProfileRow, area: Area, fmt: Formatter) -> str:
    text = fmt.text(
        gettext_noop("Verteilung von %(name)s über alle Gebiete der Ebene %(level)s am %(when)s")
    ) % {
        "name": row.indicator.name,
        "level": area.level.name,
        "when": fmt.period(row.period),
    }
    if row.status.shown:
        text += f": {area.name} {fmt.shown(row.value, row.indicator)}"
        if row.rank:
            text += f", {fmt.text(gettext_noop('Rang'))} {row.rank}/{row.rank_of}"
    else:
        text += f": {area.name} {fmt.status_label(row.status) or '–'}"
    if chartdata.city_in_chart(row.indicator) and row.city_value is not None:
        city = fmt.text(whole_label_id())
        text += f", {city} {fmt.shown(row.city_value, row.indicator)}"
    return text + "."


def numbers(row: ProfileRow, fmt: Formatter | None = None) -> list[tuple]:
    """(Stichtag, area, parent or None, city) per period, as the table shows them."""
    fmt = fmt or Formatter()
    indicator = row.indicator
    out = []
    for when, own, parent, city in row.series_table:
        out.append(
            (
                fmt.period(when),
                fmt.cell(own[0], own[1], indicator),
                fmt.cell(parent[0], parent[1], indicator) if parent else "–",
                fmt.shown(city, indicator),
            )
        )
    return out


def numbers_html(row: ProfileRow, with_parent: bool, fmt: Formatter) -> SafeString:
    """The rows of the table of :func:`numbers`, each followed by the template's indentation.

    A profile has some 1,300 of these cells; they are escaped with the standard
    library (:func:`escaped`), which gives the text Django's ``format_html`` would
    give without its lazy-text checks on every argument — a third of the page's time.
    """
    rows = []
    for when, own, parent, city in numbers(row, fmt):
        values = (own, parent, city) if with_parent else (own, city)
        cells = "".join(f'<td class="num">{escaped(value)}</td>' for value in values)
        rows.append(f'<tr><th scope="row">{escaped(when)}</th>{cells}</tr>\n    ')
    return mark_safe("".join(rows))  # every part escaped above
