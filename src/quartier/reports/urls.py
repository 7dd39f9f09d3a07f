from django.urls import path

from quartier.reports import views

app_name = "reports"
urlpatterns = [
    path("steckbrief/<slug:level>/<str:code>.pdf", views.steckbrief_pdf, name="steckbrief"),
    path("steckbriefe/", views.start, name="start"),
    path("auftrag/<uuid:pk>/", views.job_page, name="job"),
    path("auftrag/<uuid:pk>/status/", views.job_status, name="job_status"),
    path("auftrag/<uuid:pk>/datei/", views.job_file, name="job_file"),
]
