"""What the public sees: lists, filters, detail pages, source pages, visibility of every state."""
import html
import re
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from releases.models import Release

from .factories import make_advisory, make_contact, make_release, make_source, make_user, publish

FACTORIES = {"release": make_release, "advisory": make_advisory}


@pytest.fixture(params=["release", "advisory"])
def make_item(request):
    return FACTORIES[request.param]


def visible(client, item):
    """Is the item on the home page, its source page and its own page?"""
    home = client.get(reverse("releases:home")).content.decode()
    source_page = client.get(item.source.get_absolute_url()).content.decode()
    detail = client.get(item.get_absolute_url())
    return item.title in home, item.title in source_page, detail.status_code


def test_draft_in_review_and_future_items_are_invisible(client, make_item, writer, reviewer):
    draft = make_item(author=writer, title="Draft item")
    in_review = make_item(author=writer, title="Item in review")
    in_review.submit(writer)
    scheduled = publish(make_item(author=writer, title="Scheduled item"), reviewer,
                        at=timezone.now() + timedelta(hours=1))
    for item in (draft, in_review, scheduled):
        assert visible(client, item) == (False, False, 404)


def test_published_item_is_visible(client, make_item, writer, reviewer):
    item = publish(make_item(author=writer, title="Published item"), reviewer)
    assert visible(client, item) == (True, True, 200)


def test_publication_time_one_second_each_side(client, make_item, writer, reviewer):
    """The publication time is the boundary, to the second, with no background job."""
    moment = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    item = publish(make_item(author=writer, title="Timed item"), reviewer, at=moment)
    with time_machine.travel(moment - timedelta(seconds=1), tick=False):
        assert visible(client, item) == (False, False, 404)
    with time_machine.travel(moment + timedelta(seconds=1), tick=False):
        assert visible(client, item) == (True, True, 200)


def test_withdrawn_item_shows_notice_not_body(client, make_item, writer, reviewer):
    item = publish(make_item(author=writer, title="Withdrawn item", summary="Secret summary text.",
                             body="Secret body text."), reviewer)
    item.withdraw(reviewer, "Issued in error; see the corrected statement.")
    home, source_page, status = visible(client, item)
    assert (home, source_page, status) == (False, False, 200)
    page = client.get(item.get_absolute_url()).content.decode()
    assert "has been withdrawn" in page
    assert "Issued in error; see the corrected statement." in page
    assert "Secret summary text." not in page and "Secret body text." not in page
    assert "noindex" in page


def test_edit_in_review_does_not_change_public_page(client, make_item, writer, reviewer):
    live = publish(make_item(author=writer, title="Live title", summary="Live summary."), reviewer)
    draft = live.start_new_draft(writer)
    draft.title, draft.summary, draft.last_edited_by = "Edited title", "Edited summary.", writer
    draft.save()
    draft.submit(writer)
    page = client.get(live.get_absolute_url()).content.decode()
    assert "Live summary." in page and "Edited summary." not in page
    draft.approve(reviewer)
    page = client.get(live.get_absolute_url()).content.decode()
    assert "Edited summary." in page and "Live summary." not in page


def test_title_edit_keeps_the_old_url(client, writer, reviewer):
    live = publish(make_release(author=writer, title="First title", slug="first-title"), reviewer)
    url = live.get_absolute_url()
    draft = live.start_new_draft(writer)
    draft.title = "A completely different title"
    draft.save()
    draft.submit(writer)
    draft.approve(reviewer)
    response = client.get(url)
    assert response.status_code == 200
    assert "A completely different title" in response.content.decode()


def test_home_lists_newest_first_and_upcoming_advisories(client, writer, reviewer):
    older = publish(make_release(author=writer, title="Older release"), reviewer,
                    at=timezone.now() - timedelta(days=2))
    newer = publish(make_release(author=writer, title="Newer release"), reviewer,
                    at=timezone.now() - timedelta(days=1))
    upcoming = publish(make_advisory(author=writer, title="Upcoming press conference",
                                     event_date=date.today() + timedelta(days=3)), reviewer)
    page = client.get(reverse("releases:home")).content.decode()
    assert page.index(newer.title) < page.index(older.title)
    assert "Upcoming media events" in page
    assert page.index(upcoming.title) < page.index(newer.title)


def test_filters_by_source_kind_and_dates(client, writer, reviewer):
    nato, europol = make_source("NATO", slug="nato"), make_source("Europol", slug="europol")
    a = publish(make_release(source=nato, author=writer, title="NATO release"), reviewer,
                at=timezone.now() - timedelta(days=10))
    b = publish(make_release(source=europol, author=writer, title="Europol release"), reviewer)
    c = publish(make_advisory(source=nato, author=writer, title="NATO advisory"), reviewer)
    url = reverse("releases:home")

    def titles(**params):
        page = client.get(url, params).content.decode()
        return {item.title for item in (a, b, c) if item.title in page}

    assert titles(source="nato") == {a.title, c.title}
    assert titles(kind="advisory") == {c.title}
    assert titles(kind="release", source="nato") == {a.title}
    since = (timezone.now() - timedelta(days=2)).date().isoformat()
    assert titles(date_from=since) == {b.title, c.title}
    assert titles(date_to=since) == {a.title}


@pytest.mark.parametrize("params", [
    {"date_from": "not-a-date"}, {"date_to": "2023-13-45"}, {"source": "no-such-source"},
    {"kind": "podcast"}, {"page": "999"}, {"page": "-1"}, {"page": "abc"}, {"date_to": "9999-12-31"},
    {"before": "1.r1"}, {"after": "x"}, {"q": "summit", "page": "100000"},
    {"date_from": "0001-01-01"},
])
def test_bad_filter_input_is_a_form_error_not_a_500(client, params):
    response = client.get(reverse("releases:home"), params)
    assert response.status_code == 200


@pytest.mark.parametrize("zone", ["Europe/Brussels", "America/Los_Angeles", "Pacific/Kiritimati"])
@pytest.mark.parametrize("params", [
    {"date_from": "0001-01-01"}, {"date_to": "0001-01-01"}, {"date_from": "9999-12-31"}, {"date_to": "9999-12-31"},
    {"date_from": "1899-12-31"}, {"date_to": "2200-01-01"}, {"date_from": "0001-01-01", "date_to": "9999-12-31"},
])
def test_dates_outside_the_range_are_a_form_error_in_any_server_zone(client, settings, writer, reviewer, zone, params):
    """Defect 13: /?date_from=0001-01-01 was a 500 (OverflowError) on SQLite with TIME_ZONE=Europe/Brussels."""
    settings.TIME_ZONE = zone
    source = make_source("NATO", slug="nato")
    release = publish(make_release(source=source, author=writer, title="Chișinău summit"), reviewer)
    for url in (reverse("releases:home"), reverse("releases:source", args=["nato"])):
        response = client.get(url, params)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Give a date between 1 January 1900 and 31 December 2199." in page
        assert release.title not in page


@pytest.mark.parametrize("zone", ["Europe/Brussels", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_the_ends_of_the_date_range_are_accepted(client, settings, writer, reviewer, zone):
    """The first and last days of the range filter normally, in any server zone."""
    settings.TIME_ZONE = zone
    release = publish(make_release(author=writer, title="Chișinău summit"), reviewer)
    for params in ({"date_from": "1900-01-01"}, {"date_to": "2199-12-31"}, {"date_from": "1900-01-01", "date_to": "2199-12-31"}):
        response = client.get(reverse("releases:home"), params)
        assert response.status_code == 200
        assert release.title in response.content.decode()
    assert release.title not in client.get(reverse("releases:home"), {"date_to": "1900-01-01"}).content.decode()


@pytest.mark.parametrize("params", [
    {"date_from": "garbage"}, {"date_to": "10000-01-01"}, {"date_from": "-0001-01-01"}, {"date_to": "2023-02-30"},
    {"date_from": "\x00"}, {"date_to": "１９００-01-01"},
])
def test_garbage_dates_are_a_form_error(client, settings, params):
    """Dates no parser can read, in a server zone east of UTC: a form error, never a 500."""
    settings.TIME_ZONE = "Europe/Brussels"
    response = client.get(reverse("releases:home"), params)
    assert response.status_code in (200, 400)


def test_bad_date_shows_a_field_error(client):
    page = client.get(reverse("releases:home"), {"date_from": "31/02/2023"}).content.decode()
    assert "Enter a valid date." in page


def older_link(page):
    match = re.search(r'rel="next" href="\?([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


def newer_link(page):
    match = re.search(r'rel="prev" href="\?([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


def test_pagination_by_cursor_walks_the_whole_archive(client, writer, reviewer, settings):
    """"Older" links visit every item exactly once, newest first; "Newer" links walk back."""
    settings.NEWSROOM_PAGE_SIZE = 4
    moment = timezone.now() - timedelta(days=1)
    items = []
    for n in range(11):
        make = make_advisory if n % 3 == 0 else make_release
        # Several items share one publication instant: the cursor must still break the tie.
        items.append(publish(make(author=writer, title=f"Paged item {n:02d}"), reviewer,
                             at=moment - timedelta(minutes=n // 2)))
    expected = [item.title for item in sorted(
        items, key=lambda i: (i.published_at, i.kind, i.pk), reverse=True)]
    seen, pages, query = [], [], ""
    while True:
        page = client.get(reverse("releases:home") + "?" + query).content.decode()
        main = page.split('id="latest-heading"', 1)[1]
        titles = re.findall(r"Paged item \d\d", main)
        seen += titles
        pages.append(page)
        query = older_link(page)
        if query is None:
            break
        assert "before=" in query
    assert seen == expected
    assert [len(re.findall(r"Paged item \d\d", p.split('id="latest-heading"', 1)[1])) for p in pages] == [4, 4, 3]
    # Back from the last page: "Newer" gives the middle page again.
    back = client.get(reverse("releases:home") + "?" + newer_link(pages[-1])).content.decode()
    assert re.findall(r"Paged item \d\d", back.split('id="latest-heading"', 1)[1]) == expected[4:8]
    assert newer_link(pages[0]) is None


def test_cursor_pages_keep_the_filters(client, writer, reviewer, settings):
    settings.NEWSROOM_PAGE_SIZE = 2
    nato = make_source("NATO", slug="nato")
    for n in range(5):
        publish(make_release(source=nato, author=writer, title=f"NATO item {n}"), reviewer,
                at=timezone.now() - timedelta(hours=n + 1))
    publish(make_release(author=writer, title="Other source item"), reviewer)
    page = client.get(reverse("releases:home"), {"source": "nato"}).content.decode()
    link = older_link(page)
    assert link.startswith("source=nato&before=")
    second = client.get(reverse("releases:home") + "?" + link).content.decode()
    assert "NATO item 2" in second and "Other source item" not in second


@pytest.mark.parametrize("cursor", ["garbage", "1.r", "99999999999999999999999.r1", "-5.x3", "1.r-4", "", "1.a0"])
def test_bad_cursor_is_the_first_page(client, writer, reviewer, cursor):
    item = publish(make_release(author=writer, title="Only item"), reviewer)
    for key in ("before", "after"):
        response = client.get(reverse("releases:home"), {key: cursor})
        assert response.status_code == 200
        assert item.title in response.content.decode()


def test_unknown_urls_are_404(client):
    assert client.get("/releases/nothing-here/").status_code == 404
    assert client.get("/advisories/nothing-here/").status_code == 404
    assert client.get("/sources/nothing-here/").status_code == 404


def test_detail_shows_public_contacts_only(client, writer, reviewer):
    source = make_source("NATO", slug="nato", social_handles="@NATO @NATOPress")
    release = make_release(source=source, author=writer)
    release.contacts.add(
        make_contact(source=source, name="NATO Press Office", kind="office", email="press@hq.nato.int"),
        make_contact(source=source, name="Internal Duty Officer", is_public=False, phone="+32 2 707 0000"),
    )
    publish(release, reviewer)
    page = client.get(release.get_absolute_url()).content.decode()
    assert "For more information" in page
    assert "NATO Press Office" in page and "press@hq.nato.int" in page
    assert "Internal Duty Officer" not in page
    assert "@NATOPress" in page


def test_body_html_is_sanitised(client, writer, reviewer):
    release = publish(make_release(
        author=writer,
        body="<h2>Key points</h2><ul><li>one</li><li>two</li></ul><blockquote><p>“A quotation”</p></blockquote>"
             "<script>alert('x')</script><p><a href=\"javascript:alert(1)\">bad</a> <a href=\"https://www.nato.int\">good</a></p>",
    ), reviewer)
    page = client.get(release.get_absolute_url()).content.decode()
    assert "<h2>Key points</h2>" in page
    assert "<li>one</li>" in page
    assert "<blockquote>" in page
    assert "<script>alert" not in page
    assert "javascript:" not in page
    assert 'href="https://www.nato.int"' in page


@override_settings(TIME_ZONE="UTC")
def test_advisory_time_is_shown_in_the_event_zone(client, writer, reviewer):
    """17:30 in Brussels is shown as 17:30 CET while the server runs in UTC."""
    advisory = publish(make_advisory(author=writer, event_date=date(2023, 11, 8), event_time=time(17, 30),
                                     time_zone="Europe/Brussels"), reviewer)
    assert advisory.starts_at == datetime(2023, 11, 8, 16, 30, tzinfo=dt_timezone.utc)
    page = client.get(advisory.get_absolute_url()).content.decode()
    assert "17:30–18:30 CET" in strip_tags(page)  # start and end (the default hour), in the event's zone
    assert "2023-11-08T17:30:00+01:00" in page
    assert "16:30" not in page


def test_advisory_without_time_says_to_be_confirmed(client, writer, reviewer):
    advisory = publish(make_advisory(author=writer, event_time=None, city="Oslo", venue=""), reviewer)
    page = client.get(advisory.get_absolute_url()).content.decode()
    assert "time to be confirmed" in page
    assert "00:00 CE" not in page


def test_follow_up_link_appears_once_the_release_is_public(client, writer, reviewer):
    release = make_release(author=writer, title="What was said at the event")
    advisory = publish(make_advisory(author=writer, follow_up=release), reviewer)
    assert "What was said at the event" not in client.get(advisory.get_absolute_url()).content.decode()
    publish(release, reviewer)
    assert "What was said at the event" in client.get(advisory.get_absolute_url()).content.decode()


def test_preview_is_staff_only(client, writer, reviewer):
    release = make_release(author=writer, title="Embargoed draft")
    url = reverse("releases:preview", args=["release", release.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    outsider = make_user("outsider", is_staff=False)
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(writer)
    response = client.get(url)
    assert response.status_code == 200
    assert "Embargoed draft" in response.content.decode()
    assert "Preview of version 1" in response.content.decode()
    assert client.get(reverse("releases:preview", args=["podcast", release.pk])).status_code == 404


def test_seed_unicode_is_rendered_intact(client, writer, reviewer):
    release = publish(make_release(
        author=writer, title="NATO encourages scientific cooperation with Moldova at NATO Day in Chișinău",
        body="Mrs Katalin Novák said “peace is always possible” — it’s here…",
    ), reviewer)
    page = client.get(release.get_absolute_url()).content.decode("utf-8")
    assert "Chișinău" in page
    assert "Novák" in page and "“peace is always possible”" in page and "it’s here…" in page
    assert Release.objects.get(pk=release.pk).title.endswith("Chișinău")


@override_settings(TIME_ZONE="UTC")
def test_event_date_is_the_local_date_even_without_a_time(client, writer, reviewer):
    """Midnight in Oslo is the previous evening in UTC: the page must still say the local date."""
    advisory = publish(make_advisory(author=writer, event_date=date(2023, 10, 31), event_time=None,
                                     time_zone="Europe/Oslo", city="Oslo"), reviewer)
    for url in (advisory.get_absolute_url(), reverse("releases:home")):
        page = client.get(url).content.decode()
        assert "Tuesday 31 October 2023" in page
        assert "30 October 2023" not in page


@override_settings(TIME_ZONE="UTC")
def test_event_date_after_midnight_local(client, writer, reviewer):
    """00:30 in Brussels is still the previous day in UTC; the page shows the local day and time."""
    advisory = publish(make_advisory(author=writer, event_date=date(2023, 11, 9), event_time=time(0, 30)), reviewer)
    page = client.get(advisory.get_absolute_url()).content.decode()
    assert "Thursday 9 November 2023, 00:30–01:30 CET" in strip_tags(page)


def test_summary_is_not_repeated_when_the_body_opens_with_it(client, writer, reviewer):
    opening = "On Wednesday the Secretary General met the President."
    release = publish(make_release(author=writer, summary=opening, body=f"{opening}\n\nSecond paragraph."), reviewer)
    main = client.get(release.get_absolute_url()).content.decode().split("<main", 1)[1]
    assert main.count(opening) == 1
    other = publish(make_release(author=writer, summary="A separate standfirst.", body="The body."), reviewer)
    page = client.get(other.get_absolute_url()).content.decode()
    assert 'class="lede">A separate standfirst.' in page


def test_source_page_does_not_offer_a_source_filter(client, writer, reviewer):
    release = publish(make_release(source=make_source("NATO", slug="nato"), author=writer), reviewer)
    page = client.get(release.source.get_absolute_url()).content.decode()
    assert 'name="source"' not in page
    assert 'name="source"' in client.get(reverse("releases:home")).content.decode()
