"""Each public surface runs the same number of SQL queries for 5 items as for 50, sources, contacts and topics included."""
import itertools
import re
from datetime import date, time, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releases.caching import PublicState
from releases.models import ProgrammeEntry, Topic

from .factories import make_advisory, make_contact, make_release, make_source, publish

@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """These tests count what rendering costs; the page cache would answer repeats with no query at all."""
    settings.NEWSROOM_PAGE_CACHE = False


LISTS = {
    "home": (lambda: reverse("releases:home"), re.compile(r'class="entry-title"')),
    "search": (lambda: reverse("releases:home") + "?q=summit", re.compile(r'class="entry-title"')),
    "source": (lambda: reverse("releases:source", args=["source-0"]), re.compile(r'class="entry-title"')),
    "rss": (lambda: reverse("releases:feed-rss"), re.compile(r"<item>")),
    "atom": (lambda: reverse("releases:feed-atom"), re.compile(r"<entry>")),
    "source-rss": (lambda: reverse("releases:source-feed-rss", args=["source-0"]), re.compile(r"<item>")),
    "topic": (lambda: reverse("releases:topic", args=["summits"]), re.compile(r'class="entry-title"')),
    "topic-rss": (lambda: reverse("releases:topic-feed-rss", args=["summits"]), re.compile(r"<item>")),
    "calendar": (lambda: reverse("releases:calendar"), re.compile(r"BEGIN:VEVENT")),
    "events": (lambda: reverse("releases:events"), re.compile(r'class="event-title"')),
    # The items' entries: the home, events, source and topic pages are a few entries whatever the count.
    "sitemap": (lambda: reverse("releases:sitemap"), re.compile(r"<loc>[^<]*/(?:releases|advisories)/")),
}


class Newsroom:
    """Published releases and advisories spread over three sources, each with public and internal contacts."""

    def __init__(self, writer, reviewer):
        self.writer, self.reviewer = writer, reviewer
        self.sources = [make_source(f"Source {n}", slug=f"source-{n}") for n in range(3)]
        self.contacts = {
            source: [make_contact(source=source, email=f"press{n}@example.org") for n in range(2)]
            + [make_contact(source=source, is_public=False)]
            for source in self.sources
        }
        self.topic = Topic.objects.create(name="Summits", slug="summits")
        self.count = 0
        self.numbers = itertools.count()

    def add(self, how_many):
        for _ in range(how_many):
            n = next(self.numbers)
            source = self.sources[n % 3 if n % 2 else 0]
            if n % 2:
                # Upcoming and past events alike, so the events page fills both of its lists.
                item = make_advisory(source=source, author=self.writer, title=f"Summit event {n}",
                                     event_date=date.today() + timedelta(days=(1 + n) * (1 if n % 4 == 1 else -1)))
                ProgrammeEntry.objects.create(advisory=item, time=time(9, 0), description="Arrivals")
                ProgrammeEntry.objects.create(advisory=item, time=time(10, 0), description="Statements")
            else:
                item = make_release(source=source, author=self.writer, title=f"Summit release {n}")
            item.contacts.set(self.contacts[source])
            item.topics.set([self.topic])
            publish(item, self.reviewer)
            self.count += 1


def measure(client, url):
    # The newsroom's public state (the validators) is read once and then kept in the cache until
    # something public changes; count what the page itself costs, with the state in the cache.
    PublicState.current()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@override_settings(NEWSROOM_PAGE_SIZE=100, NEWSROOM_FEED_SIZE=100)
@pytest.mark.parametrize("surface", list(LISTS))
def test_list_surfaces_query_count_does_not_grow_with_items(client, writer, reviewer, django_assert_num_queries,
                                                            surface):
    url, marker = LISTS[surface][0](), LISTS[surface][1]
    newsroom = Newsroom(writer, reviewer)
    newsroom.add(5)
    with_five, content = measure(client, url)
    shown_with_five = len(marker.findall(content))
    assert shown_with_five >= 2
    newsroom.add(45)
    PublicState.current()
    with django_assert_num_queries(with_five):
        response = client.get(url)
    shown_with_fifty = len(marker.findall(response.content.decode()))
    # Many times the items really are on the page: the test is not comparing two short lists.
    assert shown_with_fifty >= 6 * shown_with_five


@override_settings(NEWSROOM_PAGE_SIZE=2)  # more than a page of each kind with 5 items: counted
@pytest.mark.parametrize("query", ["?q=summit", "?q=summit&page=2", "?q=sumit&kind=release&source=source-0"],
                         ids=["counted", "counted-page-2", "no-results-with-suggestions"])
def test_search_counts_highlights_and_suggestions_query_count_does_not_grow(client, writer, reviewer,
                                                                            django_assert_num_queries, query):
    """
    A search that fills more than one page is counted (a query per kind), its page's rows are
    highlighted in the query that reads them, and one that finds nothing reads the vocabulary and
    checks its suggestions: each the same number of queries with 5 items as with 50.
    """
    url = reverse("releases:home") + query
    newsroom = Newsroom(writer, reviewer)
    newsroom.add(5)
    with_five, content = measure(client, url)
    newsroom.add(45)
    # The suggestions' vocabulary is kept a while (``search.VOCABULARY_SECONDS``): read it again, as the
    # first request did, so that the two requests do the same work.
    cache.clear()
    PublicState.current()
    with django_assert_num_queries(with_five):
        response = client.get(url)
    page = response.content.decode()
    if "sumit" in query:
        assert "No results for" in page and "Search for <q>" in page  # the suggestion was worked out
    else:
        assert "<mark>Summit</mark>" in page and re.search(r"\b50 results for", page)
        assert re.search(r"\b5 results for", content)


@pytest.mark.parametrize("kind", ["release", "advisory"])
def test_detail_and_its_calendar_query_count_does_not_grow_with_contacts(client, writer, reviewer,
                                                                         django_assert_num_queries, kind):
    source = make_source("NATO", slug="nato")
    factory = make_advisory if kind == "advisory" else make_release

    def item_with(contacts, entries):
        item = factory(source=source, author=writer)
        item.contacts.set([make_contact(source=source) for _ in range(contacts)])
        if kind == "advisory":
            for hour in range(entries):
                ProgrammeEntry.objects.create(advisory=item, time=time(hour % 24, 0), description=f"Entry {hour}")
        return publish(item, reviewer)

    small, large = item_with(5, 2), item_with(50, 20)
    urls = [lambda item: item.get_absolute_url()]
    if kind == "advisory":
        urls.append(lambda item: reverse("releases:advisory-calendar", args=[item.slug]))
    for url in urls:
        count, _ = measure(client, url(small))
        PublicState.current()
        with django_assert_num_queries(count):
            response = client.get(url(large))
        assert response.status_code == 200
        if url is urls[0]:
            assert response.content.decode().count('class="contact"') == 50


@pytest.mark.parametrize("kind", ["release", "advisory"])
def test_related_items_query_count_does_not_grow_with_topics_or_related(client, writer, reviewer,
                                                                         django_assert_num_queries, kind):
    """A page with 1 topic and 1 related item costs what one with 5 topics and 10 related (4 shown) costs."""
    nato, europol = make_source("NATO", slug="nato"), make_source("Europol", slug="europol")
    topics = [Topic.objects.create(name=f"Topic {n}") for n in range(5)]
    factory = make_advisory if kind == "advisory" else make_release

    def item_on(topic_list, source=nato):
        item = factory(source=source, author=writer)
        item.topics.set(topic_list)
        return publish(item, reviewer)

    untagged = item_on([])
    count_without, content = measure(client, untagged.get_absolute_url())
    assert 'class="related-item"' not in content
    one = item_on(topics[:1])
    item_on(topics[1:2])  # on another topic: not related
    related_to_one = item_on(topics[:1], source=europol)
    count_one, content = measure(client, one.get_absolute_url())
    assert content.count('class="related-item"') == 1 and related_to_one.title in content
    many = item_on(topics)
    for n in range(10):
        item_on([topics[n % 5]], source=(nato, europol)[n % 2])
    PublicState.current()
    with django_assert_num_queries(count_one):
        response = client.get(many.get_absolute_url())
    assert response.content.decode().count('class="related-item"') == 4
    # The item's topics cost one query (none or many); related items one for the candidates and one
    # per kind that has any (here one kind), whatever their number.
    assert count_one - count_without == 2
