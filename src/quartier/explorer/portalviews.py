"""A Gemeinde's own public portal: its name, logo and headline indicators, set against
the Kreis and the other Gemeinden (values from :mod:`.municipal`, so protected alike).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from quartier.access.models import Territory
from quartier.explorer.charts import location_map
from quartier.explorer.municipal import compare_municipalities, small_levels
from quartier.indicators import readlayer
from quartier.spatial.models import Area


def _portal_or_404(key: str) -> Territory:
    territory = Territory.objects.filter(key=key, portal=True, area__isnull=False).first()
    if territory is None:
        raise Http404("Diese Gemeinde hat kein Portal.")
    return territory


def headline_indicators(reader, territory: Territory) -> list:
    """The territory's headline indicators this user may see and that have values; without
    any, the installation's key figures (Kennzahlen).
    """
    periods = reader.periods_by_indicator()
    visible = {i.pk: i for i in reader.visible() if i.pk in periods}
    chosen = [
        visible[pk] for pk in territory.headline.values_list("pk", flat=True) if pk in visible
    ]
    if chosen:
        return sorted(chosen, key=lambda i: (i.topic, i.sort_order, i.name))
    return [i for i in visible.values() if i.key_figure]


@require_safe
def portal_page(request, key: str):
    """The portal page of one Gemeinde (``Territory.portal``)."""
    territory = _portal_or_404(key)
    reader = readlayer.reader(request.user)
    periods = reader.periods_by_indicator()
    items = []
    for indicator in headline_indicators(reader, territory):
        comparison = compare_municipalities(request.user, indicator, periods[indicator.pk][-1])
        row = next((r for r in comparison.rows if r.place.key == territory.key), None)
        if row is None:
            continue
        ranked = sum(1 for r in comparison.rows if r.rank is not None)
        link = (
            reverse("explorer:municipal")
            + "?"
            + urlencode({"indikator": indicator.key, "gemeinde": territory.key})
        )
        items.append({"c": comparison, "row": row, "ranked": ranked, "url": link + "#kleinraeumig"})
    area = Area.objects.select_related("level").get(pk=territory.area_id)
    kreis = territory.parent.area if territory.parent and territory.parent.area_id else None
    below = small_levels(reader, area.level)
    map_query = {"ebene": below[0].key if below else area.level.key, "gebiet": area.code}
    return render(
        request,
        "quartier/portal.html",
        {
            "territory": territory,
            "area": area,
            "items": items,
            "location": location_map(area.shape, [kreis.shape] if kreis else []),
            "map_url": reverse("explorer:map") + "?" + urlencode(map_query),
            "logo": bool(territory.logo),
        },
    )


@require_safe
def portal_logo(request, key: str):
    """The Gemeinde's logo as uploaded in the administration (PNG, JPEG or WebP)."""
    territory = _portal_or_404(key)
    if not territory.logo:
        raise Http404("Kein Logo eingerichtet.")
    response = HttpResponse(bytes(territory.logo), content_type=territory.logo_type)
    response["Cache-Control"] = "public, max-age=3600"
    return response
