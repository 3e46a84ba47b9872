from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from releases.admin import review_queue

urlpatterns = [
    path("admin/review/", admin.site.admin_view(review_queue), name="review-queue"),
    path("admin/", admin.site.urls),
    path("", include("releases.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
