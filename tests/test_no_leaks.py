"""
No public surface ever shows what the public must not see: one property test.

Hypothesis builds a newsroom of releases and advisories in random workflow
states, then reads every public surface as an anonymous visitor — the home
page, a search (highlighted snippets, and the spelling a search that finds
nothing suggests), both source pages, the media events page, every item's own page (and an
advisory's .ics, and its related items), the topic page and its feeds, the RSS and Atom feeds, the feeds page,
the calendar, the sitemap, every item's media-kit document and ZIP, pre-brief links (and the
documents they reach) and the
daily digest a subscriber of everything would be mailed — and checks that
each shows exactly the items that should be public, in their approved version.

Each source has a public and an internal press contact, attached to every item:
the internal one (``INTERNAL``) must appear on no surface — the contacts page, the
vCards (its own is a 404), the source and item pages, the feeds, the pre-brief pages,
the digest mail — while the public one is on the contacts page, its source's page,
its vCard and the pages of its source's public items.

Every edition's text carries markers: the title ``t<item>v<version>``, the
summary and body ``s<item>v<version>`` (the body also a word all items share).
A marker of an edition the public must not see appearing anywhere is a leak.

A second property test does the same for translations (issue 15): each item is the French
translation of a published English original, in a random state, and the French surfaces (/fr/…:
home, feeds, calendar, events, sitemap, the item's page and its old unprefixed address) show
exactly the public ones, the English ones none; an original's language switch, ``hreflang``
alternates and sitemap alternates name its translation only while it is listed.

The states include the paths that once leaked or lost a publication: a scheduled item
withdrawn before its time, an unscheduled one, and an editor's stale form posted after
the draft it was opened on had been approved.

``NEWSROOM_LEAK_EXAMPLES`` sets the number of examples (200 by default, as in CI).
"""
import os
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import date, time, timedelta

import feedparser
import pytest
from django.core.cache import cache
from django.test import override_settings
import time_machine
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from releases.models import Advisory, Contact, Release, Topic
from releases.workflow import StaleEdit

from .factories import make_advisory, make_contact, make_document, make_release, make_source

EXAMPLES = int(os.environ.get("NEWSROOM_LEAK_EXAMPLES", "200"))

STATES = [
    "draft",
    "in_review",
    "scheduled_past",  # approved for a time that has come: public
    "scheduled_future",
    "published",
    "withdrawn",
    "published_with_draft",  # a newer edition being written
    "published_with_draft_in_review",
    "edited_and_approved",  # the newer edition replaced the first one
    "unscheduled",  # approved for tomorrow, then the publication was cancelled
    "withdrawn_before_its_time",  # a row withdrawn while scheduled (before the rule), its time now past
    "stale_save_after_approval",  # an editor's form, opened on the draft, posted after its approval
    "prebriefed",  # scheduled for tomorrow and sent ahead under embargo (distribution/): a link per journalist
]
MARKER = re.compile(r"\b[ts]\d+v\d\b")
#: In every field of the internal contacts, never on a public surface.
INTERNAL = "internalonly"


@dataclass
class Item:
    number: int
    kind: str
    state: str
    source: int
    time_known: bool
    obj: object = None
    document: object = None

    @property
    def live_version(self):
        """The version the public sees, or None when the item must not be seen at all."""
        if self.state in ("draft", "in_review", "scheduled_future", "unscheduled", "withdrawn_before_its_time",
                          "prebriefed"):
            return None
        return 2 if self.state in ("edited_and_approved", "stale_save_after_approval") else 1

    @property
    def listed(self):
        return self.live_version is not None and self.state != "withdrawn"

    def title(self, version):
        return f"Story t{self.number}v{version}"

    def text(self, version):
        return f"s{self.number}v{version}"


items_strategy = st.lists(
    st.builds(
        Item,
        number=st.just(0),
        kind=st.sampled_from(["release", "advisory"]),
        state=st.sampled_from(STATES),
        source=st.integers(0, 1),
        time_known=st.booleans(),
    ),
    min_size=1,
    max_size=5,
)


def create(item, sources, writer, reviewer, now, language=None):
    factory = make_advisory if item.kind == "advisory" else make_release
    extra = {"language": language} if language else {}
    if item.kind == "advisory":
        # Upcoming and past events (within the calendar's window): the events page lists both halves.
        days = 3 + item.number
        extra.update(event_date=date.today() + timedelta(days=-days if item.number % 2 else days),
                     event_time=time(17, 30) if item.time_known else None)
    edition = factory(
        source=sources[item.source], author=writer, title=item.title(1), slug=f"item-{item.number}",
        summary=f"Summary {item.text(1)}.", body=f"Body {item.text(1)} newsroomword.", **extra,
    )
    # A media-kit document, which each new edition shares: private exactly as long as the item.
    item.document = make_document(edition, title="Fact sheet", name="fact-sheet.txt", content=b"Figures.")
    # Every item is on one topic, so its page lists the others as related; new editions keep it.
    edition.topics.set([Topic.objects.get(name="Coopération")])
    edition.contacts.set(Contact.objects.filter(source=edition.source))
    if item.state == "draft":
        return edition
    edition.submit(writer)
    if item.state == "in_review":
        return edition
    if item.state == "scheduled_past":
        # Approved two hours ago for one hour ago: nothing has happened since.
        with time_machine.travel(now - timedelta(hours=2)):
            edition.approve(reviewer, publish_at=now - timedelta(hours=1))
        return edition
    if item.state == "withdrawn_before_its_time":
        with time_machine.travel(now - timedelta(hours=2)):
            edition.approve(reviewer, publish_at=now - timedelta(hours=1))
        # What `withdraw` did to a scheduled item before it refused to: no rule may show it now.
        type(edition).objects.filter(pk=edition.pk).update(
            state="withdrawn", withdrawn_at=now - timedelta(hours=2), withdrawal_reason="Issued in error s0v9.",
        )
        return edition
    if item.state == "unscheduled":
        edition.approve(reviewer, publish_at=now + timedelta(days=1))
        edition.unschedule(reviewer, "Embargo moved.")
        return edition
    if item.state == "prebriefed":
        prebrief(edition, reviewer, now)
        return edition
    edition.approve(reviewer, publish_at=now + timedelta(days=1) if item.state == "scheduled_future" else None)
    if item.state == "withdrawn":
        edition.withdraw(reviewer, "Issued in error.")
    if item.state == "stale_save_after_approval":
        draft = edition.start_new_draft(writer)
        opened = type(draft).objects.get(pk=draft.pk)
        draft.title, draft.summary = item.title(2), f"Summary {item.text(2)}."
        draft.body = f"Body {item.text(2)} newsroomword."
        draft.save_edit(writer, draft.revision, ["title", "summary", "body"])
        draft.submit(writer)
        draft.approve(reviewer)
        # The stale form's text is the old version's: saving it now would bring version 1 back.
        with pytest.raises(StaleEdit):
            opened.save_edit(writer, opened.revision, ["title", "summary", "body"])
        return edition
    if item.state in ("published_with_draft", "published_with_draft_in_review", "edited_and_approved"):
        draft = edition.start_new_draft(writer)
        draft.title, draft.last_edited_by = item.title(2), writer
        # "unapproved" marks text that stays unapproved: no search may find it.
        unapproved = "" if item.state == "edited_and_approved" else " unapproved"
        draft.summary, draft.body = f"Summary {item.text(2)}.", f"Body {item.text(2)} newsroomword{unapproved}."
        draft.save()
        if item.state != "published_with_draft":
            draft.submit(writer)
        if item.state == "edited_and_approved":
            draft.approve(reviewer)
    return edition


def prebrief(edition, reviewer, now):
    """Approve for tomorrow, send a pre-brief to two journalists, revoke the second one's link."""
    from distribution import services
    from distribution.models import Delivery
    from tests.journalists.factories import make_journalist, make_list

    edition.approve(reviewer, publish_at=now + timedelta(days=1))
    media_list = make_list(journalists=[make_journalist(), make_journalist()])
    publication = services.send_prebrief(edition, reviewer, [media_list])
    valid, revoked = publication.deliveries.order_by("pk")
    services.revoke(Delivery.objects.filter(pk=revoked.pk))
    edition.embargo_links = {"valid": services.embargo_path(valid), "revoked": services.embargo_path(revoked)}


def markers(content):
    return set(MARKER.findall(content))


def public_markers(items, *, listed_only=True, kinds=("release", "advisory"), source=None):
    """The markers a surface must show: title and text of each public item's approved version."""
    expected = set()
    for item in items:
        if item.kind in kinds and (item.listed if listed_only else item.live_version) and (
            source is None or item.source == source
        ):
            expected |= {f"t{item.number}v{item.live_version}", f"s{item.number}v{item.live_version}"}
    return expected


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    content = response.content.decode()
    assert INTERNAL not in content, url
    return content


def make_contacts(source):
    """A public and an internal press contact of ``source``."""
    public = make_contact(source, f"{source.name} Press Office", email=f"press@{source.slug}.example")
    internal = make_contact(
        source, f"Desk {INTERNAL}", is_public=False, role=INTERNAL, email=f"{INTERNAL}@{source.slug}.example",
    )
    return public, internal


@pytest.mark.django_db
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(items=items_strategy)
def test_no_surface_shows_what_is_not_public(client, writer, reviewer, items):
    # A fresh newsroom for each example (the sources and users stay). Rows deleted behind the
    # workflow's back announce nothing, so the cache (pages, public state) is emptied too.
    Release.objects.all().delete()
    Advisory.objects.all().delete()
    cache.clear()
    sources = [make_source("NATO", slug="nato"), make_source("Europol", slug="europol")]
    topic, _ = Topic.objects.get_or_create(name="Coopération")
    Contact.objects.all().delete()
    contacts = [make_contacts(source) for source in sources]
    cache.clear()
    now = timezone.now()
    for number, item in enumerate(items):
        item.number = number
        item.obj = create(item, sources, writer, reviewer, now)

    listed = public_markers(items)
    listed_titles = {marker for marker in listed if marker.startswith("t")}

    # Lists: the home page, a search every item matches, and each source's page, one page long.
    assert markers(get(client, reverse("releases:home"))) == listed
    assert markers(get(client, reverse("releases:home") + "?q=newsroomword")) == listed
    assert markers(get(client, reverse("releases:home") + "?q=unapproved")) == set()
    # A search that finds nothing suggests another spelling from the index's vocabulary, which also
    # holds scheduled editions: "s<n>x1" is one letter from "s<n>v1", suggested only if that is public.
    for item in items:
        page = get(client, reverse("releases:home") + f"?q=s{item.number}x1")
        expected = {f"s{item.number}v1"} if item.listed and item.live_version == 1 else set()
        assert markers(page) == expected, item
    for number, source in enumerate(sources):
        assert markers(get(client, source.get_absolute_url())) == public_markers(items, source=number)

    # Feeds: entries are exactly the listed items, in both formats, site-wide and per source.
    for name in ("releases:feed-rss", "releases:feed-atom"):
        content = get(client, reverse(name))
        feed = feedparser.parse(content)
        assert feed.bozo == 0
        assert {marker for entry in feed.entries for marker in markers(entry.title)} == listed_titles
        assert markers(content) == listed
    for number, name in enumerate(("releases:source-feed-rss", "releases:source-feed-atom")):
        content = get(client, reverse(name, args=[sources[number].slug]))
        assert markers(content) == public_markers(items, source=number)

    # The topic's page and feeds: exactly the listed items, all of them being on it.
    assert markers(get(client, topic.get_absolute_url())) == listed
    for name in ("releases:topic-feed-rss", "releases:topic-feed-atom"):
        content = get(client, reverse(name, args=[topic.slug]))
        assert feedparser.parse(content).bozo == 0
        assert markers(content) == listed

    # The feeds page: no item text, and a source's or the topic's feeds only once something is listed on them.
    page = get(client, reverse("releases:feeds"))
    assert markers(page) == set()
    for number, source in enumerate(sources):
        assert (f'id="source-{source.slug}"' in page) == bool(public_markers(items, source=number))
    assert (f'id="topic-{topic.slug}"' in page) == bool(listed)

    # The calendar: the listed advisories (all within its window), by title, nothing else in the text.
    content = get(client, reverse("releases:calendar"))
    calendar = Calendar.from_ical(content)
    summaries = {marker for event in calendar.walk("VEVENT") for marker in markers(str(event["SUMMARY"]))}
    assert summaries == {m for m in public_markers(items, kinds=("advisory",)) if m.startswith("t")}
    assert markers(content.replace("\r\n ", "")) == public_markers(items, kinds=("advisory",))

    # The media events page: the listed advisories' titles, upcoming and past, whole and by source.
    def advisory_titles(source=None):
        return {m for m in public_markers(items, kinds=("advisory",), source=source) if m.startswith("t")}

    assert markers(get(client, reverse("releases:events"))) == advisory_titles()
    for number, source in enumerate(sources):
        assert markers(get(client, reverse("releases:events") + f"?source={source.slug}")) == advisory_titles(number)

    # The sitemap: the pages of the listed items.
    root = ElementTree.fromstring(get(client, reverse("releases:sitemap")))
    locations = {loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    item_pages = {loc for loc in locations if "/releases/" in loc or "/advisories/" in loc}
    assert item_pages == {f"http://testserver{item.obj.get_absolute_url()}" for item in items if item.listed}
    assert (f"http://testserver{topic.get_absolute_url()}" in locations) == bool(listed)

    # Each item's own page: the approved version, the withdrawal notice without the text, or 404.
    pages = {}
    for item in items:
        response = client.get(item.obj.get_absolute_url())
        pages[item.number] = (response.status_code, markers(response.content.decode()))
        if item.live_version is None:
            assert response.status_code == 404
        elif item.state == "withdrawn":
            assert response.status_code == 200
            assert "has been withdrawn" in response.content.decode()
            assert markers(response.content.decode()) == {f"t{item.number}v1"}
        else:
            assert response.status_code == 200
            # Its own approved text, and as related items the titles of the others listed (at most 4 here).
            own_title = f"t{item.number}v{item.live_version}"
            related = response.content.decode().partition('class="related"')[2]
            assert markers(related) == listed_titles - {own_title}
            assert markers(response.content.decode()) == public_markers([item]) | (listed_titles - {own_title})
        if item.kind == "advisory":
            ics = client.get(reverse("releases:advisory-calendar", args=[item.obj.slug]))
            assert ics.status_code == (200 if item.listed else 404)
            if item.listed:
                assert markers(ics.content.decode().replace("\r\n ", "")) == public_markers([item])

    # The same pages without the page cache, each twice: rendered, then from the parts kept per edition and
    # public state (releases.fragments.PageFragments): the same answer, and nothing more.
    with override_settings(NEWSROOM_PAGE_CACHE=False):
        for item in items:
            for _ in range(2):
                response = client.get(item.obj.get_absolute_url())
                assert (response.status_code, markers(response.content.decode())) == pages[item.number], item
                assert INTERNAL not in response.content.decode()

    # Media kits: each item's document and "Download all" ZIP, for the listed items only.
    for item in items:
        expected = 200 if item.listed else 404
        assert client.get(item.document.get_absolute_url()).status_code == expected, item.state
        assert client.get(item.obj.media_kit_url).status_code == expected, item.state

    # Press contacts: the public ones on the contacts page, their source's page and their vCard;
    # the internal ones nowhere (``get`` checks every surface above), their vCards a 404.
    contacts_page = get(client, reverse("releases:contacts"))
    for number, (public, internal) in enumerate(contacts):
        assert public.name in contacts_page and public.email in get(client, sources[number].get_absolute_url())
        assert public.name in get(client, public.get_absolute_url())
        assert client.get(internal.get_absolute_url()).status_code == 404
    for item in items:
        response = client.get(item.obj.get_absolute_url())
        assert INTERNAL not in response.content.decode()
        if item.live_version is not None and item.state != "withdrawn":
            assert contacts[item.source][0].name in response.content.decode()
    # A public contact made internal leaves every page at once, though they are all in the page cache now.
    gone, _ = contacts[0]
    gone.is_public = False
    gone.save()
    surfaces = [reverse("releases:contacts"), sources[0].get_absolute_url()]
    surfaces += [item.obj.get_absolute_url() for item in items if item.listed]
    for url in surfaces:
        assert gone.email not in get(client, url), url
    with override_settings(NEWSROOM_PAGE_CACHE=False):  # nor from the detail pages' kept parts
        for url in surfaces:
            assert gone.email not in get(client, url), url
    assert client.get(gone.get_absolute_url()).status_code == 404

    # Pre-briefed items: only a valid personal link shows them; a revoked or forged one shows nothing.
    for item in items:
        if item.state == "prebriefed":
            links = item.obj.embargo_links
            assert markers(get(client, links["valid"])) == {f"t{item.number}v1", f"s{item.number}v1"}
            document_path = f"documents/{item.document.key}/"
            assert document_path in get(client, links["valid"])
            assert client.get(links["valid"] + document_path).status_code == 200
            assert client.get(links["revoked"] + document_path).status_code in (404, 410)
            forged = links["valid"][:-3] + ("A" if links["valid"][-3] != "A" else "B") + links["valid"][-2:]
            for url in (links["revoked"], forged):
                response = client.get(url)
                assert response.status_code in (404, 410) and markers(response.content.decode()) == set(), url

    # The daily digest (distribution/digest.py) due next, for a subscriber of everything: the listed items.
    # Due a minute from the clock now, not from the example's start: an example that ran past that
    # minute (a loaded machine) approved its last items after it, outside the digest's window.
    assert digest_markers(timezone.now()) == listed


def digest_markers(now):
    """The markers of the digest mail due a minute from ``now`` (its window holds every item made here)."""
    from django.test import override_settings

    from distribution import digest, services
    from distribution.models import Delivery, Publication
    from releases.localtime import local
    from subscriptions.models import Frequency, Subscriber
    from tests.subscriptions.conftest import make_subscriber

    subscriber = Subscriber.objects.filter(email="everything@example.org").first() or make_subscriber(
        "everything@example.org", frequency=Frequency.DAILY,
    )
    with override_settings(NEWSROOM_DIGEST_TIME=f"{local(now + timedelta(minutes=1)):%H:%M}"):
        publication = Publication.objects.create(kind=Publication.Kind.DIGEST, due_at=digest.due_for(now))
        row = Delivery.objects.create(
            publication=publication, address=subscriber.email, via=Delivery.Via.SUBSCRIPTION,
            subscriber_id=subscriber.pk, due_at=publication.due_at,
        )
        mail = services.mail_for(publication)
        found = set()
        for row in mail.select([row]):
            message = mail.message(row)
            text = message.subject + message.body + message.alternatives[0].content
            assert INTERNAL not in text
            found = markers(text)
        publication.delete()
    return found


# --- translations (issue 15): the public side per language ----------------------------------------

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML_LINK = "{http://www.w3.org/1999/xhtml}link"


def sitemap_entries(content):
    """{location: {hreflang: href}} of a sitemap."""
    root = ElementTree.fromstring(content)
    return {
        url.find(f"{SITEMAP}loc").text: {link.get("hreflang"): link.get("href") for link in url.iter(XHTML_LINK)}
        for url in root.iter(f"{SITEMAP}url")
    }


@pytest.mark.django_db
@settings(
    max_examples=max(10, EXAMPLES // 4),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(items=items_strategy)
def test_no_translation_shows_before_it_is_public(client, writer, reviewer, items):
    from releases.translations import link

    Release.objects.all().delete()
    Advisory.objects.all().delete()
    sources = [make_source("NATO", slug="nato"), make_source("Europol", slug="europol")]
    Topic.objects.get_or_create(name="Coopération")
    now = timezone.now()
    with override_settings(NEWSROOM_LANGUAGES=[("en", "English"), ("fr", "Français")]):
        cache.clear()
        originals = {}
        for number, item in enumerate(items):
            item.number = number
            factory = make_advisory if item.kind == "advisory" else make_release
            original = factory(source=sources[item.source], author=writer, title=f"Original o{number}",
                               slug=f"original-{number}")
            original.submit(writer)
            original.approve(reviewer)
            item.obj = create(item, sources, writer, reviewer, now, language="fr")
            link(item.obj, original)
            originals[number] = original
        host = "http://testserver"
        listed = public_markers(items)
        french_url = {item.number: item.obj.get_absolute_url() for item in items}
        assert all(url.startswith("/fr/") for url in french_url.values())

        # The French lists, feeds and calendar: exactly the listed translations; the English ones: none.
        assert markers(get(client, "/fr/")) == listed
        assert markers(get(client, "/fr/?q=newsroomword")) == listed
        assert markers(get(client, "/?q=newsroomword")) == listed  # search looks in every language
        for path in ("/feeds/latest.rss", "/feeds/latest.atom"):
            content = get(client, f"/fr{path}")
            assert feedparser.parse(content).bozo == 0
            assert markers(content) == listed
            assert markers(get(client, path)) == set()
        advisories = public_markers(items, kinds=("advisory",))
        assert markers(get(client, "/fr/advisories.ics").replace("\r\n ", "")) == advisories
        assert markers(get(client, "/advisories.ics").replace("\r\n ", "")) == set()
        assert markers(get(client, "/fr/events/")) == {m for m in advisories if m.startswith("t")}
        assert markers(get(client, "/")) == set()

        # The sitemaps: the French one lists the listed translations; each English original names its
        # translation as an alternate (in both sitemaps) only while the translation is listed.
        french_map, english_map = sitemap_entries(get(client, "/fr/sitemap.xml")), sitemap_entries(get(client, "/sitemap.xml"))
        french_pages = {loc for loc in french_map if "/releases/" in loc or "/advisories/" in loc}
        assert french_pages == {host + french_url[item.number] for item in items if item.listed}
        for item in items:
            original_url = host + originals[item.number].get_absolute_url()
            expected = {"en": original_url, "fr": host + french_url[item.number], "x-default": original_url}
            assert english_map[original_url] == (expected if item.listed else {}), item.state
            if item.listed:
                assert french_map[host + french_url[item.number]] == expected

        # Each original's page: its switch and hreflang lead to the translation only while it is listed.
        for item in items:
            page = get(client, originals[item.number].get_absolute_url())
            assert markers(page) == set()
            alternates = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page)
            switch = page.partition('<nav class="language-switch"')[2].partition("</nav>")[0]
            if item.listed:
                assert ("fr", host + french_url[item.number]) in alternates
                assert f'href="{french_url[item.number]}"' in switch
            else:
                assert alternates == [] and 'href="/fr/" lang="fr"' in switch, item.state
                assert item.obj.slug not in page

        # Each translation's own page at /fr/…, and its old unprefixed address: a redirect only once public.
        for item in items:
            response = client.get(french_url[item.number])
            old = client.get(french_url[item.number].removeprefix("/fr"))
            if item.live_version is None:
                assert response.status_code == 404 and old.status_code == 404, item.state
            else:
                assert response.status_code == 200 and old.status_code == 301, item.state
                assert old["Location"] == french_url[item.number]
                assert markers(response.content.decode()) >= {f"t{item.number}v{item.live_version}"}
