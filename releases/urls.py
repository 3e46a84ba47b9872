import re

from django.contrib.sitemaps.views import sitemap
from django.urls import URLResolver, path, register_converter

from . import feeds, languages, views
from .caching import public_cache
from .sitemaps import SITEMAPS

app_name = "releases"


class UnicodeSlugConverter:
    """A topic's slug may be Unicode (see Topic.slugify): letters of any script, digits, "-" and "_"."""

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(UnicodeSlugConverter, "uslug")

class LanguagePrefixPattern:
    """
    The pages of every language but the default under /<code>/ (/fr/events/); the default's unprefixed.

    Django's ``LocalePrefixPattern`` (``i18n_patterns``), rewritten for two reasons: it compares the
    active language with ``LANGUAGE_CODE`` ("en-gb"), so "en" would get an /en/ prefix, where this
    compares newsroom languages (``languages.active``); and Django refuses it in an included URLconf
    (for ``LocaleMiddleware``'s sake, which the public side doesn't use). As with Django's, only the
    active language's prefix matches: ``PageLanguageMiddleware`` activates it from the address before
    anything resolves it (the page cache included), and ``reverse`` prefixes the active language's.
    """

    converters = {}

    @property
    def regex(self):
        # Read by reverse(), whose lookups Django keeps per active language.
        return re.compile(re.escape(self.language_prefix))

    @property
    def language_prefix(self):
        code = languages.active()
        return "" if code == languages.default_language() else f"{code}/"

    def match(self, path):
        language_prefix = self.language_prefix
        if path.startswith(language_prefix):
            return path.removeprefix(language_prefix), (), {}
        return None

    def check(self):
        return []

    def describe(self):
        return f"'{self}'"

    def __str__(self):
        return self.language_prefix


#: Pages in a language: each language's own lists, items, feeds, calendar and sitemap.
per_language = [
    path("", views.HomeView.as_view(), name="home"),
    path("releases/<slug:slug>/", views.ReleaseDetailView.as_view(), name="release-detail"),
    path("advisories/<slug:slug>/", views.AdvisoryDetailView.as_view(), name="advisory-detail"),
    path("sources/<slug:slug>/", views.SourceView.as_view(), name="source"),
    path("events/", views.EventsView.as_view(), name="events"),
    path("topics/<uslug:slug>/", views.TopicView.as_view(), name="topic"),
    path("contacts/", views.ContactsView.as_view(), name="contacts"),
    # Feeds, calendars, sitemap: all start from published(); see feeds.py, calendar.py, sitemaps.py.
    path("feeds/", feeds.FeedsView.as_view(), name="feeds"),
    path("feeds/latest.rss", public_cache(feeds.LatestFeed.as_view()), name="feed-rss"),
    path("feeds/latest.atom", public_cache(feeds.LatestAtomFeed.as_view()), name="feed-atom"),
    path("sources/<slug:slug>/feed.rss", public_cache(feeds.SourceFeed.as_view()), name="source-feed-rss"),
    path("sources/<slug:slug>/feed.atom", public_cache(feeds.SourceAtomFeed.as_view()), name="source-feed-atom"),
    path("topics/<uslug:slug>/feed.rss", public_cache(feeds.TopicFeed.as_view()), name="topic-feed-rss"),
    path("topics/<uslug:slug>/feed.atom", public_cache(feeds.TopicAtomFeed.as_view()), name="topic-feed-atom"),
    path("advisories.ics", views.CalendarView.as_view(), name="calendar"),
    path("sitemap.xml", public_cache(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
]

urlpatterns = [
    # One address whatever the page's language: files, downloads, previews, robots.txt.
    path("contacts/<int:pk>.vcf", views.ContactVCardView.as_view(), name="contact-vcard"),
    path("preview/<str:kind>/<int:pk>/", views.PreviewView.as_view(), name="preview"),
    path("pictures/<str:key>/<str:name>", views.picture_file, name="picture-file"),
    path("documents/<str:key>/", views.document_file, name="document-file"),
    path("releases/<slug:slug>/media-kit.zip", views.media_kit, {"kind": "release"}, name="release-media-kit"),
    path("advisories/<slug:slug>/media-kit.zip", views.media_kit, {"kind": "advisory"}, name="advisory-media-kit"),
    path("advisories/<slug:slug>.ics", views.AdvisoryCalendarView.as_view(), name="advisory-calendar"),
    path("robots.txt", views.RobotsView.as_view(), name="robots"),
    URLResolver(LanguagePrefixPattern(), per_language),
]
