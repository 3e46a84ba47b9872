from django.urls import path

from . import views

app_name = "releases"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("releases/<slug:slug>/", views.ReleaseDetailView.as_view(), name="release-detail"),
    path("advisories/<slug:slug>/", views.AdvisoryDetailView.as_view(), name="advisory-detail"),
    path("sources/<slug:slug>/", views.SourceView.as_view(), name="source"),
    path("preview/<str:kind>/<int:pk>/", views.PreviewView.as_view(), name="preview"),
]
