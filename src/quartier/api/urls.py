from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from quartier.api import views_analyses, views_catalogue, views_exports, views_values

app_name = "api"
urlpatterns = [
    path("", views_catalogue.RootView.as_view(), name="root"),
    path("me/", views_catalogue.MeView.as_view(), name="me"),
    path("levels/", views_catalogue.LevelListView.as_view(), name="levels"),
    path("levels/<slug:key>/", views_catalogue.LevelDetailView.as_view(), name="level"),
    path("areas/", views_catalogue.AreaListView.as_view(), name="areas"),
    path("areas/<slug:level>/<str:code>/", views_catalogue.AreaDetailView.as_view(), name="area"),
    path("indicators/", views_catalogue.IndicatorListView.as_view(), name="indicators"),
    path("indicators/<slug:key>/", views_catalogue.IndicatorDetailView.as_view(), name="indicator"),
    path("values/", views_values.ValuesView.as_view(), name="values"),
    path("values/columns/", views_values.ValueColumnsView.as_view(), name="value_columns"),
    path("profiles/<slug:level>/<str:code>/", views_values.ProfileView.as_view(), name="profile"),
    path("analyses/", views_analyses.AnalysisListView.as_view(), name="analyses"),
    path("analyses/<int:pk>/", views_analyses.AnalysisDetailView.as_view(), name="analysis"),
    path("exports/", views_exports.ExportView.as_view(), name="exports"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    # Anything else under /api/v1/ is a JSON 404, not the HTML error page.
    re_path(r"^[\s\S]*$", views_catalogue.unknown_resource, name="unknown"),
]
