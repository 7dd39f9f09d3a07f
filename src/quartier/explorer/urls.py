from django.urls import path

from quartier.explorer import chartviews, legal, mapviews, municipalviews, pages, portalviews, views

app_name = "explorer"
urlpatterns = [
    path("", views.home, name="home"),
    path("suche/", views.search_page, name="search"),
    path("indikatoren/<slug:key>/", views.indicator_table, name="indicator"),
    path(
        "indikatoren/<slug:key>/verteilung.svg",
        chartviews.distribution,
        name="distribution_chart",
    ),
    path("karte/", mapviews.map_page, name="map"),
    path("karte/geometrie/<slug:level>/", mapviews.geometry, name="geometry"),
    path("karte/werte/", mapviews.values, name="values"),
    path("karte/gebiet/<slug:level>/<str:code>/", mapviews.area_panel, name="area_panel"),
    path("karte/einrichtungen/<slug:layer>/", mapviews.facilities, name="facilities"),
    path("tabelle/", pages.table_page, name="table"),
    path("tabelle/csv/", pages.table_download, name="table_csv"),
    path("gebiete/<slug:level>/<str:code>/", pages.profile_page, name="profile"),
    path(
        "gebiete/<slug:level>/<str:code>/zeitreihe/<slug:key>.svg",
        chartviews.time_series,
        name="time_series_chart",
    ),
    path("vergleich/", pages.compare_page, name="compare"),
    path("vergleich/diagramm/<slug:key>.svg", chartviews.comparison, name="comparison_chart"),
    path("gemeinden/", municipalviews.municipal_page, name="municipal"),
    path("gemeinden/<slug:key>/", portalviews.portal_page, name="portal"),
    path("gemeinden/<slug:key>/logo", portalviews.portal_logo, name="portal_logo"),
    path("impressum/", legal.imprint, name="imprint"),
    path("datenschutz/", legal.privacy, name="privacy"),
    path("logo", legal.logo, name="logo"),
]
