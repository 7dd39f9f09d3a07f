"""Values in long format and area profiles."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date
from json.encoder import encode_basestring as encode

import numpy as np
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from quartier import cost
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
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator
from quartier.indicators.status import SHOWN_CODES, Status
from quartier.spatial.models import Level


def _periods(query, available: list[date]) -> list[date]:
    """The periods asked for: listed dates, ``all``, or (default) the latest with data."""
    wanted = params.values_of(query, "period")
    if not wanted:
        return available[-1:]
    if wanted == ["all"]:
        return list(available)
    return sorted({params.parse_date(text) for text in wanted})


@dataclass(frozen=True)
class Segment:
    """The rows of one indicator-period in the whole answer: ``rows`` rows from ``start``."""

    indicator: Indicator
    period: date
    start: int
    rows: int


@dataclass(frozen=True)
class Plan:
    """The whole answer to a values request, before any value is read."""

    level: Level
    codes: set[str]  # the area filter (empty: all areas)
    segments: list[Segment]  # in row order

    @property
    def count(self) -> int:
        """Rows of the whole answer."""
        last = self.segments[-1] if self.segments else None
        return last.start + last.rows if last else 0


def plan(reader: readlayer.Reader, query) -> Plan:
    """Every indicator-period of the answer to ``query``, in row order.

    Rows are ordered by indicator (as asked), period, area code. How many rows an
    indicator-period has follows from the area index alone (the areas valid on
    that day, filtered by ``area``), so the answer's size and its pages are known
    before any value is read.
    """
    keys = params.required(query, "indicator")
    level = reader.level(params.required(query, "level")[0])
    codes = set(params.values_of(query, "area"))
    indicators = [reader.get_indicator(key) for key in dict.fromkeys(keys)]
    available = reader.periods_by_indicator()
    counts: dict[date, int] = {}
    out, start = [], 0
    for indicator in indicators:
        for period in _periods(query, available.get(indicator.id, [])):
            if period not in counts:
                valid = reader.index.valid_labels(level, period)[0]
                counts[period] = sum(c in codes for c in valid) if codes else len(valid)
            out.append(Segment(indicator, period, start, counts[period]))
            start += counts[period]
    return Plan(level, codes, out)


def _pieces(reader: readlayer.Reader, answer: Plan, offset: int, limit: int):
    """``(segment, result, positions)`` of every indicator-period rows ``offset`` … touch.

    Only the indicator-periods this page touches are computed — each one whole,
    through the read layer, so disclosure control still protects the full
    family and period (never a page slice). Their cost is checked first
    (:mod:`quartier.cost`): a page too large is refused, a heavy one waits its turn.
    """
    end = offset + limit
    touched = [s for s in answer.segments if s.rows and s.start < end and s.start + s.rows > offset]
    by_indicator: dict[int, list[Segment]] = {}
    for segment in touched:  # segments are ordered by indicator: groups keep the row order
        by_indicator.setdefault(segment.indicator.pk, []).append(segment)
    cells = sum(cost.series_cells(reader.index, answer.level, [s.period]) for s in touched)
    with cost.budget(cells):
        for group in by_indicator.values():
            periods = [s.period for s in group]
            results = reader.series(group[0].indicator, answer.level, periods)
            for segment, result in zip(group, results, strict=True):
                positions = _positions(result, answer.codes)
                shown = positions[max(offset - segment.start, 0) : end - segment.start]
                yield segment, result, shown


def value_page(
    reader: readlayer.Reader, answer: Plan, offset: int, limit: int
) -> tuple[list[str], bool]:
    """Rows ``offset`` … ``offset + limit`` of ``answer`` as JSON text, and if confidential.

    Rows are encoded here rather than by a serializer: a block level has
    thousands of them, and this keeps one indicator-period well under 20 ms.
    """
    rows: list[str] = []
    confidential = False
    for _segment, result, shown in _pieces(reader, answer, offset, limit):
        confidential |= bool((result.status[shown] == Status.CONFIDENTIAL).any())
        rows.extend(encoded_rows(result, shown))
    return rows, confidential


def value_columns(
    reader: readlayer.Reader, answer: Plan, offset: int, limit: int
) -> tuple[list[str], bool]:
    """The same rows as :func:`value_page`, one JSON object per indicator-period (columns).

    ``areas`` lists the codes once, ``values`` the values in the same order (null
    when missing or secret) and ``status`` one letter per area (see
    ``status_letters``): a block level's values of one indicator-period are a
    tenth of the row form, and far less once gzipped.
    """
    blocks: list[str] = []
    confidential = False
    for segment, result, shown in _pieces(reader, answer, offset, limit):
        status = result.status[shown]
        confidential |= bool((status == Status.CONFIDENTIAL).any())
        values = result.values[shown].tolist()
        texts = [
            repr(v) if code in SHOWN_CODES and (v := number(value)) is not None else "null"
            for value, code in zip(values, status.tolist(), strict=True)
        ]
        codes = ",".join(encode(result.codes[i]) for i in shown.tolist())
        letters = "".join(_STATUS_LETTER[c] for c in status.tolist())
        blocks.append(
            f'{{"indicator":{encode(segment.indicator.key)},"level":{encode(result.level.key)},'
            f'"period":"{segment.period.isoformat()}","areas":[{codes}],'
            f'"values":[{",".join(texts)}],"status":"{letters}"}}'
        )
    return blocks, confidential


def _positions(result: readlayer.AreaValues, codes: set[str]) -> np.ndarray:
    """Positions of the rows of ``result`` in the answer: all areas, or those in ``codes``."""
    if not codes:
        return np.arange(len(result))
    return np.array([i for i, code in enumerate(result.codes) if code in codes], dtype=np.int64)


_STATUS_JSON = {int(status): f'"status":"{status.word}"}}' for status in Status}
_STATUS_LETTER = {int(status): status.word[0] for status in Status}
STATUS_LETTERS = {status.word[0]: status.word for status in Status}
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


def encoded_rows(result: readlayer.AreaValues, positions: np.ndarray) -> list[str]:
    """One JSON object per area of ``result`` at ``positions``."""
    head = f'{{"indicator":{encode(result.indicator.key)},"level":{encode(result.level.key)},'
    middle = f',"period":"{result.period.isoformat()}","value":'
    labels = _area_labels(result)
    values, status = result.values.tolist(), result.status.tolist()
    rows = []
    for i in positions.tolist():
        value = number(values[i]) if status[i] in SHOWN_CODES else None
        text = "null" if value is None else repr(value)
        rows.append(f"{head}{labels[i]}{middle}{text},{_STATUS_JSON[status[i]]}")
    return rows


def encode_link(url: str | None) -> str:
    """A link as JSON (null when there is none)."""
    return "null" if url is None else encode(url)


class ValuesView(ReadOnlyView):
    """Values in long format, with visibility and disclosure control applied."""

    layout = "rows"

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
        reader = readlayer.reader(request.user)
        answer = plan(reader, request.query_params)
        bounds = params.page_bounds(request, answer.count)
        columns = self.layout == "columns"
        page = value_columns if columns else value_page
        shown, confidential = page(reader, answer, bounds["offset"], bounds["limit"])
        extra = f',"status_letters":{json.dumps(STATUS_LETTERS)}' if columns else ""
        body = (
            f'{{"count":{answer.count},"next":{encode_link(bounds["next"])},'
            f'"previous":{encode_link(bounds["previous"])},'
            f'"results":[{",".join(shown)}],"confidential":{"true" if confidential else "false"}'
            f"{extra}}}"
        )
        return HttpResponse(body, content_type="application/json")


class ValueColumnsView(ValuesView):
    """The same values as :class:`ValuesView`, one object per indicator-period (columns)."""

    layout = "columns"

    @extend_schema(
        summary="Werte spaltenweise / values in columns",
        parameters=[
            INDICATORS,
            OpenApiParameter(
                "level", str, required=True, description="level key", examples=example("baublock")
            ),
            OpenApiParameter(
                "period", str, description="as for /values/", examples=example("2024-12-31")
            ),
            OpenApiParameter("area", str, description="area code(s), comma-separated"),
            LIMIT,
            OFFSET,
        ],
        responses={200: s.ValueColumnsPageSerializer, **ERRORS},
    )
    def get(self, request):
        """The rows of /values/ (same count, paging and protection) grouped by indicator-period.

        Each result lists ``areas`` (codes) once, ``values`` in the same order (null
        when missing or secret) and ``status`` as one letter per area, explained by
        ``status_letters``. Far smaller than the row form for big levels.
        """
        return super().get(request)


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
