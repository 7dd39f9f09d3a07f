"""Stored analyses (indices, typologies, hot spots, segregation, need rules)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from quartier.analysis.models import Analysis
from quartier.api import params
from quartier.api import serializers as s
from quartier.api.common import ERRORS, LIMIT, OFFSET, ReadOnlyView
from quartier.errors import NotFound
from quartier.indicators import readlayer


def _visible(user) -> list[tuple[Analysis, list[str]]]:
    """Analyses with at least one output the caller may see, with those outputs' keys.

    The same rule as the analysis pages: results inherit the strictest
    visibility of their inputs, so seeing an output means seeing its inputs.
    """
    visible = {i.pk: i.key for i in readlayer.visible_indicators(user)}
    out = []
    analyses = Analysis.objects.select_related("level", "created_by").prefetch_related("outputs")
    for analysis in analyses.order_by("-created_at", "-pk"):
        keys = sorted(visible[i.pk] for i in analysis.outputs.all() if i.pk in visible)
        if keys:
            out.append((analysis, keys))
    return out


def analysis_dict(analysis: Analysis, outputs: list[str], with_result: bool) -> dict:
    """An analysis as the API shows it."""
    out = {
        "id": analysis.pk,
        "kind": analysis.kind,
        "kind_label": analysis.get_kind_display(),
        "name": analysis.name,
        "level": analysis.level.key,
        "period": analysis.period,
        "created_at": analysis.created_at,
        "created_by": analysis.created_by.get_username() if analysis.created_by else None,
        "definition": analysis.definition or {},
        "outputs": outputs,
    }
    if with_result:
        out["result"] = analysis.result or {}
    return out


class AnalysisListView(ReadOnlyView):
    """Stored analyses whose results the caller may see."""

    @extend_schema(
        operation_id="analyses_list",
        summary="Analysen / analyses",
        parameters=[
            OpenApiParameter("kind", str, enum=Analysis.Kind.values, description="kind"),
            LIMIT,
            OFFSET,
        ],
        responses={200: s.AnalysisPageSerializer, **ERRORS},
    )
    def get(self, request):
        """Newest first; the values of each output come from /values/."""
        kind = request.query_params.get("kind")
        found = [(a, keys) for a, keys in _visible(request.user) if not kind or a.kind == kind]
        page = params.page(request, found)
        page["results"] = [analysis_dict(a, keys, False) for a, keys in page["results"]]
        return Response(page)


class AnalysisDetailView(ReadOnlyView):
    """One analysis with its result summary."""

    @extend_schema(
        summary="Analyse / analysis", responses={200: s.AnalysisDetailSerializer, **ERRORS}
    )
    def get(self, request, pk: int):
        """Definition, result summary and output indicators of analysis ``pk``."""
        for analysis, keys in _visible(request.user):
            if analysis.pk == pk:
                return Response(analysis_dict(analysis, keys, True))
        raise NotFound("Analyse nicht gefunden. / Analysis not found.")
