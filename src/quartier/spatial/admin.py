from django.contrib import admin

from quartier.access.adminperms import AccessibleAdminMedia, AdminOnly
from quartier.spatial.models import Area, Facility, FacilityLayer, Level


@admin.register(Level)
class LevelAdmin(AdminOnly, admin.ModelAdmin):
    """Raumebenen."""

    list_display = ("name", "key", "order", "parent")


@admin.register(Area)
class AreaAdmin(AccessibleAdminMedia, AdminOnly, admin.ModelAdmin):
    """Raumeinheiten (geometry is edited by import, not by hand)."""

    list_display = ("code", "name", "level", "parent", "valid_from", "valid_to")
    list_filter = ("level",)
    search_fields = ("code", "name")
    exclude = ("geometry",)
    readonly_fields = ("area_m2", "source_crs", "min_lon", "min_lat", "max_lon", "max_lat")
    raw_id_fields = ("parent",)
    list_select_related = ("level", "parent")

    def has_add_permission(self, request):
        """Areas come from geometry imports: a hand-made one would have no geometry."""
        return False


@admin.register(FacilityLayer)
class FacilityLayerAdmin(AdminOnly, admin.ModelAdmin):
    """Point layers."""

    list_display = ("name", "key")


@admin.register(Facility)
class FacilityAdmin(AccessibleAdminMedia, AdminOnly, admin.ModelAdmin):
    """Facilities."""

    list_display = ("name", "layer", "capacity", "address")
    list_filter = ("layer",)
    search_fields = ("name", "address")
