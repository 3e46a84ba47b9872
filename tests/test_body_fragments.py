"""Detail pages' bodies rendered once per edition (releases/fragments.py): reused, and never stale."""
import re
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releases import fragments
from releases.models import ProgrammeEntry

from .factories import make_advisory, make_contact, make_document, make_picture, make_release, make_source, publish

BODIES = ("releases/includes/release_body.html", "releases/includes/advisory_body.html")


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """The page cache off, so each request renders its page and the bodies' cache is the only one."""
    settings.NEWSROOM_PAGE_CACHE = False


@pytest.fixture
def body_renders():
    """The items whose body template has been rendered, one entry a render."""
    rendered = []

    def count(sender, template, context, **kwargs):
        if template.name in BODIES:
            rendered.append(context.get("item"))

    template_rendered.connect(count)
    yield rendered
    template_rendered.disconnect(count)


def page(client, item):
    response = client.get(item.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def new_edition(edition, writer, reviewer, **fields):
    draft = edition.start_new_draft(writer)
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.save_edit(writer, draft.revision, list(fields))
    draft.submit(writer)
    draft.approve(reviewer)
    return type(draft).objects.get(pk=draft.pk)


def test_a_body_is_rendered_once_and_reused(client, writer, reviewer, body_renders):
    release = publish(make_release(title="Reused", body="Allies met in Chișinău.", author=writer), reviewer)
    make_picture(release, alt_text="The table", is_lead=True)
    make_document(release, title="Fact sheet")
    release.contacts.set([make_contact(source=release.source, name="Press office")])
    advisory = publish(make_advisory(title="Briefing", author=writer), reviewer)
    first = [page(client, release), page(client, advisory)]
    assert len(body_renders) == 2
    second = [page(client, release), page(client, advisory)]
    assert len(body_renders) == 2, "the second requests rendered the bodies again"
    assert first == second


def test_a_kept_page_reads_only_its_editions_row(client, writer, reviewer, body_renders, monkeypatch):
    release = publish(make_release(title="Counted", author=writer), reviewer)
    make_picture(release, is_lead=True)
    make_document(release, title="Fact sheet")
    release.contacts.set([make_contact(source=release.source, name="Press office")])
    release.topics.add("Cyber defence")
    page(client, release)  # the public state and the page's parts stored
    with CaptureQueriesContext(connection) as hit:
        kept = page(client, release)
    monkeypatch.setattr(fragments, "template_version", lambda: "a-new-deploy")
    with CaptureQueriesContext(connection) as miss:
        rendered = page(client, release)
    assert len(body_renders) == 2
    assert kept == rendered
    assert len(hit) == 1 and "releases_release" in hit[0]["sql"]
    parts = ("releases_picture", "releases_document", "releases_contact", "releases_topic")
    assert not any(part in query["sql"] for query in hit for part in parts)
    assert all(any(part in query["sql"] for query in miss) for part in parts)


def test_a_new_edition_shows_its_new_text_at_once(client, writer, reviewer):
    edition = publish(make_release(title="Talks", body="First words of the text.", author=writer), reviewer)
    assert "First words of the text." in page(client, edition)
    second = new_edition(edition, writer, reviewer, body="Second words of the text.")
    assert second.slug == edition.slug
    text = page(client, second)
    assert "Second words of the text." in text and "First words of the text." not in text


def test_a_withdrawn_edition_shows_the_notice_and_not_the_body(client, writer, reviewer):
    edition = publish(make_release(title="In error", body="Text issued in error.", author=writer), reviewer)
    assert "Text issued in error." in page(client, edition)
    edition.withdraw(reviewer, "Issued by mistake.")
    text = page(client, edition)
    assert "has been withdrawn" in text and "Text issued in error." not in text


def test_a_picture_changed_or_added_shows_at_once(client, writer, reviewer):
    release = publish(make_release(title="Pictured", author=writer), reviewer)
    picture = make_picture(release, alt_text="Ministers", caption="At the table", is_lead=True)
    assert "At the table" in page(client, release)
    picture.caption = "Ministers in Chișinău"
    picture.save()
    text = page(client, release)
    assert "Ministers in Chișinău" in text and "At the table" not in text
    make_picture(release, alt_text="The family photo", caption="Family photo, Novák on the left", position=1)
    assert "Family photo, Novák on the left" in page(client, release)


def test_a_document_added_or_renamed_shows_at_once(client, writer, reviewer):
    release = publish(make_release(title="With a kit", author=writer), reviewer)
    assert "Fact sheet" not in page(client, release)
    document = make_document(release, title="Fact sheet")
    assert "Fact sheet" in page(client, release)
    document.title = "Fiche d’information"
    document.save()
    text = page(client, release)
    assert "Fiche d’information" in text and "Fact sheet" not in text


def test_a_renamed_source_shows_at_once_in_the_body(client, writer, reviewer):
    source = make_source(name="Old Ministry", social_handles="@OldMinistry")
    release = publish(make_release(source=source, title="Ministry news", original_url="https://example.org/news",
                                   author=writer), reviewer)
    assert "Read the full text on the Old Ministry website" in page(client, release)
    source.name = "Ministerul Afacerilor Externe, Chișinău"
    source.social_handles = "@MAEIE"
    source.save()
    text = page(client, release)
    assert "Read the full text on the Ministerul Afacerilor Externe, Chișinău website" in text
    assert "Follow Ministerul Afacerilor Externe, Chișinău:" in text and "@MAEIE" in text
    assert "Old Ministry" not in text and "@OldMinistry" not in text


def test_a_contact_edited_shows_at_once(client, writer, reviewer):
    release = publish(make_release(title="Contacts", author=writer), reviewer)
    contact = make_contact(source=release.source, name="Jana Novák", phone="+32 2 707 50 41")
    release.contacts.set([contact])
    assert "+32 2 707 50 41" in page(client, release)
    contact.phone = "+373 22 578 207"
    contact.save()
    text = page(client, release)
    assert "+373 22 578 207" in text and "+32 2 707 50 41" not in text
    contact.is_public = False
    contact.save()
    assert "Jana Novák" not in page(client, release)


def test_an_advisory_body_turns_from_upcoming_to_past(client, writer, reviewer):
    day = date(2031, 6, 10)
    with time_machine.travel(datetime(2031, 5, 1, 9, 0, tzinfo=dt_timezone.utc)):
        advisory = publish(make_advisory(title="Summit briefing", event_date=day, event_time=time(10, 0),
                                         author=writer), reviewer)
    label = re.compile(r"event-status--(\w+)")
    for moment, status in [((6, 9), "upcoming"), ((6, 10), "today"), ((6, 11), "past")]:
        with time_machine.travel(datetime(2031, *moment, 12, 0, tzinfo=dt_timezone.utc), tick=False):
            assert label.findall(page(client, advisory)) == [status]


def test_an_advisory_shows_its_follow_up_once_public_and_not_once_withdrawn(client, writer, reviewer):
    release = make_release(author=writer, title="What was said at the event")
    advisory = publish(make_advisory(author=writer, follow_up=release), reviewer)
    assert "What was said at the event" not in page(client, advisory)
    release = publish(release, reviewer)
    assert "What was said at the event" in page(client, advisory)
    release.withdraw(reviewer, "Issued in error.")
    assert "What was said at the event" not in page(client, advisory)


def test_a_programme_entry_changed_shows_at_once(client, writer, reviewer):
    advisory = publish(make_advisory(author=writer, title="Programmed"), reviewer)
    entry = ProgrammeEntry.objects.create(advisory=advisory, time=time(10, 0), description="Arrival of ministers")
    assert "Arrival of ministers" in page(client, advisory)
    entry.description = "Doorstep by Ms Novák"
    entry.save()
    text = page(client, advisory)
    assert "Doorstep by Ms Novák" in text and "Arrival of ministers" not in text


def test_a_cached_body_is_escaped_exactly_once(client, writer, reviewer):
    release = publish(make_release(
        title="Talks in Chișinău", summary="Novák’s “plan” <b>now</b> & more",
        body="Ministers met in Chișinău; Ms Novák said “welcome” & <script>alert(1)</script>.",
        original_url="https://example.org/?a=1&b=2", author=writer,
    ), reviewer)
    make_picture(release, alt_text="<script>x</script> “Novák”", caption="Chișinău & Tiraspol", is_lead=True)
    pages = [page(client, release) for _ in range(2)]  # rendered, then from the cache
    assert pages[0] == pages[1]
    for text in pages:
        assert "Ministers met in Chișinău; Ms Novák said “welcome” &amp; " in text
        assert "Novák’s “plan” &lt;b&gt;now&lt;/b&gt; &amp; more" in text  # the standfirst
        assert 'alt="&lt;script&gt;x&lt;/script&gt; “Novák”"' in text and "Chișinău &amp; Tiraspol" in text
        assert 'href="https://example.org/?a=1&amp;b=2"' in text
        assert "<script>alert" not in text and "<script>x" not in text and "&amp;lt;" not in text


def test_a_template_change_renders_the_body_again(client, writer, reviewer, body_renders, monkeypatch):
    release = publish(make_release(title="Stable", author=writer), reviewer)
    page(client, release)
    page(client, release)
    assert len(body_renders) == 1
    monkeypatch.setattr(fragments, "template_version", lambda: "a-new-deploy")
    page(client, release)
    assert len(body_renders) == 2


def test_a_preview_is_never_served_to_the_public(client, writer, reviewer):
    """The preview leaves out what only the public page has ("Download all", "Add to calendar")."""
    release = publish(make_release(title="Previewed", author=writer), reviewer)
    make_document(release, title="Fact sheet")
    advisory = publish(make_advisory(title="Previewed event", author=writer), reviewer)
    client.force_login(writer)
    for item in (release, advisory):
        preview = client.get(reverse("releases:preview", args=[item.kind, item.pk])).content.decode()
        assert "Preview of version" in preview
    client.logout()
    assert "Download all" in page(client, release)
    assert "Add to calendar" in page(client, advisory)


def test_an_unpublished_edition_is_never_stored(client, writer, reviewer, body_renders):
    at = datetime.now(dt_timezone.utc) + timedelta(hours=2)
    release = publish(make_release(title="Not yet", body="Embargoed words.", author=writer), reviewer, at=at)
    draft = make_release(title="A draft", body="Draft words.", author=writer)
    client.force_login(writer)
    for item in (release, draft):
        assert "words." in client.get(reverse("releases:preview", args=["release", item.pk])).content.decode()
    client.logout()
    assert client.get(release.get_absolute_url()).status_code == 404
    assert len(body_renders) == 2
    with time_machine.travel(at + timedelta(minutes=1)):
        assert "Embargoed words." in page(client, release)
        assert len(body_renders) == 3, "the public page was served from what the preview rendered"
        assert "Embargoed words." in page(client, release)
        assert len(body_renders) == 3, "the public page was not kept"


def test_an_advisorys_follow_up_costs_one_query_and_none_once_kept(client, writer, reviewer, monkeypatch):
    release = publish(make_release(author=writer, title="What was said"), reviewer)
    plain = publish(make_advisory(author=writer, title="Without"), reviewer)
    followed = publish(make_advisory(author=writer, title="With", follow_up=release), reviewer)
    for advisory in (plain, followed):
        page(client, advisory)  # the public state and the pages' parts stored
    with CaptureQueriesContext(connection) as without:
        page(client, plain)
    with CaptureQueriesContext(connection) as with_follow_up:
        assert "What was said" in page(client, followed)
    assert len(with_follow_up) == len(without) == 1
    monkeypatch.setattr(fragments, "template_version", lambda: "a-new-deploy")
    with CaptureQueriesContext(connection) as without:
        page(client, plain)
    with CaptureQueriesContext(connection) as with_follow_up:
        assert "What was said" in page(client, followed)
    assert len(with_follow_up) == len(without) + 1


def test_a_topic_filed_or_a_related_item_published_shows_at_once(client, writer, reviewer):
    release = publish(make_release(title="Talks on cyber defence", author=writer), reviewer)
    release.topics.add("Cyber defence")
    assert "Cyber defence" in page(client, release) and "Exercise in Chișinău" not in page(client, release)
    other = make_release(title="Exercise in Chișinău", author=writer)
    other.topics.add("Cyber defence")
    publish(other, reviewer)
    assert "Exercise in Chișinău" in page(client, release)
    release.topics.add("Coopération")
    assert "Coopération" in page(client, release)
    release.topics.remove("Cyber defence")
    text = page(client, release)
    assert "Coopération" in text and "Cyber defence" not in text and "Exercise in Chișinău" not in text


def test_a_page_kept_at_one_address_is_not_served_at_another(client, writer, reviewer, settings):
    settings.ALLOWED_HOSTS = ["testserver", "press.example.org"]
    release = publish(make_release(title="Addressed", author=writer), reviewer)
    url = release.get_absolute_url()
    for _ in range(2):
        first = client.get(url).content.decode()
        second = client.get(url, HTTP_HOST="press.example.org").content.decode()
        assert f'<link rel="canonical" href="http://testserver{url}">' in first
        assert f'<link rel="canonical" href="http://press.example.org{url}">' in second
        assert "press.example.org" not in first and "testserver" not in second
