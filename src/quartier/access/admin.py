import csv
import io
import json

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quartier.access.adminperms import AccessibleAdminMedia, AdminOnly
from quartier.access.audit import record
from quartier.access.models import ApiToken, AuditEntry, Territory, Unit, User
from quartier.access.rights import is_admin
from quartier.access.territories import MAX_LOGO_BYTES, logo_type
from quartier.exports.formulas import neutralise


class QuartierAccessAttemptAdmin(AccessibleAdminMedia, AccessAttemptAdmin):
    """django-axes' login attempts, with a clean-up action that works from the admin.

    axes' action reads the request's attempt time, which axes sets only while
    handling a login; from the admin it failed with a server error.
    """

    def cleanup_expired_attempts(self, request, queryset):
        """Remove the attempts whose lock-out is over."""
        request.axes_attempt_time = timezone.now()
        return super().cleanup_expired_attempts(request, queryset)

    cleanup_expired_attempts.short_description = (
        AccessAttemptAdmin.cleanup_expired_attempts.short_description
    )


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, QuartierAccessAttemptAdmin)

admin.site.site_header = _("Quartier – Verwaltung")
admin.site.site_title = _("Quartier")
admin.site.index_title = _("Verwaltung")


class TerritoryForm(forms.ModelForm):
    """A territory, with its logo uploaded as a PNG, JPEG or WebP image (no SVG: a logo is
    served from our host, and an SVG could carry script).
    """

    logo_file = forms.FileField(
        label=_("Logo (PNG, JPEG oder WebP, höchstens 500 KB)"), required=False
    )
    remove_logo = forms.BooleanField(label=_("Logo entfernen"), required=False)

    class Meta:
        model = Territory
        fields = ["key", "name", "kind", "parent", "area", "portal", "headline"]

    def clean_logo_file(self):
        """The upload's bytes and type, refused unless it is a small raster image."""
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        data = upload.read(MAX_LOGO_BYTES + 1)
        if len(data) > MAX_LOGO_BYTES:
            raise forms.ValidationError(_("Das Logo ist größer als 500 KB."))
        kind = logo_type(data)
        if kind is None:
            raise forms.ValidationError(_("Das Logo muss eine PNG-, JPEG- oder WebP-Datei sein."))
        return data, kind

    def save(self, commit=True):
        """Store the uploaded logo (or remove it) with the territory."""
        territory = super().save(commit=False)
        if self.cleaned_data.get("remove_logo"):
            territory.logo, territory.logo_type = b"", ""
        elif self.cleaned_data.get("logo_file"):
            territory.logo, territory.logo_type = self.cleaned_data["logo_file"]
        if commit:
            territory.save()
            self.save_m2m()
        return territory


@admin.register(Territory)
class TerritoryAdmin(AdminOnly, admin.ModelAdmin):
    """Kreis, Gemeinden or cities sharing the installation (administrators only)."""

    form = TerritoryForm
    list_display = ("name", "key", "kind", "parent", "area", "portal")
    raw_id_fields = ("area",)  # a level may hold 80,000 areas: no select list of all
    filter_horizontal = ("headline",)
    list_filter = ("kind",)
    search_fields = ("name", "key")


@admin.register(Unit)
class UnitAdmin(AdminOnly, admin.ModelAdmin):
    """Organisational units (administrators only)."""

    list_display = ("name", "key", "territory")
    list_filter = ("territory",)
    search_fields = ("name", "key")


@admin.register(User)
class QuartierUserAdmin(AccessibleAdminMedia, AdminOnly, UserAdmin):
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


@admin.register(ApiToken)
class ApiTokenAdmin(AccessibleAdminMedia, AdminOnly, admin.ModelAdmin):
    """Everyone's access tokens: administrators can see and revoke them, never read secrets."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request, *args):
        """Tokens are created by their owner (the secret is shown only to them)."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Revoke instead: the record stays for the audit trail."""
        return False

    @admin.action(description=_("Ausgewählte Zugangsschlüssel widerrufen"))
    def revoke(self, request, queryset):
        """Revoke the selected tokens."""
        from quartier.access.tokens import revoke_token

        for token in queryset.select_related("user"):
            revoke_token(token)


@admin.register(AuditEntry)
class AuditEntryAdmin(AccessibleAdminMedia, admin.ModelAdmin):
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
                neutralise(e.target),
                neutralise(json.dumps(e.details, ensure_ascii=False)),
                e.ip or "",
            ]
        )
    record(AuditEntry.Action.EXPORT, "Protokoll", format="csv")
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="protokoll.csv"'
    return response
