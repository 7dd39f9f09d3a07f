"""Report downloads: the Steckbrief of an area as PDF."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.errors import QuartierError
from quartier.explorer.pages import change_start
from quartier.explorer.profile import find_area
from quartier.reports.steckbrief import steckbrief


@require_safe
def steckbrief_pdf(request, level: str, code: str):
    """The Steckbrief of one area as a tagged PDF; audited like an export."""
    try:
        area = find_area(level, code)
    except QuartierError as exc:
        raise Http404(exc.message) from exc
    report = steckbrief(request.user, area, change_start(request.GET.get("seit", "")))
    audit.record(
        AuditEntry.Action.EXPORT,
        f"{area.level.key}:{area.code}",
        format="pdf",
        report="steckbrief",
        confidential=report.confidential,
    )
    response = HttpResponse(report.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response
