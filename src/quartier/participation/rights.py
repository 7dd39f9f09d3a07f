"""Who may run a procedure: the staff of its owner unit, and administrators."""

from __future__ import annotations

from django.http import Http404

from quartier.access.rights import is_admin, unit_ids
from quartier.participation.models import Procedure


def may_moderate(user, procedure: Procedure) -> bool:
    """True for administrators and members of the procedure's owner unit."""
    return is_admin(user) or procedure.owner_id in unit_ids(user)


def moderated_or_404(user, key: str) -> Procedure:
    """The procedure ``key`` if ``user`` runs it; 404 otherwise (others do not learn of it)."""
    procedure = Procedure.objects.filter(key=key).select_related("owner", "level").first()
    if procedure is None or not may_moderate(user, procedure):
        raise Http404("Kein solches Verfahren.")
    return procedure


def run_by(user):
    """The procedures ``user`` runs."""
    found = Procedure.objects.select_related("owner")
    return found if is_admin(user) else found.filter(owner_id__in=unit_ids(user))
