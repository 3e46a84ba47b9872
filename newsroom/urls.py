from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from releases.admin import review_queue
from releases.desk import desk_view
from releases.views import healthz

urlpatterns = [
    # First: load balancers ask for it many times a second, and each pattern before it is tried in turn
    # (at the end of the list, resolving it cost about a quarter of the bare view's CPU: docs/scale.md).
    path("healthz", healthz, name="healthz"),
    path("", include("distribution.urls")),  # before the admin's catch-all: it has admin/distribution/ pages
    path("admin/review/", admin.site.admin_view(review_queue), name="review-queue"),
    # The admin's home page is the desk (releases/desk.py): the index with each role's panels.
    path("admin/", admin.site.admin_view(desk_view), name="desk"),
    # The admin's language chooser (templates/admin/base_site.html): Django's view, which sets the cookie
    # that newsroom.middleware.AdminLocaleMiddleware reads.
    path("admin/language/", set_language, name="set-language"),
    path("admin/", admin.site.urls),
    path("", include("subscriptions.urls")),
    path("", include("releases.urls")),
]

# Uploaded media is not served from MEDIA_URL, not even in development: pictures of unpublished
# items must stay unreachable, so they go only through the checking view `releases:picture-file`.

handler404 = "releases.views.page_not_found"
