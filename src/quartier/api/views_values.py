"""Values in long format and area profiles."""

from __future__ import annotations

import threading
from datetime import date
from json.encoder import encode_basestring as encode

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from quartier.api import params
from quartier.api import serializers as s
from quartier.api.common import (
    ERRORS,
    INDICATORS,
    LIMIT,
    OFFSET,
    ReadOnlyView,
    example,
    number,
    path_parameters,
)
from quartier.api.views_catalogue import _parent_ref, area_dict
from quartier.errors import QuartierError
from quartier.indicators import readlayer
from quartier.indicators.status import SHOWN_CODES, Status

MAX_VALUES = 2_000_000  # rows one request may compute (e.g. 40 indicators × 11 years × 5,000)


def _periods(query, available: list[date]) -> list[date]:
    """The periods asked for: listed dates, ``all``, or (default) the latest with data."""
    wanted = params.values_of(query, "period")
    if not wanted:
        return available[-1:]
    if wanted == ["all"]:
        return list(available)
    return sorted({params.parse_date(text) for text in wanted})


def value_rows(user, query) -> tuple[list[str], bool]:
    """Long-format rows (as JSON text) for the indicator/level/period/area filters in ``query``.

    Rows are encoded here rather than by a serializer: a block level has
    thousands of them, and this keeps one indicator-period well under 20 ms.
    """
    reader = readlayer.reader(user)
    keys = params.required(query, "indicator")
    level = reader.level(params.required(query, "level")[0])
    codes = set(params.values_of(query, "area"))
    indicators = [reader.get_indicator(key) for key in dict.fromkeys(keys)]
    available = reader.periods_by_indicator()
    plan = [(ind, _periods(query, available.get(ind.id, []))) for ind in indicators]
    areas = int(reader.index.valid_positions(level, None).size) or 1
    if sum(len(periods) for _ind, periods in plan) * areas > MAX_VALUES:
        raise QuartierError(
            "Zu viele Werte auf einmal – bitte weniger Indikatoren oder Stichtage wählen."
            " / Too many values; request fewer indicators or periods."
        )
    rows: list[str] = []
    confidential = False
    for indicator, periods in plan:
        if not periods:
            continue
        for result in reader.series(indicator, level, periods):
            confidential |= result.confidential
            rows.extend(encoded_rows(result, codes))
    return rows, confidential


_STATUS_JSON = {int(status): f'"status":"{status.word}"}}' for status in Status}
_labels_lock = threading.Lock()
_labels: dict[tuple, tuple[list[str], list[str], list[str]]] = {}


def _area_labels(result: readlayer.AreaValues) -> list[str]:
    """``"area":…,"name":…`` as JSON per area, reused while the level's areas stay the same."""
    key = (result.level.id, result.period)
    with _labels_lock:
        cached = _labels.get(key)
    if cached and cached[0] == result.codes and cached[1] == result.names:
        return cached[2]
    labels = [
        f'"area":{encode(code)},"name":{encode(name)}'
        for code, name in zip(result.codes, result.names, strict=True)
    ]
    with _labels_lock:
        if len(_labels) > 64:
            _labels.clear()
        _labels[key] = (list(result.codes), list(result.names), labels)
    return labels


def encoded_rows(result: readlayer.AreaValues, codes: set[str]) -> list[str]:
    """One JSON object per area of ``result`` (all areas, or those in ``codes``)."""
    head = f'{{"indicator":{encode(result.indicator.key)},"level":{encode(result.level.key)},'
    middle = f',"period":"{result.period.isoformat()}","value":'
    labels = _area_labels(result)
    values, status = result.values.tolist(), result.status.tolist()
    positions = (
        range(len(result))
        if not codes
        else [i for i, code in enumerate(result.codes) if code in codes]
    )
    rows = []
    for i in positions:
        value = number(values[i]) if status[i] in SHOWN_CODES else None
        text = "null" if value is None else repr(value)
        rows.append(f"{head}{labels[i]}{middle}{text},{_STATUS_JSON[status[i]]}")
    return rows


def encode_link(url: str | None) -> str:
    """A link as JSON (null when there is none)."""
    return "null" if url is None else encode(url)


class ValuesView(ReadOnlyView):
    """Values in long format, with visibility and disclosure control applied."""

    @extend_schema(
        summary="Werte / values (long format)",
        parameters=[
            INDICATORS,
            OpenApiParameter(
                "level", str, required=True, description="level key", examples=example("stadtteil")
            ),
            OpenApiParameter(
                "period",
                str,
                description="date(s) YYYY-MM-DD or year(s), comma-separated, or 'all';"
                " default: the latest period with data",
                examples=example("2024-12-31"),
            ),
            OpenApiParameter("area", str, description="area code(s), comma-separated"),
            LIMIT,
            OFFSET,
        ],
        responses={200: s.ValuePageSerializer, **ERRORS},
    )
    def get(self, request):
        """One row per indicator × area × period; secret values are null ("suppressed").

        ``status`` is ``ok``, ``missing`` (value null), ``suppressed`` (secret, value
        null) or ``confidential`` (a value the caller may see that others see suppressed).
        """
        rows, confidential = value_rows(request.user, request.query_params)
        bounds = params.page_bounds(request, len(rows))
        shown = rows[bounds["offset"] : bounds["offset"] + bounds["limit"]]
        body = (
            f'{{"count":{len(rows)},"next":{encode_link(bounds["next"])},'
            f'"previous":{encode_link(bounds["previous"])},'
            f'"results":[{",".join(shown)}],"confidential":{"true" if confidential else "false"}}}'
        )
        return HttpResponse(body, content_type="application/json")


class ProfileView(ReadOnlyView):
    """The profile (Steckbrief) of one area."""

    @extend_schema(
        summary="Steckbrief / area profile",
        parameters=[
            *path_parameters(level="stadtteil", code="011"),
            OpenApiParameter("key_figures", bool, description="only key figures"),
        ],
        responses={200: s.ProfileSerializer, **ERRORS},
    )
    def get(self, request, level: str, code: str):
        """Every visible indicator of the area, with parent and city values, rank and series."""
        from quartier.explorer.profile import area_profile, find_area

        area = find_area(level, code)
        profile = area_profile(
            request.user, area, key_figures_only=params.flag(request.query_params, "key_figures")
        )
        rows = []
        for row in profile.rows:
            rows.append(
                {
                    "indicator": row.indicator.key,
                    "name": row.indicator.name,
                    "unit": row.indicator.unit,
                    "topic": row.indicator.topic,
                    "period": row.period,
                    "value": number(row.value),
                    "status": row.status.word,
                    "parent_value": number(row.parent_value),
                    "city_value": number(row.city_value),
                    "deviation": number(row.deviation),
                    "rank": row.rank,
                    "rank_of": row.rank_of,
                    "change": number(row.change),
                    "change_status": row.change_status.word,
                    "change_since": row.change_since,
                    "confidential": row.confidential,
                    "series": [{"period": p, "value": number(v)} for p, v in row.series],
                }
            )
        return Response(
            {"area": area_dict(area, area.level.key, _parent_ref(area), False), "indicators": rows}
        )
