from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import feeds, views
from .caching import public_cache
from .sitemaps import SITEMAPS

app_name = "releases"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("releases/<slug:slug>/", views.ReleaseDetailView.as_view(), name="release-detail"),
    path("advisories/<slug:slug>/", views.AdvisoryDetailView.as_view(), name="advisory-detail"),
    path("sources/<slug:slug>/", views.SourceView.as_view(), name="source"),
    path("contacts/", views.ContactsView.as_view(), name="contacts"),
    path("contacts/<int:pk>.vcf", views.ContactVCardView.as_view(), name="contact-vcard"),
    path("preview/<str:kind>/<int:pk>/", views.PreviewView.as_view(), name="preview"),
    path("pictures/<str:key>/<str:name>", views.picture_file, name="picture-file"),
    # Feeds, calendars, sitemap: all start from published(); see feeds.py, calendar.py, sitemaps.py.
    path("feeds/latest.rss", public_cache(feeds.LatestFeed.as_view()), name="feed-rss"),
    path("feeds/latest.atom", public_cache(feeds.LatestAtomFeed.as_view()), name="feed-atom"),
    path("sources/<slug:slug>/feed.rss", public_cache(feeds.SourceFeed.as_view()), name="source-feed-rss"),
    path("sources/<slug:slug>/feed.atom", public_cache(feeds.SourceAtomFeed.as_view()), name="source-feed-atom"),
    path("advisories.ics", views.CalendarView.as_view(), name="calendar"),
    path("advisories/<slug:slug>.ics", views.AdvisoryCalendarView.as_view(), name="advisory-calendar"),
    path("sitemap.xml", public_cache(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.RobotsView.as_view(), name="robots"),
    path("healthz", views.healthz, name="healthz"),
]
