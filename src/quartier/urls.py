"""URL configuration of the whole project."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("quartier.explorer.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
