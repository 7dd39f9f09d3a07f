from django.urls import path

from quartier.analysis import views

app_name = "analysis"
urlpatterns = [
    path("", views.start, name="start"),
    path("neu/<slug:kind>/", views.start, name="new"),
    path("<int:pk>/", views.result, name="result"),
    path("<int:pk>/neu-berechnen/", views.rerun, name="rerun"),
    path("<int:pk>/definition.json", views.definition, name="definition"),
    path("auftrag/<uuid:pk>/", views.job_page, name="job"),
    path("auftrag/<uuid:pk>/status/", views.job_status, name="job_status"),
]
