from django.urls import path

from quartier.reports import views, views_definitions

app_name = "reports"
urlpatterns = [
    path("steckbrief/<slug:level>/<str:code>.pdf", views.steckbrief_pdf, name="steckbrief"),
    path("steckbriefe/", views.start, name="start"),
    path("", views_definitions.definitions, name="definitions"),
    path("neu/", views_definitions.compose, name="new"),
    path("<int:pk>/", views_definitions.definition_page, name="definition"),
    path("<int:pk>/bearbeiten/", views_definitions.compose, name="edit"),
    path("<int:pk>/loeschen/", views_definitions.delete, name="delete"),
    path("auftrag/<uuid:pk>/", views.job_page, name="job"),
    path("auftrag/<uuid:pk>/status/", views.job_status, name="job_status"),
    path("auftrag/<uuid:pk>/datei/", views.job_file, name="job_file"),
]
