from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from quartier.access.models import Unit, User


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    """Organisational units."""

    list_display = ("name", "key")
    search_fields = ("name", "key")


@admin.register(User)
class QuartierUserAdmin(UserAdmin):
    """Users with their role and units."""

    list_display = ("username", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "units", "is_active")
    fieldsets = UserAdmin.fieldsets + ((_("Quartier"), {"fields": ("role", "units")}),)
    filter_horizontal = ("units", "groups", "user_permissions")
