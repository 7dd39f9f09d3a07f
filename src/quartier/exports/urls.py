from django.urls import path

from quartier.exports import views

app_name = "exports"
urlpatterns = [
    path("", views.start, name="start"),
    path("datei/", views.download, name="download"),
]
