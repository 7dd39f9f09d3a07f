from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from quartier.errors import QuartierError
from quartier.indicators.batches import rollback
from quartier.indicators.models import ImportBatch, Indicator


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    """The indicator catalogue."""

    list_display = ("name", "key", "topic", "kind", "unit", "visibility", "owner")
    list_filter = ("topic", "kind", "visibility", "owner")
    search_fields = ("name", "key", "description")
    raw_id_fields = ("numerator", "denominator", "weight")
    filter_horizontal = ("shared_with",)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
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
