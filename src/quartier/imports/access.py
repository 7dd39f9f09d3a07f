"""Who may import, and the upload size limit."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from quartier.access.models import Role
from quartier.access.rights import is_admin


def can_import(user) -> bool:
    """Administrators and data stewards (Datenverantwortliche) may import."""
    return bool(
        user
        and user.is_authenticated
        and (is_admin(user) or getattr(user, "role", None) == Role.DATA_STEWARD)
    )


def import_view(view):
    """Require a signed-in user who may import; explain otherwise."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_import(request.user):
            return render(
                request,
                "quartier/error.html",
                {"message": "Importieren dürfen nur Datenverantwortliche und die Administration."},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper


def upload_too_large(request) -> str | None:
    """A German message if the request body exceeds QUARTIER_MAX_UPLOAD_MB, else None."""
    limit = settings.QUARTIER.max_upload_mb
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    if size > limit * 1024 * 1024:
        return (
            f"Die Datei ist mit {size / 1024 / 1024:.0f} MB größer als die erlaubten "
            f"{limit} MB. Teilen Sie die Datei auf, packen Sie sie als ZIP, oder bitten Sie "
            "die Administration, QUARTIER_MAX_UPLOAD_MB zu erhöhen."
        )
    return None


def visible_job(request, pk, **filters):
    """A job the user may see: their own; administrators see all but others' microdata.

    Microdata reports list addresses that could not be placed: only the uploader
    sees them.
    """
    from django.http import Http404
    from django.shortcuts import get_object_or_404

    from quartier.imports.models import ImportJob

    # Analyses and reports share the queue but have their own pages (analysis.jobs, reports.jobs).
    imports = ImportJob.objects.exclude(kind__in=ImportJob.NOT_IMPORTS)
    job = get_object_or_404(imports, pk=pk, **filters)
    own = job.created_by_id == request.user.pk
    if not own and (job.kind == ImportJob.Kind.MICRODATA or not is_admin(request.user)):
        raise Http404("Vorgang nicht gefunden.")
    return job
