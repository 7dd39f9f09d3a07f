from django.urls import path

from quartier.participation import views_public, views_staff

app_name = "participation"
urlpatterns = [
    path("", views_public.procedure_list, name="list"),
    path("verwalten/", views_staff.staff_list, name="staff"),
    path("neu/", views_staff.new_procedure, name="new"),
    path("<slug:key>/", views_public.contribute, name="contribute"),
    path("<slug:key>/danke/", views_public.thanks, name="thanks"),
    path("<slug:key>/ergebnisse/", views_public.results, name="results"),
    path("<slug:key>/moderation/", views_staff.moderation, name="moderation"),
    path("<slug:key>/auswertung/", views_staff.run_evaluation, name="evaluate"),
    path("<slug:key>/veroeffentlichen/", views_staff.publish, name="publish"),
    path("<slug:key>/beitraege.<str:fmt>", views_staff.export, name="export"),
]
