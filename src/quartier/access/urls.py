from django.urls import path

from quartier.access import views_tokens

app_name = "access"
urlpatterns = [
    path("", views_tokens.interfaces, name="interfaces"),
    path("schluessel/", views_tokens.create, name="token_create"),
    path("schluessel/<int:pk>/widerrufen/", views_tokens.revoke, name="token_revoke"),
]
