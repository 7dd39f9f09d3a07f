"""A Sozialbericht from its definition: chapters of maps, charts and tables for a Stichtag.

Read through the read layer with the rights of whoever runs it (not the author's):
indicators that user may not see are left out, and the chapter says how many, never
which. The same content becomes a tagged PDF (WeasyPrint) or an ODT that departments
edit further (odfpy); both say VERTRAULICH when they hold values others see hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from quartier.access.territories import whole_texts
from quartier.charts import render
from quartier.explorer import chartdata
from quartier.explorer.templatetags.quartier import number, shown
from quartier.explorer.templatetags.quartier import period as period_text
from quartier.indicators import readlayer
from quartier.indicators.status import Status
from quartier.reports.choropleth import choropleth
from quartier.reports.models import ReportDefinition
from quartier.reports.pdf import data_url, html_to_pdf
from quartier.reports.steckbrief import Report, page_numbers
from quartier.spatial.models import Area


@dataclass
class Section:
    """One indicator of a chapter: map, chart and the table of its values."""

    indicator: object
    level: object
    period: date
    rows: list[tuple]  # (rank, code, name, shown text)
    city: str
    confidential: bool
    map_image: bytes | None = None
    map_alt: str = ""
    chart_image: bytes | None = None
    chart_alt: str = ""


@dataclass
class Chapter:
    """A chapter: its title and text, its sections, and how many indicators were left out."""

    title: str
    text: str
    sections: list[Section] = field(default_factory=list)
    left_out: int = 0

    @property
    def note(self) -> str:
        """What the chapter lacks, without naming it (names may be secret)."""
        if not self.left_out:
            return ""
        return _(
            "%(count)s Indikatoren dieses Kapitels fehlen: für Sie nicht sichtbar oder ohne "
            "Werte bis zum Stichtag."
        ) % {"count": self.left_out}


def marks_note() -> str:
    """What the marks in the tables mean."""
    return _(
        "Zeichen in den Tabellen: • geheim (zu kleine Fallzahl oder errechenbar), – keine "
        "Daten, V vertraulich (für andere geheim)."
    )


def build(user, definition: ReportDefinition, period: date | None, image: str) -> list[Chapter]:
    """The chapters of ``definition`` as ``user`` may see them on ``period`` (None: latest).

    ``image`` is "svg" (PDF) or "png" (ODT).
    """
    reader = readlayer.reader(user)
    periods = reader.periods_by_indicator()
    levels = {lv.key: lv for lv in reader.index.levels}
    visible = {i.key: i for i in reader.visible()}
    chapters = []
    for spec in definition.chapters:
        chapter = Chapter(spec.get("title", ""), spec.get("text", ""))
        level = levels.get(spec.get("level"))
        for key in spec.get("indicators", []):
            indicator = visible.get(key)
            own = periods.get(indicator.id, []) if indicator is not None else []
            when = [p for p in own if period is None or p <= period]
            if indicator is None or level is None or not when:
                chapter.left_out += 1
                continue
            chapter.sections.append(_section(reader, indicator, level, when[-1], spec, image))
        chapters.append(chapter)
    return chapters


def _section(reader, indicator, level, when: date, spec: dict, image: str) -> Section:
    result = reader.values(indicator, level, when)
    city_value = reader.total(indicator, when)
    order = np.argsort(-np.nan_to_num(result.values, nan=-np.inf), kind="stable")
    rows, rank = [], 0
    for i in order:
        status = Status(result.status[i])
        if status in (Status.OK, Status.CONFIDENTIAL) and not np.isnan(result.values[i]):
            rank += 1
            text = shown(result.values[i], indicator)
            text += " V" if status == Status.CONFIDENTIAL else ""
            rows.append((rank, result.codes[i], result.names[i], text))
        else:
            rows.append(("", result.codes[i], result.names[i], status.mark or "–"))
    section = Section(
        indicator, level, when, rows, shown(city_value, indicator), result.confidential
    )
    names = {"name": indicator.name, "level": level.name, "when": period_text(when)}
    if spec.get("map"):
        section.map_image = _map(result, level, when, image, indicator.decimals)
        section.map_alt = (
            _("Karte: %(name)s nach %(level)s am %(when)s; die Werte stehen in der Tabelle.")
            % names
        )
    if spec.get("chart"):
        chart = chartdata.distribution(result, city_value)
        if image == "svg":
            section.chart_image = render.svg(chart, width=5.0).encode()
        else:  # text processors show SVG unreliably
            section.chart_image = render.png(chart, width=5.0)
        section.chart_alt = (
            _("Diagramm: Verteilung von %(name)s über die Gebiete der Ebene %(level)s am "
              "%(when)s; die Werte stehen in der Tabelle.") % names
        )  # fmt: skip
    return section


def _map(result, level, when: date, image: str, decimals: int) -> bytes:
    by_code = {
        a.code: a.shape
        for a in Area.objects.filter(level=level, code__in=result.codes)
        if (a.valid_from is None or a.valid_from <= when)
        and (a.valid_to is None or a.valid_to > when)
    }
    shapes = [by_code[c] for c in result.codes]
    labels = {
        "secret": _("geheim"),
        "missing": _("keine Daten"),
        "north": _("N"),
        "number": number,
        "decimals": decimals,
    }
    return choropleth(shapes, result.values, result.status, labels, fmt=image)


def run(user, definition: ReportDefinition, period: date | None, fmt: str) -> Report:
    """The report as PDF (``fmt`` "pdf") or ODT ("odt")."""
    # PNG in both: WeasyPrint draws SVG images node by node (slow for maps of many areas).
    chapters = build(user, definition, period, "png")
    sections = [s for c in chapters for s in c.sections]
    confidential = any(s.confidential for s in sections)
    when = max((s.period for s in sections), default=period)
    sources = sorted({s.indicator.source for s in sections if s.indicator.source})
    context = {
        "definition": definition,
        "chapters": chapters,
        "stichtag": when,
        "confidential": confidential,
        "sources": sources,
        "created": timezone.localtime(),
        "language": get_language() or "de",
        "marks_note": marks_note(),
        **whole_texts(),
    }
    stem = f"sozialbericht_{definition.pk}_{when:%Y-%m-%d}" if when else "sozialbericht"
    stem += "_vertraulich" if confidential else ""
    if fmt == "odt":
        from quartier.reports.odt import write_odt

        return Report(write_odt(context), f"{stem}.odt", confidential)
    for section in sections:
        for kind in ("map", "chart"):
            image = getattr(section, f"{kind}_image")
            setattr(section, f"{kind}_url", data_url(image, "image/png") if image else "")
    html = render_to_string(
        "reports/sozialbericht.html", {**context, "page_numbers": page_numbers()}
    )
    return Report(html_to_pdf(html), f"{stem}.pdf", confidential)
