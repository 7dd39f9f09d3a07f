"""Chart images (SVG), each at its own URL so that pages stay fast.

A page names its charts with ``<img src=… alt=…>`` next to the table of the
chart's numbers; the image is drawn here, from the same read layer as the page
(visibility, aggregation, disclosure control), and refused like the page (404)
for an indicator or area the user may not see. Drawing is slow (matplotlib, about
0.1 s), reading is cached by the read layer: a drawn SVG is kept under the digest
of its data — the values the user sees, their statuses, the words and the
language — so it changes exactly when the data state or the rights change it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from quartier.charts.render import svg
from quartier.errors import QuartierError
from quartier.explorer import chartdata
from quartier.explorer.compare import comparison_row
from quartier.explorer.mapdata import parse_view
from quartier.explorer.profile import find_area, indicator_row
from quartier.indicators import readlayer

_KEPT = 512  # drawn SVGs kept per process (a few KB each)
_drawn: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def _or_404(work):
    try:
        return work()
    except QuartierError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        raise


def _indicator(user, key: str):
    indicator = readlayer.get_indicator(user, key)  # NotFound for invisible ones, as pages
    periods = readlayer.periods_by_indicator(user).get(indicator.id)
    if not periods or not chartdata.chartable(indicator):
        raise Http404("Kein Diagramm für diesen Indikator.")
    return indicator, periods


def svg_response(request, chart) -> HttpResponse:
    """The chart as ``image/svg+xml``, drawn once per distinct data (ETag: its digest)."""
    digest = hashlib.sha256(repr(chart).encode()).hexdigest()[:32]
    etag = f'"{digest}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        with _lock:
            body = _drawn.get(digest)
            if body is not None:
                _drawn.move_to_end(digest)
        if body is None:
            body = svg(chart)
            with _lock:
                _drawn[digest] = body
                while len(_drawn) > _KEPT:
                    _drawn.popitem(last=False)
        response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    response["ETag"] = etag
    # Revalidated on every use: the data behind it may change (signed-in users get
    # no-store from quartier.access.caching).
    response["Cache-Control"] = "private, no-cache"
    response["Content-Language"] = chart.texts.language
    return response


@require_safe
def time_series(request, level: str, code: str, key: str):
    """Time series of one indicator for an area, its parent and the city."""
    area = _or_404(lambda: find_area(level, code))
    indicator, periods = _or_404(lambda: _indicator(request.user, key))
    row = readlayer.consistent(lambda: indicator_row(request.user, indicator, area, periods))
    return svg_response(request, chartdata.time_series(row, area))


@require_safe
def comparison(request, key: str):
    """Bars of one indicator for the compared areas (``gebiet=ebene:schlüssel``) and the city."""
    from quartier.explorer.pages import compared_areas

    indicator, _periods = _or_404(lambda: _indicator(request.user, key))
    areas, errors = compared_areas(request.GET.getlist("gebiet"))
    if errors or not areas:
        raise Http404("Gebiet nicht gefunden.")
    row = _or_404(lambda: comparison_row(request.user, indicator, areas))
    return svg_response(request, chartdata.bars(row, areas))


@require_safe
def distribution(request, key: str):
    """Distribution of one indicator over the areas of a level (``ebene``, ``stichtag``),
    with the area ``gebiet`` (a code of that level) marked.
    """
    params = request.GET.copy()
    params["indikator"] = key
    view = _or_404(lambda: parse_view(request.user, params))
    _indicator(request.user, key)
    marked = None
    if request.GET.get("gebiet"):
        marked = _or_404(lambda: find_area(view.level.key, request.GET["gebiet"], view.period))
    reader = readlayer.reader(request.user)
    result, city = readlayer.consistent(
        lambda: (
            reader.values(view.indicator, view.level, view.period),
            reader.total(view.indicator, view.period),
        )
    )
    return svg_response(request, chartdata.distribution(result, city, marked))
