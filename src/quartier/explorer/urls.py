from django.urls import path

from quartier.explorer import views

app_name = "explorer"
urlpatterns = [
    path("", views.home, name="home"),
    path("indikatoren/<slug:key>/", views.indicator_table, name="indicator"),
]
