"""
RSS 2.0 and Atom feeds of everything published, and of each source.

Entries are the same merged, newest-first list as the home page (``NewestFirst``
over ``published()``), so a feed can never carry a draft, a scheduled item
before its time or a withdrawn one. An entry's id is ``urn:uuid:<document>``:
one id for the document across its editions, title edits and the site's
hostname, so a feed reader shows an approved edit as an update, not a new item.

Every text goes through ``normalise_text`` on its way out: input is normalised
when it is saved, but a row stored before that (or written some other way) must
not take the feeds down, and XML 1.0 can't carry control characters at all.
"""
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from .caching import public_cache
from .models import Advisory, Release, Source, Topic
from .sitemaps import SourceSitemap, TopicSitemap
from .text import normalise_text
from .topics import on_topic
from .views import NewestFirst

#: The feed fields that are prose and keep their line breaks; every other text is one line.
MULTILINE_FIELDS = {"description", "subtitle", "content"}


def xml_safe(fields):
    """A feed's or an entry's fields with every text normalised, lists of texts (categories) included."""
    def clean(name, value):
        if isinstance(value, str):
            return normalise_text(value, multiline=name in MULTILINE_FIELDS)
        if isinstance(value, (list, tuple)) and all(isinstance(part, str) for part in value):
            return [normalise_text(part, multiline=False) for part in value]
        return value

    return {name: clean(name, value) for name, value in fields.items()}


class LatestFeed(Feed):
    """Everything the newsroom publishes."""

    feed_type = Rss201rev2Feed
    description_template = "releases/feeds/description.html"
    item_guid_is_permalink = False

    @classmethod
    def as_view(cls):
        """
        The view: one feed object per request, so that it may keep the request
        (enclosure URLs must be absolute, and Django builds only the links so).
        """

        def view(request, *args, **kwargs):
            feed = cls()
            feed.request = request
            return feed(request, *args, **kwargs)

        return view

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        feed.feed = xml_safe(feed.feed)
        feed.items = [xml_safe(item) for item in feed.items]
        return feed

    def title(self):
        return _("%(site)s: latest releases and advisories") % {"site": settings.NEWSROOM_SITE_NAME}

    def link(self):
        return reverse("releases:home")

    def description(self):
        return _("Press releases and media advisories, newest first.")

    def public_querysets(self):
        # Each entry's topics are its categories: read with the page, one query per kind.
        # The feed's language's items: /feeds/latest.rss the default language's, /fr/feeds/latest.rss French.
        return tuple(model.objects.published().in_language().prefetch_related("topics") for model in (Release, Advisory))

    def items(self):
        return NewestFirst(*self.public_querysets())[: settings.NEWSROOM_FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return f"urn:uuid:{item.document}"

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        # A major change moves it; a minor one (a typo) doesn't tell feed readers anything changed.
        return item.public_updated_at or item.published_at

    def item_author_name(self, item):
        return item.source.name

    def item_categories(self, item):
        """What the item is, then its topics (the published edition's own, by name), as feed readers file them."""
        return [str(item.kind_label), *sorted(topic.name for topic in item.topics.all())]

    def item_enclosures(self, item):
        """The lead picture's largest JPEG, for readers that show an image with the entry."""
        picture = item.lead_picture
        if picture is None:
            return []
        return [Enclosure(
            url=self.request.build_absolute_uri(picture.largest_url),
            length=str(picture.largest["size"]),
            mime_type="image/jpeg",
        )]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The description's "Read more" link, absolute as feed readers need.
        context["url"] = self.request.build_absolute_uri(kwargs["item"].get_absolute_url())
        return context


class LatestAtomFeed(LatestFeed):
    feed_type = Atom1Feed
    subtitle = LatestFeed.description


class SourceFeed(LatestFeed):
    """What one source publishes: ``/sources/<slug>/feed.rss``."""

    def get_object(self, request, slug):
        return get_object_or_404(Source, slug=slug)

    def title(self, source):
        return _("%(name)s: releases and advisories (%(site)s)") % {"name": source.name, "site": settings.NEWSROOM_SITE_NAME}

    def link(self, source):
        return source.get_absolute_url()

    def description(self, source):
        return _("Press releases and media advisories from %(name)s, newest first.") % {"name": source.name}

    def items(self, source):
        releases, advisories = self.public_querysets()
        return NewestFirst(releases.for_source(source), advisories.for_source(source))[: settings.NEWSROOM_FEED_SIZE]


class SourceAtomFeed(SourceFeed):
    feed_type = Atom1Feed
    subtitle = SourceFeed.description


class TopicFeed(LatestFeed):
    """What is published under one topic: ``/topics/<slug>/feed.rss``."""

    def get_object(self, request, slug):
        return get_object_or_404(Topic, slug=slug)

    def title(self, topic):
        return _("%(name)s: releases and advisories (%(site)s)") % {"name": topic.name, "site": settings.NEWSROOM_SITE_NAME}

    def link(self, topic):
        return topic.get_absolute_url()

    def description(self, topic):
        return topic.description or _("Press releases and media advisories on %(name)s, newest first.") % {"name": topic.name}

    def items(self, topic):
        return NewestFirst(*(on_topic(queryset, topic) for queryset in self.public_querysets()))[
            : settings.NEWSROOM_FEED_SIZE
        ]


class TopicAtomFeed(TopicFeed):
    feed_type = Atom1Feed
    subtitle = TopicFeed.description


@method_decorator(public_cache, name="dispatch")
class FeedsView(TemplateView):
    """
    ``/feeds/``: the page a person lands on from a "Follow" link. A feed opened in a
    browser is raw XML (Chromium shows ``application/rss+xml`` as plain text and is
    removing XSLT, see docs/public-surfaces.md), so the links on the pages come here:
    what a feed is, and every feed's address to copy into a feed reader.
    """

    template_name = "releases/feeds/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        build = self.request.build_absolute_uri
        context["latest"] = {"rss": build(reverse("releases:feed-rss")), "atom": build(reverse("releases:feed-atom"))}
        # The same lists as the sitemap's: sources and topics with something published.
        context["sources"] = [
            (source, build(reverse("releases:source-feed-rss", args=[source.slug])),
             build(reverse("releases:source-feed-atom", args=[source.slug])))
            for source in SourceSitemap().items()
        ]
        context["topics"] = [
            (topic, build(reverse("releases:topic-feed-rss", args=[topic.slug])),
             build(reverse("releases:topic-feed-atom", args=[topic.slug])))
            for topic in TopicSitemap().items()
        ]
        context["feed_size"] = settings.NEWSROOM_FEED_SIZE
        return context
