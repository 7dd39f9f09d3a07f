"""OGC API – Features (Part 1 Core, Part 2 CRS by reference) under /ogc/: one collection per level.

Every path answers with and without a trailing slash: OWSLib joins paths to
``/ogc/``, GDAL to ``/ogc``, and QGIS keeps whatever the user typed; a
redirect would drop the Accept header's intent for some clients.
"""

from django.urls import path, re_path

from quartier.ogc import views

app_name = "ogc"

_LEVEL = r"(?P<level>[-\w]+)"
urlpatterns = [
    path("", views.landing, name="landing"),
    re_path(r"^conformance/?$", views.conformance, name="conformance"),
    re_path(r"^api/?$", views.api, name="api"),
    re_path(r"^collections/?$", views.collections, name="collections"),
    re_path(rf"^collections/{_LEVEL}/?$", views.collection, name="collection"),
    re_path(rf"^collections/{_LEVEL}/schema/?$", views.schema, name="schema"),
    re_path(rf"^collections/{_LEVEL}/items/?$", views.items, name="items"),
    re_path(rf"^collections/{_LEVEL}/items/(?P<code>[^/]+)/?$", views.item, name="item"),
]
