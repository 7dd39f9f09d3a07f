"""The Steckbrief of an area as PDF: what its profile page shows, laid out for paper.

Read through the same read layer as the page (``explorer.profile.area_profile``): the
same visibility, the same disclosure control, the same confidential marks. A PDF that
holds values others see hidden says VERTRAULICH on every page and in its file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from quartier.access.territories import whole_texts
from quartier.charts import render
from quartier.explorer import chartdata
from quartier.explorer.profile import EARLIEST, Profile, area_profile
from quartier.explorer.profilecharts import numbers, series_alt, table_texts
from quartier.explorer.templatetags.quartier import number
from quartier.reports.locationmap import location_map
from quartier.reports.pdf import data_url, html_to_pdf
from quartier.spatial.models import Area


@dataclass
class Report:
    """A finished report file."""

    content: bytes
    filename: str
    confidential: bool


def steckbrief(user, area: Area, since: date | str = EARLIEST) -> Report:
    """The Steckbrief of ``area`` as ``user`` may see it, in the active language."""
    profile = area_profile(user, area, since=since)
    parent = area.parent
    labels = {
        "area": area.name,
        "neighbours": _("Nachbargebiete (%(level)s)") % {"level": area.level.name},
        "parent": f"{parent.level.name} {parent.name}" if parent else None,
        "north": _("N"),
        "number": number,
    }
    location = location_map(area, labels)
    rows = profile.rows
    html = render_to_string(
        "reports/steckbrief.html",
        {
            "profile": profile,
            "area": area,
            **whole_texts(),
            "language": get_language() or "de",
            "location_url": data_url(location, "image/png"),
            "charts": _charts(profile, area),
            **table_texts(profile, area),
            "stichtag": max((row.period for row in rows), default=None),
            "sources": sorted({row.indicator.source for row in rows if row.indicator.source}),
            "created": timezone.localtime(),
            "signed_in": user.is_authenticated,
            "page_numbers": page_numbers(),
        },
    )
    name = f"steckbrief_{area.level.key}_{area.code}"
    name += "_vertraulich.pdf" if profile.confidential else ".pdf"
    return Report(html_to_pdf(html), name, profile.confidential)


def _charts(profile: Profile, area: Area) -> list[dict]:
    """Time-series charts of the key figures (Kennzahlen), each with its numbers.

    As PNG (150 dpi): WeasyPrint draws an SVG chart node by node, which took half of a
    Steckbrief's time; the numbers are in the table beside each chart anyway.

    Only key figures: a chart costs about 0.1 s to draw, thirty of them per area would
    miss the target of 2 s per Steckbrief (and 3 min for all Sozialräume); every
    indicator's latest value, change and rank stand in the tables anyway.
    """
    charts = []
    for row in profile.rows:
        if row.indicator.key_figure and chartdata.chartable(row.indicator):
            picture = render.png(chartdata.time_series(row, area), width=3.4)
            charts.append(
                {
                    "row": row,
                    "url": data_url(picture, "image/png"),
                    "alt": series_alt(row, area),
                    "numbers": numbers(row),
                }
            )
    return charts


def page_numbers() -> str:
    """CSS ``content`` for "Seite 2 von 5" in the active language (counters of the PDF)."""
    text = _("Seite %(page)s von %(pages)s") % {
        "page": '" counter(page) "',
        "pages": '" counter(pages) "',
    }
    return f'"{text}"'
