"""Admin permissions from Quartier roles instead of Django's per-model permissions."""

from __future__ import annotations

from quartier.access.rights import is_admin


class AdminOnly:
    """A ModelAdmin mixin: only administrators see and edit the model."""

    def has_module_permission(self, request):
        """Administrators only."""
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        """Administrators only."""
        return is_admin(request.user)

    def has_add_permission(self, request, *args):
        """Administrators only."""
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        """Administrators only."""
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        """Administrators only."""
        return is_admin(request.user)


class AccessibleAdminMedia:
    """A ModelAdmin mixin mending Django's admin where it falls short of WCAG 2.2.

    Django's changelist filter links are one line of small text; quartier/admin.css
    gives each the minimum target size (2.5.8). The search icons of the two-box
    many-to-many widget get a role for their name (quartier/admin.js, 4.1.2). Every
    ModelAdmin with ``list_filter`` or ``filter_horizontal`` takes it.
    """

    class Media:
        css = {"all": ("quartier/admin.css",)}
        js = ("quartier/admin.js",)
