"""
The sitemap (``/sitemap.xml``): the home, events and press contacts pages, every public
release and advisory, and the sources and topics that have published something, each with
the time it last changed (a topic: its own). Withdrawn pages are left out: they carry ``noindex``.

One sitemap per language, at its address (``/sitemap.xml`` the default language's, ``/fr/sitemap.xml``
French; robots.txt names each): that language's pages (``in_language``), each with its ``hreflang``
alternates and ``x-default`` (``xhtml:link``) when it has another language's version: an item its
*published* translations only (``translations.published_translations``), a list page its
counterpart in every language. In a one-language newsroom nothing of this shows.
"""
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse

from . import languages, translations
from .models import Advisory, Contact, Release, Source, Topic
from .topics import on_topic


class AlternatesSitemap(Sitemap):
    """Adds each page's other-language versions (``alternates``, as Django's template prints them)."""

    def alternates_of(self, items):
        """{item: {language: path}} of the page's versions, its own included; none in one language."""
        return {}

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        if not languages.multilingual() or not urls:
            return urls
        versions = self.alternates_of([url["item"] for url in urls])
        for url in urls:
            pages = versions.get(self.version_key(url["item"]), {})
            if len(pages) < 2:
                continue
            own = self._location(url["item"])
            origin = url["location"][: len(url["location"]) - len(own)]
            url["alternates"] = [
                {"lang_code": code, "location": origin + pages[code]} for code in languages.codes() if code in pages
            ]
            default = languages.default_language()
            if default in pages:
                url["alternates"].append({"lang_code": "x-default", "location": origin + pages[default]})
        return urls

    def version_key(self, item):
        return item


class PublishableSitemap(AlternatesSitemap):
    model = None

    def items(self):
        return (
            self.model.objects.published().in_language().only("slug", "published_at", "revised_at", "language", "document")
            .order_by("-published_at", "pk")
        )

    def version_key(self, item):
        return item.document

    def alternates_of(self, items):
        found = translations.published_translations(items)
        return {
            item.document: {
                languages.public(item.language): item.get_absolute_url(),
                **{code: edition.get_absolute_url() for code, edition in found.get(item.document, {}).items()},
            }
            for item in items
        }

    def lastmod(self, item):
        return item.revised_at or item.published_at


class ReleaseSitemap(PublishableSitemap):
    model = Release


class AdvisorySitemap(PublishableSitemap):
    model = Advisory


def latest_approval(model):
    """The newest approval among a source's public items of ``model``, as a subquery."""
    return Subquery(
        model.objects.published().in_language().filter(source=OuterRef("pk")).order_by()
        .values("source").annotate(latest=Max("revised_at")).values("latest")
    )


class SourceSitemap(Sitemap):
    def items(self):
        releases, advisories = Release.objects.published().in_language(), Advisory.objects.published().in_language()
        return (
            Source.objects.filter(
                Exists(releases.filter(source=OuterRef("pk"))) | Exists(advisories.filter(source=OuterRef("pk")))
            )
            .annotate(lastmod=Greatest(
                Coalesce(latest_approval(Release), latest_approval(Advisory)),
                Coalesce(latest_approval(Advisory), latest_approval(Release)),
            ))
            .order_by("name")
        )

    def lastmod(self, source):
        return source.lastmod


class TopicSitemap(Sitemap):
    def items(self):
        def public_on(model):
            return Exists(on_topic(model.objects.published().in_language(), OuterRef("pk")))

        return Topic.objects.filter(public_on(Release) | public_on(Advisory)).order_by("name")

    def lastmod(self, topic):
        return topic.updated_at


class PageSitemap(AlternatesSitemap):
    """Pages named by their URL name, the same page in every language."""

    def location(self, name):
        return reverse(name)

    def alternates_of(self, names):
        return {name: {code: languages.reverse_in(code, name) for code in languages.codes()} for name in names}


class HomeSitemap(PageSitemap):
    """The home page and the media events page: lists of everything public, as new as the newest approval."""

    changefreq = "hourly"

    def items(self):
        return ["releases:home", "releases:events"]

    def lastmod(self, name):
        latest = [
            model.objects.published().in_language().aggregate(latest=Max("revised_at"))["latest"]
            for model in (Release, Advisory)
        ]
        return max((moment for moment in latest if moment is not None), default=None)


class ContactsSitemap(PageSitemap):
    """The press contacts page, dated by its newest public contact's change."""

    def items(self):
        return ["releases:contacts"] if Contact.objects.public().exists() else []

    def lastmod(self, name):
        return Contact.objects.public().aggregate(latest=Max("updated_at"))["latest"]


SITEMAPS = {
    "home": HomeSitemap,
    "contacts": ContactsSitemap,
    "releases": ReleaseSitemap,
    "advisories": AdvisorySitemap,
    "sources": SourceSitemap,
    "topics": TopicSitemap,
}
