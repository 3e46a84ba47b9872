"""Topics: the press office's list, editors picking from it, topic pages and feeds, related items."""
from datetime import timedelta

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from releases.models import Release, Topic
from releases.workflow import State

from .factories import make_advisory, make_release, make_source, make_user, publish
from .test_admin import change_url, release_form


def on(item, *topics):
    item.topics.set(topics)
    return item


@pytest.fixture
def nato():
    return make_source("NATO", slug="nato")


@pytest.fixture
def europol():
    return make_source("Europol", slug="europol")


@pytest.fixture
def cooperation():
    return Topic.objects.create(name="Coopération", description="Working together.")


# --- the list of topics: the press office curates it, editors pick from it ---------------------


def test_a_topic_name_with_accents_has_a_plain_address_and_a_page(client, cooperation):
    assert cooperation.slug == "cooperation"
    assert cooperation.get_absolute_url() == "/topics/cooperation/"
    page = client.get(cooperation.get_absolute_url()).content.decode()
    assert "<h1>Coopération</h1>" in page and "Working together." in page


def test_a_topic_name_without_latin_letters_keeps_its_own_letters(client):
    topic = Topic.objects.create(name="Безопасность")
    assert topic.slug == "безопасность"
    assert client.get(topic.get_absolute_url()).status_code == 200
    assert Topic.objects.create(name="безопасность!").slug == "безопасность-1"


def test_an_unknown_topic_is_404(client, cooperation):
    for url in ("/topics/no-such-topic/", "/topics/no-such-topic/feed.rss", "/topics/no-such-topic/feed.atom",
                "/topics/%E2%80%8B/", "/topics/..%2f/", "/topics/%00/", "/topics/a%00b/feed.rss", "/topics/%FF/"):
        assert client.get(url).status_code == 404, url


def test_an_empty_topic_page_says_so(client, cooperation, nato, writer, reviewer):
    # A draft on the topic doesn't count: nothing public is on it.
    on(make_release(source=nato, author=writer, title="Draft on cooperation"), cooperation)
    page = client.get(cooperation.get_absolute_url()).content.decode()
    assert "Nothing has been published on Coopération yet." in page
    assert "Draft on cooperation" not in page


@pytest.mark.parametrize("group", ["Writers", "Reviewers"])
def test_only_the_press_office_creates_edits_and_deletes_topics(client, cooperation, group, press_officer):
    client.force_login(make_user(group=group))
    assert client.get(reverse("admin:releases_topic_add")).status_code == 403
    assert client.post(reverse("admin:releases_topic_add"), {"name": "Forged", "slug": ""}).status_code == 403
    assert client.post(reverse("admin:releases_topic_change", args=[cooperation.pk]),
                       {"name": "Renamed", "slug": "renamed", "description": ""}).status_code == 403
    assert client.post(reverse("admin:releases_topic_delete", args=[cooperation.pk]), {"post": "yes"}).status_code == 403
    assert list(Topic.objects.values_list("name", flat=True)) == ["Coopération"]

    client.force_login(press_officer)
    response = client.post(reverse("admin:releases_topic_add"), {"name": "Chișinău talks", "slug": "", "description": ""})
    assert response.status_code == 302
    assert Topic.objects.get(name="Chișinău talks").slug == "chisinau-talks"
    response = client.post(reverse("admin:releases_topic_change", args=[cooperation.pk]),
                           {"name": "Cooperation", "slug": "cooperation", "description": "Together."})
    assert response.status_code == 302
    assert client.post(reverse("admin:releases_topic_delete", args=[cooperation.pk]), {"post": "yes"}).status_code == 302
    assert list(Topic.objects.values_list("name", flat=True)) == ["Chișinău talks"]


def test_editors_pick_existing_topics_and_cannot_create_one(client, writer, nato, cooperation):
    release = make_release(source=nato, author=writer)
    client.force_login(writer)
    page = client.get(change_url(release)).content.decode()
    # Check boxes of the curated topics, not taggit's free-text field that creates what is typed.
    assert "Coopération" in page and 'type="checkbox" name="topics"' in page
    assert reverse("admin:releases_topic_add") not in page  # no "+" beside it

    response = client.post(change_url(release), release_form(release, topics=[cooperation.pk]))
    assert response.status_code == 302
    assert list(release.topics.all()) == [cooperation]

    release.refresh_from_db()
    for forged in (["Brand new topic"], [cooperation.pk + 1000]):
        response = client.post(change_url(release), release_form(release, topics=forged))
        assert response.status_code == 200
        assert "topics" in response.context["adminform"].form.errors
    assert list(Topic.objects.all()) == [cooperation]
    assert list(release.topics.all()) == [cooperation]


def test_a_new_edition_keeps_its_topics_and_a_changed_set_goes_public_on_approval(
    client, writer, reviewer, nato, cooperation,
):
    other = Topic.objects.create(name="Defence")
    release = publish(on(make_release(source=nato, author=writer, title="Allies meet"), cooperation), reviewer)
    draft = release.start_new_draft(writer)
    assert list(draft.topics.all()) == [cooperation]

    draft.topics.set([other])
    # The draft's topics are not public: the pages still show the approved edition's.
    assert "Allies meet" in client.get(cooperation.get_absolute_url()).content.decode()
    assert "Allies meet" not in client.get(other.get_absolute_url()).content.decode()
    draft.last_edited_by = writer
    draft.save()
    draft.submit(writer)
    draft.approve(reviewer)
    # The page cache and validators moved with the approval: both topic pages change at once.
    assert "Allies meet" not in client.get(cooperation.get_absolute_url()).content.decode()
    assert "Allies meet" in client.get(other.get_absolute_url()).content.decode()
    assert "Allies meet" in client.get(reverse("releases:topic-feed-rss", args=[other.slug])).content.decode()


def test_restore_keeps_the_restored_editions_topics(writer, reviewer, nato, cooperation):
    release = publish(on(make_release(source=nato, author=writer), cooperation), reviewer)
    draft = on(release.start_new_draft(writer), Topic.objects.create(name="Defence"))
    draft.last_edited_by = writer
    draft.save()
    draft.submit(writer)
    draft.approve(reviewer)
    release.refresh_from_db()
    assert release.state == State.SUPERSEDED
    assert list(release.restore(writer).topics.all()) == [cooperation]


def test_a_duplicate_keeps_the_topics(writer, reviewer, nato, cooperation):
    """A duplicate is a new item on the same subject (the weekly briefing): it keeps the topics, as a draft."""
    advisory = publish(on(make_advisory(source=nato, author=writer), cooperation), reviewer)
    copy = advisory.duplicate(writer)
    assert list(copy.topics.all()) == [cooperation]
    assert copy.tagged_topics.get().public_since is None


# --- topic pages and feeds -------------------------------------------------------------------


def test_topic_page_and_feeds_list_only_what_is_published_on_it(client, writer, reviewer, nato, cooperation):
    other = Topic.objects.create(name="Defence")
    publish(on(make_release(source=nato, author=writer, title="Public on topic"), cooperation), reviewer)
    publish(on(make_advisory(source=nato, author=writer, title="Advisory on topic"), cooperation), reviewer)
    publish(on(make_release(source=nato, author=writer, title="Public elsewhere"), other), reviewer)
    scheduled = on(make_release(source=nato, author=writer, title="Scheduled on topic"), cooperation)
    publish(scheduled, reviewer, at=timezone.now() + timedelta(days=1))
    withdrawn = publish(on(make_release(source=nato, author=writer, title="Withdrawn on topic"), cooperation), reviewer)
    withdrawn.withdraw(reviewer, "Issued in error.")
    on(make_release(source=nato, author=writer, title="Draft on topic"), cooperation)

    page = client.get(cooperation.get_absolute_url()).content.decode()
    for url in (reverse("releases:topic-feed-rss", args=["cooperation"]), reverse("releases:topic-feed-atom", args=["cooperation"])):
        feed = feedparser.parse(client.get(url).content)
        assert feed.bozo == 0
        assert feed.feed.title.startswith("Coopération")
        assert {entry.title for entry in feed.entries} == {"Public on topic", "Advisory on topic"}
    for title in ("Public on topic", "Advisory on topic"):
        assert title in page
    for title in ("Public elsewhere", "Scheduled on topic", "Withdrawn on topic", "Draft on topic"):
        assert title not in page


def test_topic_pages_are_in_the_sitemap_once_something_is_published_on_them(client, writer, reviewer, nato, cooperation):
    empty = Topic.objects.create(name="Defence")
    on(make_release(source=nato, author=writer), empty)  # a draft only
    publish(on(make_release(source=nato, author=writer), cooperation), reviewer)
    sitemap = client.get(reverse("releases:sitemap")).content.decode()
    assert "http://testserver/topics/cooperation/" in sitemap
    assert "/topics/defence/" not in sitemap


def test_topic_pages_are_cached_and_refreshed_by_publication_withdrawal_and_topic_edits(
    client, writer, reviewer, nato, cooperation, django_assert_num_queries,
):
    url, feed = cooperation.get_absolute_url(), reverse("releases:topic-feed-rss", args=["cooperation"])
    first = client.get(url)
    client.get(feed)
    with django_assert_num_queries(0):
        assert client.get(url).content == first.content
        client.get(feed)

    release = publish(on(make_release(source=nato, author=writer, title="Allies meet"), cooperation), reviewer)
    assert "Allies meet" in client.get(url).content.decode()
    assert "Allies meet" in client.get(feed).content.decode()

    release.withdraw(reviewer, "Issued in error.")
    assert "Allies meet" not in client.get(url).content.decode()
    assert "Allies meet" not in client.get(feed).content.decode()

    cooperation.description = "A new description."
    cooperation.save()
    assert "A new description." in client.get(url).content.decode()


# --- related items ----------------------------------------------------------------------------


def test_related_items_share_a_topic_prefer_the_source_then_the_newest_and_exclude_the_item(
    client, writer, reviewer, nato, europol, cooperation,
):
    other = Topic.objects.create(name="Defence")
    start = timezone.now() - timedelta(days=30)

    def published(title, source, topics, days, factory=make_release):
        return publish(on(factory(source=source, author=writer, title=title), *topics), reviewer,
                       at=start + timedelta(days=days))

    published("Europol newest", europol, [cooperation], 9)
    published("Europol advisory", europol, [cooperation], 8, make_advisory)
    published("NATO old", nato, [cooperation], 1)
    published("NATO other topic", nato, [other], 7)
    published("NATO advisory", nato, [cooperation, other], 3, make_advisory)
    published("Europol oldest", europol, [cooperation], 0)
    item = published("The item", nato, [cooperation], 5)
    scheduled = on(make_release(source=nato, author=writer, title="NATO scheduled"), cooperation)
    publish(scheduled, reviewer, at=timezone.now() + timedelta(hours=1))

    related = [entry.title for entry in item.related()]
    # Its own source first (newest first), then the others, newest first; 4 at most; never itself.
    assert related == ["NATO advisory", "NATO old", "Europol newest", "Europol advisory"]
    section = client.get(item.get_absolute_url()).content.decode().partition('class="related"')[2]
    positions = [section.index(title) for title in related]
    assert positions == sorted(positions)
    assert "The item" not in section and "NATO scheduled" not in section and "Europol oldest" not in section


def test_an_item_without_topics_has_no_related_section(client, writer, reviewer, nato, cooperation):
    publish(on(make_release(source=nato, author=writer, title="On a topic"), cooperation), reviewer)
    item = publish(make_release(source=nato, author=writer, title="Alone"), reviewer)
    page = client.get(item.get_absolute_url()).content.decode()
    assert 'class="related"' not in page and 'class="topics"' not in page


def test_the_topic_index_follows_every_move_of_the_edition(writer, reviewer, nato, europol, cooperation):
    """The through rows' copy of publication and source is what the index reads: it must never lag."""
    release = on(make_release(source=nato, author=writer), cooperation)

    def row():
        return Release.topics.through.objects.get(content_object=release)

    assert row().public_since is None
    publish(release, reviewer, at=timezone.now() + timedelta(days=1))
    assert row().public_since == release.published_at  # scheduled: in the index, read only once due
    release.unschedule(reviewer)
    assert row().public_since is None
    release.refresh_from_db()
    release.approve(reviewer)
    assert row().public_since == release.published_at
    draft = release.start_new_draft(writer)
    draft.source, draft.last_edited_by = europol, writer
    draft.save()
    draft.submit(writer)
    draft.approve(reviewer)
    assert row().public_since is None  # superseded
    assert (draft.tagged_topics.get().public_since, draft.tagged_topics.get().source) == (draft.published_at, europol)
    draft.withdraw(reviewer, "Issued in error.")
    assert draft.tagged_topics.get().public_since is None


@pytest.mark.parametrize("group, may_pick, may_curate", [
    ("Writers", True, False), ("Reviewers", True, False), ("Press office", True, True),
])
def test_the_role_matrix_for_topics(group, may_pick, may_curate):
    """roles.py: everyone in the newsroom sees the list; only the press office changes it."""
    user = make_user(group=group)
    assert user.has_perm("releases.view_topic") is may_pick
    for action in ("add", "change", "delete"):
        assert user.has_perm(f"releases.{action}_topic") is may_curate, action


def test_a_hostile_topic_name_is_stored_clean_and_shown_escaped(client, press_officer, writer, reviewer, nato):
    client.force_login(press_officer)
    response = client.post(reverse("admin:releases_topic_add"), {
        "name": "<script>alert(1)</script> “Novák\x0b& Chișinău”", "slug": "", "description": "Line\u2028break",
    })
    assert response.status_code == 302
    topic = Topic.objects.get()
    assert topic.name == "<script>alert(1)</script> “Novák & Chișinău”"
    assert topic.slug == "scriptalert1script-novak-chisinau"
    client.logout()
    publish(on(make_release(source=nato, author=writer, title="Allies meet"), topic), reviewer)
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; “Novák &amp; Chișinău”" in page
    for name in ("releases:topic-feed-rss", "releases:topic-feed-atom"):
        feed = feedparser.parse(client.get(reverse(name, args=[topic.slug])).content)
        assert feed.bozo == 0 and feed.feed.title.startswith("<script>alert(1)</script> “Novák & Chișinău”")
    release = Release.objects.get(title="Allies meet", state=State.PUBLISHED)
    assert "&lt;script&gt;alert(1)" in client.get(release.get_absolute_url()).content.decode()


# --- topics on the pages and in the feeds -------------------------------------------------------


def test_advisory_pages_show_their_topics_like_release_pages(client, writer, reviewer, nato, cooperation):
    release = publish(on(make_release(source=nato, author=writer, title="A release"), cooperation), reviewer)
    advisory = publish(on(make_advisory(source=nato, author=writer, title="An advisory"), cooperation), reviewer)
    for item in (release, advisory):
        page = client.get(item.get_absolute_url()).content.decode()
        topics = page.partition('<nav class="topics" aria-label="Topics">')[2].partition("</nav>")[0]
        assert f'<a class="topic" href="{cooperation.get_absolute_url()}">Coopération</a>' in topics, item


FEED_NAMES = ("releases:feed-rss", "releases:feed-atom", "releases:source-feed-rss", "releases:source-feed-atom")


def feed_categories(client, name, title):
    url = reverse(name, args=["nato"]) if "source" in name else reverse(name)
    feed = feedparser.parse(client.get(url).content)
    assert feed.bozo == 0
    entry = next(entry for entry in feed.entries if entry.title == title)
    return [tag.term for tag in entry.tags]


def test_topics_are_categories_of_feed_entries(client, writer, reviewer, nato, cooperation):
    """The kind, then the item's topics by name, in RSS <category> and Atom <category term>."""
    defence = Topic.objects.create(name="Defence")
    publish(on(make_release(source=nato, author=writer, title="On two"), defence, cooperation), reviewer)
    publish(on(make_advisory(source=nato, author=writer, title="Advisory on one"), cooperation), reviewer)
    publish(make_release(source=nato, author=writer, title="On none"), reviewer)
    for name in FEED_NAMES:
        assert feed_categories(client, name, "On two") == ["Press release", "Coopération", "Defence"], name
        assert feed_categories(client, name, "Advisory on one") == ["Media advisory", "Coopération"], name
        assert feed_categories(client, name, "On none") == ["Press release"], name
    topic_feed = feedparser.parse(client.get(reverse("releases:topic-feed-atom", args=["cooperation"])).content)
    assert {entry.title: [tag.term for tag in entry.tags] for entry in topic_feed.entries}["On two"] == [
        "Press release", "Coopération", "Defence"]


def test_a_drafts_new_topic_is_not_a_category_until_approved(client, writer, reviewer, nato, cooperation):
    """Only the published edition's topics reach the feeds: a draft's change of topics waits for approval."""
    secret = Topic.objects.create(name="Secret summit")
    live = publish(on(make_release(source=nato, author=writer, title="Live"), cooperation), reviewer)
    draft = live.start_new_draft(writer)
    draft.topics.set([secret])
    for name in FEED_NAMES:
        assert feed_categories(client, name, "Live") == ["Press release", "Coopération"]
        url = reverse(name, args=["nato"]) if "source" in name else reverse(name)
        assert "Secret summit" not in client.get(url).content.decode()
    draft.submit(writer)
    draft.approve(reviewer)
    for name in FEED_NAMES:
        assert feed_categories(client, name, "Live") == ["Press release", "Secret summit"]
