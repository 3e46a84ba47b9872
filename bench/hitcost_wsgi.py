"""Newsroom's WSGI application plus one benchmark-only view, ``/bench-bytes/<n>``: ``n`` bytes of
text/html through the whole middleware stack, as ``/healthz`` but as large as a page. Beside a
page-cache hit of the same size it separates what sending the bytes costs from what our code costs.
Only bench/hitcost.py serves this module; the site's own URLs never have the view."""
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()

from django.http import HttpResponse  # noqa: E402  (after Django is set up)
from django.urls import clear_url_caches, path  # noqa: E402

from newsroom import urls  # noqa: E402


def bench_bytes(request, n):
    return HttpResponse(b"x" * n, content_type="text/html; charset=utf-8")


urls.urlpatterns.insert(0, path("bench-bytes/<int:n>", bench_bytes))
clear_url_caches()
