"""Stored analyses (indices, typologies, hot spots, segregation, need rules)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from quartier.access.rights import visible_analysis_ids
from quartier.analysis.models import Analysis
from quartier.analysis.registry import methods
from quartier.api import params
from quartier.api import serializers as s
from quartier.api.common import ERRORS, LIMIT, OFFSET, ReadOnlyView
from quartier.errors import NotFound


def _visible(user, among=None) -> list[Analysis]:
    """Analyses of every kind the caller may see, newest first.

    The same rule as the analysis pages (:func:`quartier.access.rights.visible_analysis_ids`):
    every input and output visible, and a confidential analysis only for those who may
    see its unprotected inputs unprotected.
    """
    ids = visible_analysis_ids(user, among=among)
    analyses = Analysis.objects.filter(id__in=ids).select_related("level", "created_by")
    analyses = analyses.prefetch_related("outputs", "inputs")
    return list(analyses.order_by("-created_at", "-pk"))


def analysis_dict(analysis: Analysis, with_result: bool) -> dict:
    """An analysis as the API shows it."""
    out = {
        "id": analysis.pk,
        "kind": analysis.kind,
        "kind_label": analysis.kind_label,
        "name": analysis.name,
        "level": analysis.level.key,
        "period": analysis.period,
        "created_at": analysis.created_at,
        "created_by": analysis.created_by.get_username() if analysis.created_by else None,
        "confidential": analysis.confidential,
        "definition": analysis.definition or {},
        "inputs": sorted(i.key for i in analysis.inputs.all()),
        "outputs": sorted(i.key for i in analysis.outputs.all()),
    }
    if with_result:
        out["result"] = analysis.result or {}
    return out


class AnalysisListView(ReadOnlyView):
    """Stored analyses of every kind (also segregation and need rules) the caller may see."""

    @extend_schema(
        operation_id="analyses_list",
        summary="Analysen / analyses",
        parameters=[
            OpenApiParameter("kind", str, enum=[m.key for m in methods()], description="kind"),
            LIMIT,
            OFFSET,
        ],
        responses={200: s.AnalysisPageSerializer, **ERRORS},
    )
    def get(self, request):
        """Newest first; the values of each output come from /values/."""
        kind = request.query_params.get("kind")
        found = [a for a in _visible(request.user) if not kind or a.kind == kind]
        page = params.page(request, found)
        page["results"] = [analysis_dict(a, False) for a in page["results"]]
        return Response(page)


class AnalysisDetailView(ReadOnlyView):
    """One analysis with its result summary."""

    @extend_schema(
        summary="Analyse / analysis", responses={200: s.AnalysisDetailSerializer, **ERRORS}
    )
    def get(self, request, pk: int):
        """Definition, result summary, inputs and output indicators of analysis ``pk``."""
        found = _visible(request.user, among=[pk])
        if not found:
            raise NotFound("Analyse nicht gefunden. / Analysis not found.")
        found[0].record_view(request.user)
        return Response(analysis_dict(found[0], True))
