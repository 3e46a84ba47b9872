from django.urls import path

from . import admin, views

app_name = "distribution"

urlpatterns = [
    path("embargo/<str:signed>/", views.embargo, name="embargo"),
    path("embargo/<str:signed>/pictures/<str:key>/<str:name>", views.embargo_picture, name="embargo-picture"),
    path("embargo/<str:signed>/documents/<str:key>/", views.embargo_document, name="embargo-document"),
    path("admin/distribution/<int:content_type_id>/<int:pk>/lists/", admin.site_view(admin.choose_lists), name="lists"),
    path("admin/distribution/<int:content_type_id>/<int:pk>/prebrief/", admin.site_view(admin.prebrief), name="prebrief"),
    path("admin/distribution/<int:content_type_id>/<int:pk>/revoke/", admin.site_view(admin.revoke), name="revoke"),
    path("admin/distribution/<int:content_type_id>/<int:pk>/retry/", admin.site_view(admin.retry), name="retry"),
]
