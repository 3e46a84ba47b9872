"""Media events: upcoming, today or past in the event's own zone; the events page; event ends in the calendars."""
import json
import re
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import strip_tags
from icalendar import Calendar

from releases.models import Advisory, EventStatus, ProgrammeEntry

from .factories import make_advisory, make_source, publish

BRUSSELS = ZoneInfo("Europe/Brussels")
#: 00:30 on 10 March 2024 in Brussels, still 23:30 on 9 March in UTC.
JUST_AFTER_BRUSSELS_MIDNIGHT = datetime(2024, 3, 9, 23, 30, tzinfo=dt_timezone.utc)
ICS_LINE = re.compile(r"^[A-Z][A-Z0-9-]*(;[^:]*)?:.*$")


def event(writer, reviewer, title, day, zone="Europe/Brussels", at=time(10, 0), **extra):
    """A published advisory, approved a month before its day (or now, for an event years ahead)."""
    approved = min(datetime.combine(day - timedelta(days=30), time(9, 0), tzinfo=dt_timezone.utc), datetime.now(dt_timezone.utc))
    with time_machine.travel(approved):
        return publish(make_advisory(author=writer, title=title, event_date=day, time_zone=zone, event_time=at,
                                     **extra), reviewer)


def status_on(page, title):
    """The status label shown in the list item (or page part) that names ``title``."""
    for block in re.split(r"<li|<article", page):
        if title in block:
            return re.search(r'class="event-status event-status--(\w+)"', block)[1]
    raise AssertionError(f"{title} is not on the page")


@pytest.fixture
def around_midnight(writer, reviewer):
    """Four events on 9 and 10 March 2024, in Brussels (UTC+1) and in UTC."""
    return {
        "Brussels 9": event(writer, reviewer, "Brussels 9", date(2024, 3, 9)),
        "Brussels 10": event(writer, reviewer, "Brussels 10", date(2024, 3, 10), at=None),
        "UTC 9": event(writer, reviewer, "UTC 9", date(2024, 3, 9), zone="UTC"),
        "UTC 10": event(writer, reviewer, "UTC 10", date(2024, 3, 10), zone="UTC"),
    }


# --- upcoming, today, past -------------------------------------------------------

def test_status_is_the_event_day_in_its_own_zone_around_midnight(around_midnight):
    """At 00:30 in Brussels (23:30 UTC) Brussels is on the 10th, UTC still on the 9th."""
    expected = {"Brussels 9": "past", "Brussels 10": "today", "UTC 9": "today", "UTC 10": "upcoming"}
    assert {title: a.event_status(JUST_AFTER_BRUSSELS_MIDNIGHT) for title, a in around_midnight.items()} == expected
    an_hour_earlier = JUST_AFTER_BRUSSELS_MIDNIGHT - timedelta(hours=1)
    assert around_midnight["Brussels 10"].event_status(an_hour_earlier) == EventStatus.UPCOMING
    assert around_midnight["Brussels 9"].event_status(an_hour_earlier) == EventStatus.TODAY
    an_hour_later = JUST_AFTER_BRUSSELS_MIDNIGHT + timedelta(hours=1)
    assert around_midnight["UTC 9"].event_status(an_hour_later) == EventStatus.PAST


def test_labels_on_the_lists_and_the_pages_at_the_boundary(client, around_midnight):
    """The same labels in the advisories list, the events page and each advisory's page."""
    expected = {"Brussels 9": "past", "Brussels 10": "today", "UTC 9": "today", "UTC 10": "upcoming"}
    with time_machine.travel(JUST_AFTER_BRUSSELS_MIDNIGHT, tick=False):
        advisories = client.get(reverse("releases:home") + "?kind=advisory").content.decode()
        events = client.get(reverse("releases:events")).content.decode()
        for title, advisory in around_midnight.items():
            assert status_on(advisories, title) == expected[title], title
            assert status_on(events, title) == expected[title], title
            page = client.get(advisory.get_absolute_url()).content.decode()
            assert status_on(page, "event-facts") == expected[title], title


def test_a_label_changes_at_midnight_in_the_event_zone_through_the_page_cache(client, around_midnight):
    """A cached page is not served with yesterday's label: the public state changes at the event's midnight."""
    url = around_midnight["Brussels 10"].get_absolute_url()
    with time_machine.travel(JUST_AFTER_BRUSSELS_MIDNIGHT - timedelta(minutes=31), tick=False):
        before = client.get(url)
        assert status_on(before.content.decode(), "event-facts") == "upcoming"
    with time_machine.travel(JUST_AFTER_BRUSSELS_MIDNIGHT - timedelta(minutes=29), tick=False):
        after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
        assert after.status_code == 200
        assert status_on(after.content.decode(), "event-facts") == "today"


def test_upcoming_box_never_shows_a_past_event(client, writer, reviewer):
    """An event at 23:00 yesterday in Brussels, an hour and a half ago: past, so not in "Upcoming media events"."""
    event(writer, reviewer, "Late last night", date(2024, 3, 9), at=time(23, 0))
    event(writer, reviewer, "This morning", date(2024, 3, 10), at=time(0, 15))
    event(writer, reviewer, "Tomorrow", date(2024, 3, 11))
    with time_machine.travel(JUST_AFTER_BRUSSELS_MIDNIGHT, tick=False):
        page = client.get(reverse("releases:home")).content.decode()
    box = page.split('id="upcoming-heading"')[1].split("</section>")[0]
    assert "This morning" in box and "Tomorrow" in box
    assert "Late last night" not in box
    assert box.index("This morning") < box.index("Tomorrow")


# --- the events page ---------------------------------------------------------------

@pytest.fixture
def season(writer, reviewer):
    nato, europol = make_source("NATO", slug="nato"), make_source("Europol", slug="europol")
    return [
        event(writer, reviewer, "Summit in Chișinău", date(2024, 4, 2), source=nato),
        event(writer, reviewer, "Council in Oslo", date(2024, 3, 20), source=nato, zone="Europe/Oslo"),
        event(writer, reviewer, "Conference in The Hague", date(2024, 3, 1), source=europol, zone="Europe/Amsterdam"),
        event(writer, reviewer, "Briefing in Brussels", date(2024, 2, 14), source=nato, at=time(17, 30)),
    ]


def titles(html):
    return re.findall(r'class="event-title" href="[^"]+">([^<]+)</a>', html)


def test_events_page_lists_upcoming_first_then_past(client, season):
    with time_machine.travel(datetime(2024, 3, 10, 12, 0, tzinfo=dt_timezone.utc), tick=False):
        response = client.get(reverse("releases:events"))
    assert response.status_code == 200
    page = response.content.decode()
    upcoming, past = page.split('id="past-events-heading"')
    assert titles(upcoming) == ["Council in Oslo", "Summit in Chișinău"]
    assert titles(past) == ["Conference in The Hague", "Briefing in Brussels"]
    # Each with its local time and zone, and its own "Add to calendar".
    assert "Wednesday 14 February 2024, 17:30 CET" in past
    assert page.count(">Add to calendar<") == 4
    assert f'href="{reverse("releases:advisory-calendar", args=[season[1].slug])}"' in page


def test_events_page_filters_by_source_and_month(client, season):
    with time_machine.travel(datetime(2024, 3, 10, 12, 0, tzinfo=dt_timezone.utc), tick=False):
        by_source = client.get(reverse("releases:events") + "?source=europol").content.decode()
        by_month = client.get(reverse("releases:events") + "?month=2024-03").content.decode()
        both = client.get(reverse("releases:events") + "?source=nato&month=2024-03").content.decode()
    assert titles(by_source) == ["Conference in The Hague"]
    assert titles(by_month) == ["Council in Oslo", "Conference in The Hague"]
    assert titles(both) == ["Council in Oslo"]


@pytest.mark.parametrize("query", ["month=2024-13", "month=March", "month=0001-01", "source=nobody", "page=x"])
def test_bad_filters_are_a_form_error_not_a_failure(client, season, query):
    response = client.get(reverse("releases:events") + "?" + query)
    assert response.status_code == 200
    if "page" not in query:
        assert titles(response.content.decode()) == []
        assert "Please correct the filters above." in response.content.decode()


def test_events_page_says_what_the_calendar_holds(client, db):
    """Even with nothing in it, the page linking the calendar says what it will contain."""
    page = client.get(reverse("releases:events")).content.decode()
    assert 'href="webcal://testserver/advisories.ics"' in page
    assert "Upcoming media events, and those of the last 30 days" in page
    assert "No upcoming event has been announced yet." in page
    home = client.get(reverse("releases:home")).content.decode()
    assert "Upcoming media events, and those of the last 30 days" in home


def test_events_page_is_in_the_sitemap_and_nav(client, db):
    assert "<loc>http://testserver/events/</loc>" in client.get(reverse("releases:sitemap")).content.decode()
    assert f'href="{reverse("releases:events")}"' in client.get(reverse("releases:home")).content.decode()


# --- the calendars -------------------------------------------------------------------

def content_lines(body):
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    lines = body.decode().replace("\r\n ", "").split("\r\n")[:-1]
    return lines


def test_an_empty_calendar_is_a_valid_calendar_with_its_name_and_zone(client, db):
    """RFC 5545 §3.6: a VCALENDAR has at least one component; with no event, the newsroom's VTIMEZONE."""
    body = client.get(reverse("releases:calendar")).content
    for raw in body.split(b"\r\n")[:-1]:
        assert len(raw) <= 75
    lines = content_lines(body)
    assert all(ICS_LINE.match(line) for line in lines), lines
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert {"VERSION:2.0", "X-WR-TIMEZONE:Europe/Brussels", "BEGIN:VTIMEZONE", "TZID:Europe/Brussels"} <= set(lines)
    assert any(line.startswith("PRODID:") for line in lines)
    assert any(line.startswith("X-WR-CALNAME:") and line.endswith(": media advisories") for line in lines)
    assert any(line.startswith("X-WR-CALDESC:Upcoming media events") for line in lines)
    calendar = Calendar.from_ical(body)
    assert calendar.walk("VEVENT") == []
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]


def test_timed_events_end_after_their_duration(client, writer, reviewer):
    """DTEND is the start plus the duration, in the event's zone: an hour by default, or as the advisory says."""
    default = event(writer, reviewer, "An hour", date(2030, 5, 6), at=time(17, 30))
    longer = event(writer, reviewer, "Ninety minutes", date(2030, 5, 7), at=time(23, 0), zone="Europe/Oslo",
                   duration=timedelta(minutes=90))
    calendar = Calendar.from_ical(client.get(reverse("releases:calendar")).content)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert events["An hour"]["DTEND"].dt == datetime(2030, 5, 6, 18, 30, tzinfo=BRUSSELS)
    assert events["An hour"]["DTEND"].params["TZID"] == "Europe/Brussels"
    assert events["Ninety minutes"]["DTEND"].dt == datetime(2030, 5, 8, 0, 30, tzinfo=ZoneInfo("Europe/Oslo"))
    single = Calendar.from_ical(client.get(reverse("releases:advisory-calendar", args=[longer.slug])).content)
    assert single.walk("VEVENT")[0]["DTEND"].dt - single.walk("VEVENT")[0]["DTSTART"].dt == timedelta(minutes=90)
    assert default.duration == timedelta(hours=1)


def test_all_day_events_last_their_day_whatever_the_duration(client, writer, reviewer):
    event(writer, reviewer, "Time to be confirmed", date(2030, 5, 6), at=None, duration=timedelta(hours=3))
    vevent = Calendar.from_ical(client.get(reverse("releases:calendar")).content).walk("VEVENT")[0]
    assert vevent["DTSTART"].params["VALUE"] == "DATE" and vevent["DTSTART"].dt == date(2030, 5, 6)
    assert vevent["DTEND"].dt == date(2030, 5, 7)
    assert "DURATION" not in vevent


def test_programme_entries_are_the_description_in_order(client, writer, reviewer):
    advisory = make_advisory(author=writer, title="Summit", event_date=date(2030, 5, 6), event_time=time(9, 0))
    for hour, what in ((14, "Press conference"), (9, "Arrivals of Novák and Stoltenberg"), (11, "“Family photo”")):
        ProgrammeEntry.objects.create(advisory=advisory, time=time(hour, 0), description=what)
    publish(advisory, reviewer)
    vevent = Calendar.from_ical(client.get(reverse("releases:calendar")).content).walk("VEVENT")[0]
    description = str(vevent["DESCRIPTION"])
    assert "09:00 CEST Arrivals of Novák and Stoltenberg\n11:00 CEST “Family photo”\n14:00 CEST Press conference" in description


# --- the duration in the admin and the workflow ---------------------------------------

def test_the_admin_offers_the_duration_and_new_editions_keep_it(client, writer, reviewer):
    client.force_login(writer)
    form = client.get(reverse("admin:releases_advisory_add")).content.decode()
    assert 'name="duration"' in form and 'value="01:00:00"' in form
    advisory = event(writer, reviewer, "Long", date(2030, 5, 6), duration=timedelta(hours=2))
    draft = advisory.start_new_draft(writer)
    assert Advisory.objects.get(pk=draft.pk).duration == timedelta(hours=2)


def test_past_events_are_paged_latest_first(client, writer, reviewer, settings):
    settings.NEWSROOM_PAGE_SIZE = 2
    for day in range(1, 6):
        event(writer, reviewer, f"Past {day}", date(2024, 1, day))
    first = client.get(reverse("releases:events")).content.decode()
    assert titles(first) == ["Past 5", "Past 4"] and 'href="?page=2"' in first
    second = client.get(reverse("releases:events") + "?page=2").content.decode()
    assert titles(second) == ["Past 3", "Past 2"] and 'href="?page=1"' in second and 'href="?page=3"' in second
    assert "Today and upcoming" not in second


def test_events_page_from_the_page_cache_shows_a_publication_and_a_withdrawal_at_once(client, writer, reviewer):
    url = reverse("releases:events")
    first = event(writer, reviewer, "First briefing", date(2030, 5, 6))
    assert titles(client.get(url).content.decode()) == ["First briefing"]
    event(writer, reviewer, "Second briefing", date(2030, 5, 7))
    assert titles(client.get(url).content.decode()) == ["First briefing", "Second briefing"]
    first.withdraw(reviewer, "Cancelled.")
    assert titles(client.get(url).content.decode()) == ["Second briefing"]


@pytest.mark.parametrize("sent, expected", [({"duration": "1:30:00"}, timedelta(minutes=90)), ({}, timedelta(hours=1)),
                                            ({"duration": ""}, timedelta(hours=1))])
def test_the_admin_saves_the_duration_or_the_default_hour(client, writer, sent, expected):
    source = make_source("NATO", slug="nato")
    client.force_login(writer)
    response = client.post(reverse("admin:releases_advisory_add"), {
        "source": source.pk, "title": "Press conference", "slug": "press-conference", "summary": "", "body": "",
        "event_date": "2030-01-15", "event_time": "17:30", "time_zone": "Europe/Brussels", **sent,
        "venue": "", "city": "", "country": "", "accreditation": "", "live_stream": "", "video_download": "",
        "transcript": "", "follow_up": "", "original_url": "",
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "0", "pictures-INITIAL_FORMS": "0",
        "programme-TOTAL_FORMS": "0", "programme-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Advisory.objects.get().duration == expected


def test_a_duration_out_of_bounds_is_a_form_error(client, writer):
    source = make_source("NATO", slug="nato")
    client.force_login(writer)
    response = client.post(reverse("admin:releases_advisory_add"), {
        "source": source.pk, "title": "Press conference", "slug": "press-conference",
        "event_date": "2030-01-15", "event_time": "17:30", "time_zone": "Europe/Brussels", "duration": "20 00:00:00",
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "0", "pictures-INITIAL_FORMS": "0",
        "programme-TOTAL_FORMS": "0", "programme-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "An event lasts at most 14 days." in response.content.decode()
    assert not Advisory.objects.exists()


# --- the end on the advisory's page and in its JSON-LD ------------------------------------

def when_on_page(client, advisory):
    """The advisory page's "When", as a reader sees it (tags removed)."""
    page = client.get(advisory.get_absolute_url()).content.decode()
    return strip_tags(re.search(r"<dt>When</dt>\s*<dd>(.*?)</dd>", page, re.S)[1]).strip()


def event_json_ld(client, advisory):
    page = client.get(advisory.get_absolute_url()).content.decode()
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1])


def test_the_advisory_page_shows_when_the_event_ends(client, writer, reviewer):
    """Start and end in the event's zone: "17:30–18:30 CET" for the default hour, each a <time>."""
    advisory = event(writer, reviewer, "Press conference", date(2030, 1, 15), at=time(17, 30))
    assert when_on_page(client, advisory).endswith("Tuesday 15 January 2030, 17:30–18:30 CET")
    page = client.get(advisory.get_absolute_url()).content.decode()
    assert '<time datetime="2030-01-15T17:30:00+01:00">' in page and '<time datetime="2030-01-15T18:30:00+01:00">' in page
    data = event_json_ld(client, advisory)
    assert data["startDate"] == "2030-01-15T17:30:00+01:00"
    assert data["endDate"] == "2030-01-15T18:30:00+01:00"


def test_an_event_past_midnight_names_the_day_it_ends(client, writer, reviewer):
    late = event(writer, reviewer, "Late session", date(2030, 5, 7), at=time(23, 0), zone="Europe/Oslo",
                 duration=timedelta(minutes=90))
    assert when_on_page(client, late).endswith("Tuesday 7 May 2030, 23:00 CEST to Wednesday 8 May 2030, 00:30 CEST")
    assert event_json_ld(client, late)["endDate"] == "2030-05-08T00:30:00+02:00"


def test_an_event_across_a_clock_change_gives_each_end_its_zone(client, writer, reviewer):
    """27 October 2030, Brussels: the clocks go back at 03:00 CEST; 01:30 CEST plus two hours is 02:30 CET."""
    night = event(writer, reviewer, "Night watch", date(2030, 10, 27), at=time(1, 30), duration=timedelta(hours=2))
    assert when_on_page(client, night).endswith("Sunday 27 October 2030, 01:30 CEST–02:30 CET")
    assert event_json_ld(client, night)["endDate"] == "2030-10-27T02:30:00+01:00"


def test_an_event_without_a_time_ends_on_its_day(client, writer, reviewer):
    undated = event(writer, reviewer, "To be confirmed", date(2030, 5, 6), at=None)
    assert "Monday 6 May 2030" in when_on_page(client, undated) and "–" not in when_on_page(client, undated)
    data = event_json_ld(client, undated)
    assert data["startDate"] == data["endDate"] == "2030-05-06"


def test_more_upcoming_events_than_a_page_get_a_link_to_the_rest(client, writer, reviewer, settings):
    """A busy week is not silently cut: the upcoming list is paged, soonest first, filters kept."""
    settings.NEWSROOM_PAGE_SIZE = 2
    nato = make_source("NATO", slug="nato")
    for day in range(1, 6):
        event(writer, reviewer, f"Upcoming {day}", date(2030, 1, day), source=nato)
    event(writer, reviewer, "Past one", date(2024, 1, 1), source=nato)
    url = reverse("releases:events")
    first = client.get(url).content.decode()
    upcoming, past = first.split('id="past-events-heading"')
    assert titles(upcoming) == ["Upcoming 1", "Upcoming 2"]
    assert '<a rel="next" href="?upcoming=2">More upcoming events →</a>' in upcoming
    assert titles(past) == ["Past one"]
    second = client.get(url + "?upcoming=2").content.decode()
    upcoming, past = second.split('id="past-events-heading"')
    assert titles(upcoming) == ["Upcoming 3", "Upcoming 4"]
    assert 'href="?upcoming=1">← Sooner events</a>' in upcoming
    assert 'href="?upcoming=3">More upcoming events →</a>' in upcoming
    last = client.get(url + "?source=nato&upcoming=3").content.decode()
    upcoming = last.split('id="past-events-heading"')[0]
    assert titles(upcoming) == ["Upcoming 5"]
    assert "More upcoming events" not in upcoming and 'href="?source=nato&amp;upcoming=2"' in upcoming
    # A bad page number is the first page, never an error.
    assert titles(client.get(url + "?upcoming=zero").content.decode().split('id="past-events-heading"')[0]) == [
        "Upcoming 1", "Upcoming 2"]


def test_a_short_upcoming_list_has_no_page_links(client, writer, reviewer):
    event(writer, reviewer, "Only one", date(2030, 1, 1))
    assert "Pages of upcoming events" not in client.get(reverse("releases:events")).content.decode()
