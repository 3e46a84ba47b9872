from django.contrib import admin
from django.urls import include, path

from releases.admin import review_queue

urlpatterns = [
    path("admin/review/", admin.site.admin_view(review_queue), name="review-queue"),
    path("admin/", admin.site.urls),
    path("", include("releases.urls")),
]

# Uploaded media is not served from MEDIA_URL, not even in development: pictures of unpublished
# items must stay unreachable, so they go only through the checking view `releases:picture-file`.
