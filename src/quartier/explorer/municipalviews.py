"""The Gemeindevergleich page: one indicator for every Gemeinde of a Kreis, and the small
areas of several Gemeinden on one map and table (data: :mod:`.municipal`).
"""

from __future__ import annotations

from datetime import date

import numpy as np
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from quartier.access.models import Territory
from quartier.core import palettes
from quartier.core.classification import classify
from quartier.errors import QuartierError
from quartier.explorer.catalogue import map_catalogue
from quartier.explorer.charts import choropleth
from quartier.explorer.municipal import compare_municipalities, small_levels
from quartier.explorer.templatetags.quartier import number
from quartier.indicators import readlayer
from quartier.spatial.models import Area


def _indicator(reader, key: str):
    """The asked indicator, else the map's headline one, else the first with values."""
    periods = reader.periods_by_indicator()
    for wanted in (key, settings.QUARTIER.map_indicator):
        if not wanted:
            continue
        try:
            found = reader.get_indicator(wanted)
        except QuartierError as exc:
            if wanted == key:
                raise Http404(exc.message) from exc
            continue
        if found.pk in periods:
            return found
    first = next((i for i in reader.visible() if i.pk in periods), None)
    if first is None:
        raise Http404("Es liegen keine Werte vor.")
    return first


def _period(text: str, periods: list[date]) -> date:
    try:
        wanted = date.fromisoformat(text)
    except ValueError:
        return periods[-1]
    return wanted if wanted in periods else periods[-1]


@require_safe
def municipal_page(request):
    """Gemeindevergleich: value, rank and deviation from the Kreis of every Gemeinde;
    ``gemeinde`` (repeated) adds the small areas of those Gemeinden at ``ebene``.
    """
    reader = readlayer.reader(request.user)
    indicator = _indicator(reader, request.GET.get("indikator", ""))
    periods = reader.periods_by_indicator().get(indicator.pk, [])
    if not periods:
        raise Http404(f"Für „{indicator.name}“ liegen keine Werte vor.")
    period = _period(request.GET.get("stichtag", ""), periods)
    chosen = request.GET.getlist("gemeinde")
    try:
        comparison = compare_municipalities(
            request.user, indicator, period, chosen, request.GET.get("ebene", "")
        )
    except QuartierError as exc:
        return render(request, "quartier/error.html", {"message": exc.message}, status=exc.status)
    return render(
        request,
        "quartier/municipal.html",
        {
            "c": comparison,
            "catalogue": map_catalogue(request.user),
            "periods": periods,
            "chosen": set(chosen),
            "small_levels": small_levels(reader, comparison.level),
            "small_map": _small_map(comparison),
            "portals": Territory.objects.filter(portal=True, area__isnull=False).order_by("name"),
            "decimals": 1 if comparison.as_share else indicator.decimals,
        },
    )


def _small_map(comparison) -> dict | None:
    """The small areas as a static choropleth (quantiles), with its legend."""
    rows = comparison.small_rows
    if not rows:
        return None
    values = np.array([r.cell.value if r.cell.value is not None else np.nan for r in rows])
    classes = classify(values, "quantiles", 5)
    colours = palettes.sequential(max(classes.k, 1), comparison.indicator.polarity)
    fills = [
        colours[c] if c >= 0 else _gap_colour(r) for r, c in zip(rows, classes.classes, strict=True)
    ]
    decimals = comparison.indicator.decimals
    titles = [
        f"{r.place.name} – {r.name}: "
        + (number(r.cell.value, decimals) if r.cell.value is not None else r.cell.status.label)
        for r in rows
    ]
    shapes = {a.pk: a.shape for a in Area.objects.filter(pk__in=[r.area_id for r in rows])}
    drawn = choropleth([shapes.get(r.area_id) for r in rows], fills, titles)
    if drawn is None:
        return None
    drawn["legend"] = [
        {"colour": colours[i], "low": low, "high": high, "count": classes.counts[i]}
        for i, (low, high) in enumerate(classes.bounds())
    ]
    drawn["gap"] = palettes.SUPPRESSED_COLOUR
    drawn["missing"] = palettes.MISSING_COLOUR
    return drawn


def _gap_colour(row) -> str:
    from quartier.indicators.status import Status

    if row.cell.status == Status.SUPPRESSED:
        return palettes.SUPPRESSED_COLOUR
    return palettes.MISSING_COLOUR
