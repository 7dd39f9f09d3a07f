"""URL configuration of the whole project."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

urlpatterns = [
    path("", include("quartier.explorer.urls")),
    path("import/", include("quartier.imports.urls")),
    path("analysen/", include("quartier.analysis.urls")),
    path("export/", include("quartier.exports.urls")),
    path("berichte/", include("quartier.reports.urls")),
    path("beteiligung/", include("quartier.participation.urls")),
    path("ogc/", include("quartier.ogc.urls")),
    path("api/v1/", include("quartier.api.urls")),
    path("schnittstellen/", include("quartier.access.urls")),
    path(
        "anmelden/",
        auth_views.LoginView.as_view(
            template_name="quartier/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("abmelden/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on every page without a <link rel="icon"> (the admin).
    path("favicon.ico", RedirectView.as_view(url=static("quartier/favicon.svg"), permanent=True)),
]

# Every unhandled error ends here: a lost database answers 503 in the interface's format.
handler500 = "quartier.unavailable.server_error"
