from django.contrib import admin

from quartier.access.adminperms import AccessibleAdminMedia, AdminOnly
from quartier.participation.models import Category, Procedure


class CategoryInline(admin.TabularInline):
    """The categories of a procedure."""

    model = Category
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(AdminOnly, AccessibleAdminMedia, admin.ModelAdmin):
    """Participation procedures (administrators; unit staff use /beteiligung/verwalten/)."""

    list_display = ("title", "key", "owner", "opens", "closes", "results_public")
    raw_id_fields = ("areas",)  # a level may hold 80,000 areas
    inlines = [CategoryInline]
