"""
The sitemap (``/sitemap.xml``): the home, events and press contacts pages, every public
release and advisory, and the sources and topics that have published something, each with
the time it last changed (a topic: its own). Withdrawn pages are left out: they carry ``noindex``.
"""
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse

from .models import Advisory, Contact, Release, Source, Topic
from .topics import on_topic


class PublishableSitemap(Sitemap):
    model = None

    def items(self):
        return self.model.objects.published().only("slug", "published_at", "revised_at").order_by("-published_at", "pk")

    def lastmod(self, item):
        return item.revised_at or item.published_at


class ReleaseSitemap(PublishableSitemap):
    model = Release


class AdvisorySitemap(PublishableSitemap):
    model = Advisory


def latest_approval(model):
    """The newest approval among a source's public items of ``model``, as a subquery."""
    return Subquery(
        model.objects.published().filter(source=OuterRef("pk")).order_by()
        .values("source").annotate(latest=Max("revised_at")).values("latest")
    )


class SourceSitemap(Sitemap):
    def items(self):
        releases, advisories = Release.objects.published(), Advisory.objects.published()
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
            return Exists(on_topic(model.objects.published(), OuterRef("pk")))

        return Topic.objects.filter(public_on(Release) | public_on(Advisory)).order_by("name")

    def lastmod(self, topic):
        return topic.updated_at


class HomeSitemap(Sitemap):
    """The home page and the media events page: lists of everything public, as new as the newest approval."""

    changefreq = "hourly"

    def items(self):
        return ["releases:home", "releases:events"]

    def location(self, name):
        return reverse(name)

    def lastmod(self, name):
        latest = [model.objects.published().aggregate(latest=Max("revised_at"))["latest"] for model in (Release, Advisory)]
        return max((moment for moment in latest if moment is not None), default=None)


class ContactsSitemap(Sitemap):
    """The press contacts page, dated by its newest public contact's change."""

    def items(self):
        return ["releases:contacts"] if Contact.objects.public().exists() else []

    def location(self, name):
        return reverse(name)

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
