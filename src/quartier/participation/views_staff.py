"""Staff pages of participation: new procedure, moderation, evaluation, export.

Every moderation step and evaluation is written to the audit log (staff are signed in;
their address is logged as for every staff action — never a participant's).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from quartier.access import audit
from quartier.access.models import AuditEntry, Unit
from quartier.access.rights import is_admin, unit_ids
from quartier.indicators.models import Indicator
from quartier.participation import files
from quartier.participation.evaluation import evaluate, words_by_area
from quartier.participation.forms import ProcedureForm
from quartier.participation.models import Contribution
from quartier.participation.rights import moderated_or_404, run_by

ACTION = AuditEntry.Action.PARTICIPATION


@login_required
@require_safe
def staff_list(request):
    """The procedures the user runs, with their queues."""
    procedures = list(run_by(request.user))
    for procedure in procedures:
        procedure.pending = procedure.contributions.filter(status="pending").count()
    return render(request, "beteiligung/staff_list.html", {"procedures": procedures})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_procedure(request):
    """Create a procedure for one of the user's units."""
    units = (
        Unit.objects.all()
        if is_admin(request.user)
        else Unit.objects.filter(pk__in=unit_ids(request.user))
    )
    if not units.exists():
        raise PermissionDenied("Nur Beschäftigte einer Organisationseinheit legen Verfahren an.")
    form = ProcedureForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        procedure = form.save()
        audit.record(ACTION, f"Verfahren {procedure.key} angelegt", request=request)
        return redirect("participation:moderation", key=procedure.key)
    return render(request, "beteiligung/new.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def moderation(request, key: str):
    """The queue: approve, hide (with a reason) or merge contributions."""
    procedure = moderated_or_404(request.user, key)
    if request.method == "POST":
        _moderate(request, procedure)
        return redirect("participation:moderation", key=procedure.key)
    items = procedure.contributions.select_related("category", "area", "merged_into")
    order = {"pending": 0, "approved": 1, "hidden": 2, "merged": 3}
    return render(
        request,
        "beteiligung/moderation.html",
        {
            "procedure": procedure,
            "items": sorted(items, key=lambda c: (order[c.status], c.created)),
            "words": words_by_area(procedure),
        },
    )


def _moderate(request, procedure) -> None:
    action = request.POST.get("aktion", "")
    item = procedure.contributions.filter(pk=request.POST.get("beitrag")).first()
    if item is None:
        messages.error(request, _("Diesen Beitrag gibt es nicht."))
        return
    if action == "freigeben":
        item.status, item.reason, item.merged_into = Contribution.Status.APPROVED, "", None
    elif action == "ausblenden":
        reason = request.POST.get("grund", "").strip()
        if not reason:
            messages.error(request, _("Bitte einen Grund für das Ausblenden angeben."))
            return
        item.status, item.reason = Contribution.Status.HIDDEN, reason[:200]
    elif action == "zusammenfuehren":
        target = procedure.contributions.filter(
            pk=request.POST.get("ziel"), status=Contribution.Status.APPROVED
        ).first()
        if target is None or target.pk == item.pk:
            messages.error(request, _("Zusammenführen geht nur mit einem freigegebenen Beitrag."))
            return
        item.status, item.merged_into = Contribution.Status.MERGED, target
    else:
        messages.error(request, _("Unbekannte Aktion."))
        return
    item.save()
    audit.record(
        ACTION, f"Beitrag {item.pk} in {procedure.key}: {action}", request=request,
        reason=item.reason, merged_into=item.merged_into_id,
    )  # fmt: skip
    messages.success(request, _("Gespeichert."))


@login_required
@require_POST
def run_evaluation(request, key: str):
    """Count the approved contributions into indicators (again: replaces the counts)."""
    procedure = moderated_or_404(request.user, key)
    done = evaluate(procedure, request.user)
    audit.record(ACTION, f"Verfahren {procedure.key} ausgewertet", request=request,
                 batch=done.batch_id, approved=done.approved)  # fmt: skip
    messages.success(
        request,
        _("%(n)s freigegebene Beiträge gezählt; die Anzahlen stehen als Indikatoren bereit.")
        % {"n": done.approved},
    )
    return redirect("participation:moderation", key=procedure.key)


@login_required
@require_POST
def publish(request, key: str):
    """Save what was decided and whether the results are public; the evaluation's
    indicators follow (public with the results, internal without).
    """
    procedure = moderated_or_404(request.user, key)
    procedure.decision = request.POST.get("entscheidung", "").strip()[:5000]
    procedure.results_public = request.POST.get("oeffentlich") == "ja"
    procedure.save(update_fields=["decision", "results_public"])
    visibility = "public" if procedure.results_public else "internal"
    for indicator in Indicator.objects.filter(key__startswith=f"bet_{procedure.pk}_"):
        if indicator.visibility != visibility:
            indicator.visibility = visibility
            indicator.save(update_fields=["visibility"])
    audit.record(ACTION, f"Verfahren {procedure.key}: Ergebnisse", request=request,
                 public=procedure.results_public)  # fmt: skip
    messages.success(request, _("Gespeichert."))
    return redirect("participation:moderation", key=procedure.key)


@login_required
@require_safe
def export(request, key: str, fmt: str):
    """The approved contributions as CSV or GeoPackage."""
    procedure = moderated_or_404(request.user, key)
    if fmt not in ("csv", "gpkg"):
        raise Http404("Nur CSV oder GeoPackage.")
    audit.record(AuditEntry.Action.EXPORT, f"Beteiligung {procedure.key}", request=request,
                 format=fmt)  # fmt: skip
    if fmt == "gpkg":
        body, kind = files.contributions_gpkg(procedure), "application/geopackage+sqlite3"
    else:
        body, kind = files.contributions_csv(procedure), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="beteiligung_{procedure.key}.{fmt}"'
    return response
