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
    """A ModelAdmin mixin: the admin's filter links become targets of 24 px (WCAG 2.5.8).

    Django's changelist filter links are one line of small text; quartier/admin.css
    gives each the minimum target size. Every ModelAdmin with ``list_filter`` takes it.
    """

    class Media:
        css = {"all": ("quartier/admin.css",)}
