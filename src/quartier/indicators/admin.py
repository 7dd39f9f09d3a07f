from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from quartier.access.adminperms import AccessibleAdminMedia, AdminOnly
from quartier.access.models import Role
from quartier.access.rights import is_admin, unit_ids
from quartier.errors import QuartierError
from quartier.indicators.batches import rollback
from quartier.indicators.models import ImportBatch, Indicator


@admin.register(Indicator)
class IndicatorAdmin(AccessibleAdminMedia, admin.ModelAdmin):
    """The indicator catalogue: administrators edit all, data stewards their unit's."""

    list_display = ("name", "key", "topic", "kind", "unit", "visibility", "confidential", "owner")
    list_filter = ("topic", "kind", "visibility", "confidential")
    search_fields = ("name", "key", "description")
    raw_id_fields = ("numerator", "denominator", "weight")
    filter_horizontal = ("shared_with", "sum_of")

    def get_queryset(self, request):
        """Stewards see only their units' indicators (names of others stay unknown)."""
        queryset = super().get_queryset(request)
        if is_admin(request.user):
            return queryset
        return queryset.filter(owner_id__in=unit_ids(request.user))

    def changelist_view(self, request, extra_context=None):
        """Refuse (403) an action the user is not offered, instead of showing the list again."""
        action = request.POST.get("action") if request.method == "POST" else None
        if action and action not in self.get_actions(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def get_object(self, request, object_id, from_field=None):
        """The indicator, or 404 — also for another unit's, exactly as for an unknown id.

        Django would redirect with a message; the rest of Quartier answers 404 to what
        a user may not know of, and so does this.
        """
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("Indikator nicht gefunden.")
        return obj

    def get_readonly_fields(self, request, obj=None):
        """Only administrators change keys, kinds, formulas, derivations and owners.

        The choices of a derivation would list every indicator, also those a
        steward may not know of (sums offer only the unit's own counts). Nobody
        changes *vertraulich*: it says that an analysis computed the values from
        unprotected ones (then the visibility stays restricted, see Indicator.clean).
        """
        if is_admin(request.user):
            return ("confidential",)
        return (
            "confidential",
            "key",
            "kind",
            "numerator",
            "denominator",
            "factor",
            "weight",
            "owner",
            "derived_from",
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        """A steward may declare sums among the own unit's counts only."""
        if db_field.name == "sum_of" and not is_admin(request.user):
            kwargs["queryset"] = Indicator.objects.filter(
                kind="count", owner_id__in=unit_ids(request.user)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _steward(self, request) -> bool:
        return getattr(request.user, "role", None) == Role.DATA_STEWARD

    def has_module_permission(self, request):
        """Administrators and data stewards."""
        return is_admin(request.user) or self._steward(request)

    def has_view_permission(self, request, obj=None):
        """Administrators; stewards for their units' indicators."""
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        """Administrators; stewards for their units' indicators."""
        if is_admin(request.user):
            return True
        return self._steward(request) and (obj is None or obj.owner_id in unit_ids(request.user))

    def has_add_permission(self, request):
        """New indicators come from imports or administrators."""
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        """Administrators only (values depend on indicators)."""
        return is_admin(request.user)


@admin.register(ImportBatch)
class ImportBatchAdmin(AccessibleAdminMedia, AdminOnly, admin.ModelAdmin):
    """Import batches: provenance is read-only; a batch can be rolled back."""

    list_display = (
        "id",
        "source_name",
        "created_at",
        "created_by",
        "rows_inserted",
        "rows_replaced",
        "status",
    )
    list_filter = ("status",)
    actions = ["rollback_batches"]

    def get_readonly_fields(self, request, obj=None):
        """Provenance is never edited by hand."""
        return [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        """Batches come from imports only."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Batches are rolled back, never deleted: provenance stays."""
        return False

    @admin.action(description=_("Ausgewählte Importläufe zurücknehmen"))
    def rollback_batches(self, request, queryset):
        """Roll back each selected batch, reporting the result."""
        for batch in queryset:
            try:
                removed = rollback(batch, user=request.user)
            except QuartierError as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                self.message_user(
                    request,
                    _("Importlauf %(id)s zurückgenommen: %(n)s Werte entfernt.")
                    % {"id": batch.pk, "n": removed},
                )
