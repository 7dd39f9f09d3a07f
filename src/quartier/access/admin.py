import csv
import io
import json

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from quartier.access.adminperms import AdminOnly
from quartier.access.audit import record
from quartier.access.models import AuditEntry, Unit, User
from quartier.access.rights import is_admin

admin.site.site_header = _("Quartier – Verwaltung")
admin.site.site_title = _("Quartier")
admin.site.index_title = _("Verwaltung")


@admin.register(Unit)
class UnitAdmin(AdminOnly, admin.ModelAdmin):
    """Organisational units (administrators only)."""

    list_display = ("name", "key")
    search_fields = ("name", "key")


@admin.register(User)
class QuartierUserAdmin(AdminOnly, UserAdmin):
    """Users with their role and units."""

    list_display = ("username", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "units", "is_active")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email")}),
        (_("Rechte"), {"fields": ("role", "units", "is_active")}),
        (_("Zeiten"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "password1", "password2", "role", "units")}),)
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ("units",)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log: readable and exportable by administrators, never editable."""

    list_display = ("at", "username", "action", "target", "ip")
    list_filter = ("action",)
    search_fields = ("username", "target")
    date_hierarchy = "at"
    actions = ["export_csv"]

    def has_module_permission(self, request):
        """Administrators only."""
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        """Administrators only."""
        return is_admin(request.user)

    def has_add_permission(self, request):
        """Entries are written by the system."""
        return False

    def has_change_permission(self, request, obj=None):
        """Append-only."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Append-only."""
        return False

    def get_urls(self):
        """Adds protokoll.csv: the whole log as CSV."""
        from django.urls import path

        return [
            path(
                "protokoll.csv",
                self.admin_site.admin_view(self.export_all),
                name="access_auditentry_export",
            ),
            *super().get_urls(),
        ]

    def export_all(self, request):
        """Every entry as CSV (UTF-8 with BOM, semicolon, for German Excel)."""
        if not is_admin(request.user):
            raise PermissionDenied
        return audit_csv(AuditEntry.objects.all())

    @admin.action(description=_("Ausgewählte Einträge als CSV exportieren"))
    def export_csv(self, request, queryset):
        """Selected entries as CSV."""
        return audit_csv(queryset)


def audit_csv(entries) -> HttpResponse:
    """A CSV download of audit entries; the export itself is audited."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Zeitpunkt", "Benutzer", "Aktion", "Gegenstand", "Einzelheiten", "IP"])
    for e in entries.order_by("at", "id"):
        writer.writerow(
            [
                e.at.isoformat(),
                e.username,
                e.get_action_display(),
                _neutral(e.target),
                _neutral(json.dumps(e.details, ensure_ascii=False)),
                e.ip or "",
            ]
        )
    record(AuditEntry.Action.EXPORT, "Protokoll", format="csv")
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="protokoll.csv"'
    return response


def _neutral(text: str) -> str:
    """No spreadsheet formulas from user-controlled text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
