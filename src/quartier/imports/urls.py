from django.urls import path

from quartier.imports import views, views_geo, views_micro, views_table

app_name = "imports"
urlpatterns = [
    path("", views.start, name="start"),
    path("geometrie/", views_geo.upload, name="geometry_upload"),
    path("tabelle/", views_table.upload, name="table_upload"),
    path("einzeldaten/", views_micro.upload, name="microdata_upload"),
    path("hauskoordinaten/", views_micro.register, name="register"),
    path("vorgang/<uuid:pk>/", views.job_page, name="job"),
    path("vorgang/<uuid:pk>/geometrie-pruefen/", views_geo.check, name="geometry_check"),
    path("vorgang/<uuid:pk>/tabelle-pruefen/", views_table.check, name="table_check"),
    path("vorgang/<uuid:pk>/einzeldaten-pruefen/", views_micro.check, name="microdata_check"),
    path("vorgang/<uuid:pk>/uebernehmen/", views.commit, name="commit"),
    path("vorgang/<uuid:pk>/zurueck/", views.back, name="back"),
    path("vorgang/<uuid:pk>/abbrechen/", views.cancel, name="cancel"),
    path("vorgang/<uuid:pk>/status/", views.status, name="status"),
    path("vorgang/<uuid:pk>/zuordnung.json", views.mapping_file, name="mapping_file"),
    path("laeufe/", views.batches, name="batches"),
    path("laeufe/<int:pk>/", views.batch_detail, name="batch"),
    path("laeufe/<int:pk>/zuruecknehmen/", views.batch_rollback, name="batch_rollback"),
]
