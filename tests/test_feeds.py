"""RSS and Atom feeds: valid, public items only, stable ids, dates, per source, linked from pages."""
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from releases.demo.topics import load_topics
from releases.importers import import_digest
from releases.models import Advisory, ProgrammeEntry, Release, Source, Topic
from releases.text import normalise_text

from .factories import make_advisory, make_picture, make_release, make_source, publish

SEED = Path(__file__).resolve().parents[1] / "releases" / "demo" / "digest.txt"
FEEDS = {
    "rss": ("releases:feed-rss", "releases:source-feed-rss", "application/rss+xml; charset=utf-8", "rss20"),
    "atom": ("releases:feed-atom", "releases:source-feed-atom", "application/atom+xml; charset=utf-8", "atom10"),
}


@pytest.fixture(params=["rss", "atom"])
def feed_format(request):
    return request.param


def read_feed(client, url, feed_format):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == FEEDS[feed_format][2]
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == FEEDS[feed_format][3]
    return feed


def latest(client, feed_format):
    return read_feed(client, reverse(FEEDS[feed_format][0]), feed_format)


def of_source(client, slug, feed_format):
    return read_feed(client, reverse(FEEDS[feed_format][1], args=[slug]), feed_format)


def test_seed_feeds_parse_and_list_everything_newest_first(client, db, feed_format):
    import_digest(SEED, publish=True)
    feed = latest(client, feed_format)
    public = sorted([*Release.objects.published(), *Advisory.objects.published()], key=lambda item: item.published_at,
                    reverse=True)
    assert len(public) == 10
    assert [entry.title for entry in feed.entries] == [item.title for item in public]
    assert [entry.link for entry in feed.entries] == [f"http://testserver{item.get_absolute_url()}" for item in public]
    hungary = next(entry for entry in feed.entries if "President of Hungary" in entry.title)
    assert "17:30 CET" in hungary.summary and "NATO Headquarters" in hungary.summary
    assert "Mrs Katalin Novák" in hungary.summary
    assert hungary.author == "NATO"


def test_nato_feed_has_only_nato_items(client, db, feed_format):
    """What a journalist subscribes to in a feed reader: NATO's releases and advisories, nothing else."""
    import_digest(SEED, publish=True)
    feed = of_source(client, "nato", feed_format)
    nato = [*Release.objects.published().filter(source__slug="nato"),
            *Advisory.objects.published().filter(source__slug="nato")]
    assert len(feed.entries) == len(nato) == 6
    assert {entry.title for entry in feed.entries} == {item.title for item in nato}
    assert {entry.author for entry in feed.entries} == {"NATO"}
    assert feed.feed.title.startswith("NATO")
    assert feed.feed.link == "http://testserver/sources/nato/"


def test_unpublished_items_are_not_in_any_feed(client, writer, reviewer, feed_format):
    source = make_source("NATO", slug="nato")
    make_release(source=source, author=writer, title="A draft")
    in_review = make_release(source=source, author=writer, title="In review")
    in_review.submit(writer)
    publish(make_advisory(source=source, author=writer, title="Scheduled"), reviewer,
            at=timezone.now() + timedelta(hours=1))
    withdrawn = publish(make_release(source=source, author=writer, title="Withdrawn"), reviewer)
    withdrawn.withdraw(reviewer, "Issued in error.")
    publish(make_release(source=source, author=writer, title="Public"), reviewer)
    assert [entry.title for entry in latest(client, feed_format).entries] == ["Public"]
    assert [entry.title for entry in of_source(client, "nato", feed_format).entries] == ["Public"]


def test_entry_id_survives_a_title_edit_and_shows_the_update(client, writer, reviewer, feed_format):
    published_at = timezone.now() - timedelta(days=2)
    live = publish(make_release(author=writer, title="First title", summary="First summary."), reviewer,
                   at=published_at)
    before = latest(client, feed_format).entries[0]
    assert before.id == f"urn:uuid:{live.document}"

    draft = live.start_new_draft(writer)
    draft.title, draft.summary, draft.last_edited_by = "Corrected title", "Corrected summary.", writer
    draft.save()
    draft.submit(writer)
    assert latest(client, feed_format).entries[0].title == "First title"  # the edit is still in review
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        # A major change is what feed readers see as an update (a minor one isn't: test_change_notes).
        draft.approve(reviewer, major=True, note="Corrected the title.")
        after = latest(client, feed_format).entries[0]
    assert after.id == before.id
    assert after.title == "Corrected title"
    assert "Corrected summary." in after.summary and "First summary." not in after.summary
    assert after.link == before.link
    if feed_format == "atom":
        # Atom carries both times: the original publication and the approval of the edit.
        assert after.published_parsed == before.published_parsed
        assert after.updated_parsed > before.updated_parsed
    else:
        assert after.published_parsed == before.published_parsed


def test_entry_dates_are_publication_and_approval_times(client, writer, reviewer):
    moment = timezone.now().replace(microsecond=0) - timedelta(days=1)
    with time_machine.travel(moment, tick=False):
        release = publish(make_release(author=writer, title="Dated"), reviewer)
    entry = latest(client, "atom").entries[0]
    assert entry.published == release.published_at.isoformat()
    assert entry.updated == release.revised_at.isoformat()
    rss = latest(client, "rss").entries[0]
    assert rss.published_parsed[:6] == moment.utctimetuple()[:6]


def test_entry_has_summary_and_link_to_the_page(client, writer, reviewer, feed_format):
    release = publish(make_release(author=writer, title="Linked", summary="Teaser <b>&</b> more."), reviewer)
    entry = latest(client, feed_format).entries[0]
    url = f"http://testserver{release.get_absolute_url()}"
    assert entry.link == url
    assert "Teaser &lt;b&gt;&amp;&lt;/b&gt; more." in entry.summary  # the summary is text, escaped once in the HTML
    assert f'href="{url}"' in entry.summary


def test_lead_picture_is_an_enclosure(client, writer, reviewer, feed_format):
    release = make_release(author=writer, title="With a picture")
    picture = make_picture(release, is_lead=True)
    make_picture(release, alt_text="A gallery picture")
    publish(release, reviewer)
    entry = latest(client, feed_format).entries[0]
    enclosures = entry.enclosures
    assert len(enclosures) == 1
    assert enclosures[0].href == f"http://testserver{picture.largest_url}"
    assert enclosures[0].type == "image/jpeg"
    assert int(enclosures[0].length) == picture.largest["size"]
    assert client.get(picture.largest_url).status_code == 200


def test_unknown_source_feed_is_404(client, db):
    assert client.get(reverse("releases:source-feed-rss", args=["nobody"])).status_code == 404
    assert client.get(reverse("releases:source-feed-atom", args=["nobody"])).status_code == 404


def test_empty_feeds_are_valid(client, db, feed_format):
    make_source("Europol", slug="europol")
    assert latest(client, feed_format).entries == []
    assert of_source(client, "europol", feed_format).entries == []


def test_pages_link_their_feeds(client, writer, reviewer):
    source = make_source("NATO", slug="nato")
    release = publish(make_release(source=source, author=writer), reviewer)
    for url in (reverse("releases:home"), release.get_absolute_url(), source.get_absolute_url()):
        page = client.get(url).content.decode()
        assert '<link rel="alternate" type="application/rss+xml"' in page and 'href="/feeds/latest.rss"' in page
        assert '<link rel="alternate" type="application/atom+xml"' in page and 'href="/feeds/latest.atom"' in page
    page = client.get(source.get_absolute_url()).content.decode()
    assert 'href="/sources/nato/feed.rss"' in page and 'href="/sources/nato/feed.atom"' in page


# --- text stored before input was normalised ---------------------------------------------------

#: What rows saved before the normaliser may hold: Word's manual line break, an ANSI escape, a form
#: feed, DEL, a noncharacter, a Unicode line separator. None of them may reach XML 1.0.
LEGACY_TITLES = [
    "Pasted from Word\x0bsecond line",
    "Digest \x1b[1mbold\x1b[0m title",
    "Form\x0cfeed and DEL\x7f",
    "Noncharacter \ufffe in Chișinău",
    "Line\u2028separator “quoted”",
]


def store_legacy_text(release, advisory, title):
    """Write hostile text straight into the rows, as data saved before the input fix would be."""
    Release.objects.filter(pk=release.pk).update(title=title, summary=f"Summary: {title}")
    Advisory.objects.filter(pk=advisory.pk).update(
        title=f"Advisory {title}", summary=f"About {title}", venue=f"Hall {title}", accreditation=f"Ask {title}",
    )
    ProgrammeEntry.objects.create(advisory=advisory, time="09:00", description=f"Doors {title}")
    Source.objects.filter(pk=release.source_id).update(name=f"Office {title}")


@pytest.mark.parametrize("title", LEGACY_TITLES)
def test_stored_control_characters_dont_break_any_feed(client, writer, reviewer, feed_format, title):
    """Defect 3: a title with a control character took every feed down (500); now each feed parses."""
    source = make_source("Legacy office", slug="legacy")
    release = publish(make_release(source=source, author=writer), reviewer)
    advisory = publish(make_advisory(source=source, author=writer), reviewer)
    store_legacy_text(release, advisory, title)
    clean = normalise_text(title, multiline=False)
    for feed in (latest(client, feed_format), of_source(client, "legacy", feed_format)):
        assert {entry.title for entry in feed.entries} == {clean, f"Advisory {clean}"}
        assert {entry.author for entry in feed.entries} == {f"Office {clean}"}
        release_entry = next(entry for entry in feed.entries if entry.title == clean)
        assert normalise_text(f"Summary: {title}") in release_entry.summary
    assert of_source(client, "legacy", feed_format).feed.title.startswith(f"Office {clean}")


# --- a person who clicks "Follow": the feeds page ----------------------------------------------


def test_seed_unicode_survives_in_every_feed(client, db, feed_format):
    """Chișinău, Novák and curly quotes arrive in feed readers as they were written, in both formats."""
    import_digest(SEED, publish=True)
    feed = latest(client, feed_format)
    titles = " ".join(entry.title for entry in feed.entries)
    summaries = " ".join(entry.summary for entry in feed.entries)
    assert "Chișinău" in titles
    assert "Mrs Katalin Novák" in summaries
    assert "“" in summaries or "’" in summaries


def test_feeds_page_lists_every_feed_with_its_address(client, db):
    """What a person sees instead of raw XML: what a feed is, then each feed's address to copy."""
    import_digest(SEED, publish=True)
    load_topics()
    response = client.get(reverse("releases:feeds"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "copy a feed" in page and "raw XML" in page
    for url in ("/feeds/latest.rss", "/feeds/latest.atom", "/sources/nato/feed.rss", "/sources/europol/feed.atom",
                "/topics/cooperation-scientifique/feed.rss", "/topics/allies-and-partners/feed.atom"):
        # The address itself is on the page, absolute, ready to paste into a reader.
        assert f"<code>http://testserver{url}</code>" in page
    assert "Coopération scientifique" in page
    assert 'id="source-nato"' in page and 'id="topic-cooperation-scientifique"' in page and 'id="latest"' in page


def test_the_follow_links_lead_to_the_feeds_page_at_their_feed(client, db):
    import_digest(SEED, publish=True)
    load_topics()
    feeds_page = client.get(reverse("releases:feeds")).content.decode()
    for url, anchor in ((reverse("releases:home"), "latest"), ("/sources/nato/", "source-nato"),
                        ("/topics/cooperation-scientifique/", "topic-cooperation-scientifique")):
        page = client.get(url).content.decode()
        assert f'<a href="/feeds/#{anchor}">in a feed reader (RSS, Atom)</a>' in page
        assert f'id="{anchor}"' in feeds_page


def test_feeds_page_names_no_source_or_topic_with_nothing_public(client, writer, reviewer):
    """A source or topic known only from a draft or a scheduled item is not announced on the feeds page."""
    quiet = make_source("Quiet office", slug="quiet")
    busy = make_source("Busy office", slug="busy")
    secret = Topic.objects.create(name="Secret summit")
    public_topic = Topic.objects.create(name="Open summit")
    make_release(source=quiet, author=writer, title="A draft").topics.set([secret])
    scheduled = make_release(source=quiet, author=writer, title="Scheduled")
    scheduled.topics.set([secret])
    publish(scheduled, reviewer, at=timezone.now() + timedelta(hours=1))
    published = make_release(source=busy, author=writer, title="Out")
    published.topics.set([public_topic])
    publish(published, reviewer)
    page = client.get(reverse("releases:feeds")).content.decode()
    assert "Busy office" in page and "Open summit" in page
    assert "Quiet office" not in page and "/sources/quiet/" not in page
    assert "Secret summit" not in page and "secret-summit" not in page


def test_a_hostile_source_name_is_text_on_the_feeds_page(client, writer, reviewer):
    source = make_source("<script>alert(1)</script> office", slug="hostile")
    publish(make_release(source=source, author=writer), reviewer)
    page = client.get(reverse("releases:feeds")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; office" in page


def test_feeds_keep_their_feed_types_for_feed_readers(client, db, feed_format):
    """The feeds page is for people; the feeds themselves stay plain feeds, without a stylesheet."""
    response = client.get(reverse(FEEDS[feed_format][0]))
    assert response["Content-Type"] == FEEDS[feed_format][2]
    assert b"xml-stylesheet" not in response.content
