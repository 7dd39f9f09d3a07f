from django.urls import path

from quartier.reports import views

app_name = "reports"
urlpatterns = [
    path("steckbrief/<slug:level>/<str:code>.pdf", views.steckbrief_pdf, name="steckbrief"),
]
