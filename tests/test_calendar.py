"""The advisories calendar (iCalendar): local times with their zone, stable events, public advisories only."""
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from releases import calendar
from releases.importers import import_digest
from releases.models import EVENT_DATE_MAX, EVENT_DATE_MIN, Advisory, ProgrammeEntry, Source
from releases.text import normalise_text

from .factories import make_advisory, make_source, publish

SEED = Path(__file__).resolve().parents[1] / "releases" / "demo" / "digest.txt"
BRUSSELS = ZoneInfo("Europe/Brussels")
#: A week before the Hungary press conference of the seed (8 November 2023, 17:30 in Brussels).
BEFORE_THE_EVENT = datetime(2023, 11, 1, 9, 0, tzinfo=dt_timezone.utc)


def read_calendar(client, url=None):
    response = client.get(url or reverse("releases:calendar"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events_by_title(calendar):
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def seed_week_before(db):
    with time_machine.travel(BEFORE_THE_EVENT, tick=False):
        import_digest(SEED, publish=True)
        yield


def test_hungary_press_conference_is_at_1730_brussels_time(client, seed_week_before):
    with time_machine.travel(BEFORE_THE_EVENT, tick=False):
        calendar = read_calendar(client)
    event = events_by_title(calendar)["NATO Secretary General meets with the President of Hungary"]
    start = event["DTSTART"]
    assert start.params["TZID"] == "Europe/Brussels"
    assert start.dt == datetime(2023, 11, 8, 17, 30, tzinfo=BRUSSELS)
    assert (start.dt.hour, start.dt.minute) == (17, 30)
    assert start.dt.astimezone(dt_timezone.utc) == datetime(2023, 11, 8, 16, 30, tzinfo=dt_timezone.utc)
    assert str(event["LOCATION"]) == "NATO Headquarters"
    advisory = Advisory.objects.get(title__contains="President of Hungary")
    assert str(event["UID"]) == str(advisory.document)
    assert str(event["URL"]) == f"http://testserver{advisory.get_absolute_url()}"
    description = str(event["DESCRIPTION"])
    assert "Mrs Katalin Novák" in description
    assert "17:30 CET Press conference by the NATO Secretary General" in description
    assert description.endswith(f"http://testserver{advisory.get_absolute_url()}")


def test_calendar_carries_the_matching_vtimezone(client, seed_week_before):
    with time_machine.travel(BEFORE_THE_EVENT, tick=False):
        calendar = read_calendar(client)
    zones = {str(zone["TZID"]): zone for zone in calendar.walk("VTIMEZONE")}
    # The Oslo session is an all-day event (no stated time), which needs no zone.
    assert set(zones) == {"Europe/Brussels"}
    brussels = zones["Europe/Brussels"].to_tz()
    assert brussels.utcoffset(datetime(2023, 11, 8, 17, 30)) == timedelta(hours=1)
    assert brussels.tzname(datetime(2023, 11, 8, 17, 30)) == "CET"


def test_advisory_without_a_stated_time_is_an_all_day_event(client, seed_week_before):
    """The Nordic Council session in Oslo: the digest gives the date, not the time."""
    with time_machine.travel(BEFORE_THE_EVENT, tick=False):
        event = events_by_title(read_calendar(client))["NATO Secretary General attends the Nordic Council"]
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert event["DTSTART"].dt == date(2023, 10, 31)
    assert event["DTEND"].dt == date(2023, 11, 1)
    assert str(event["LOCATION"]) == "Oslo, Norway"


def test_add_to_calendar_gives_the_same_event(client, seed_week_before):
    advisory = Advisory.objects.get(title__contains="President of Hungary")
    page = client.get(advisory.get_absolute_url()).content.decode()
    url = reverse("releases:advisory-calendar", args=[advisory.slug])
    assert f'href="{url}"' in page and "Add to calendar" in page
    response = client.get(url)  # long after the event, its own .ics still answers
    assert response["Content-Disposition"] == f'attachment; filename="{advisory.slug}.ics"'
    single = Calendar.from_ical(response.content)
    [event] = single.walk("VEVENT")
    with time_machine.travel(BEFORE_THE_EVENT, tick=False):
        subscribed = events_by_title(read_calendar(client))[advisory.title]
    for field in ("UID", "SEQUENCE", "SUMMARY", "LOCATION", "URL", "DESCRIPTION"):
        assert event[field] == subscribed[field]
    assert event["DTSTART"].dt == subscribed["DTSTART"].dt
    assert [str(zone["TZID"]) for zone in single.walk("VTIMEZONE")] == ["Europe/Brussels"]


def test_an_approved_edit_is_an_update_of_the_same_event(client, writer, reviewer):
    advisory = publish(make_advisory(author=writer, title="Press point", event_date=date(2030, 5, 6),
                                     event_time=time(10, 0)), reviewer)
    before = events_by_title(read_calendar(client))["Press point"]
    assert before["SEQUENCE"] == 0

    draft = advisory.start_new_draft(writer)
    draft.title, draft.event_time, draft.last_edited_by = "Press point (new time)", time(11, 15), writer
    draft.save()
    draft.submit(writer)
    assert set(events_by_title(read_calendar(client))) == {"Press point"}  # still in review
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        draft.approve(reviewer)
        after = events_by_title(read_calendar(client))

    assert set(after) == {"Press point (new time)"}
    event = after["Press point (new time)"]
    assert event["UID"] == before["UID"]
    assert event["SEQUENCE"] == 1
    assert event["LAST-MODIFIED"].dt > before["LAST-MODIFIED"].dt
    assert event["DTSTAMP"].dt == event["LAST-MODIFIED"].dt
    assert event["DTSTART"].dt == datetime(2030, 5, 6, 11, 15, tzinfo=BRUSSELS)


def test_event_keeps_its_own_zone(client, writer, reviewer):
    publish(make_advisory(author=writer, title="UN briefing", time_zone="America/New_York", event_date=date(2030, 7, 1),
                          event_time=time(9, 30), city="New York"), reviewer)
    publish(make_advisory(author=writer, title="Brussels briefing"), reviewer)
    calendar = read_calendar(client)
    event = events_by_title(calendar)["UN briefing"]
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTSTART"].dt == datetime(2030, 7, 1, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    assert {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")} == {"America/New_York", "Europe/Brussels"}


@override_settings(NEWSROOM_CALENDAR_PAST_DAYS=30)
def test_only_published_advisories_of_the_window_are_listed(client, writer, reviewer):
    source = make_source("NATO", slug="nato")
    soon = date.today() + timedelta(days=10)
    publish(make_advisory(source=source, author=writer, title="Public", event_date=soon), reviewer)
    publish(make_advisory(source=source, author=writer, title="Last week", event_date=date.today() - timedelta(days=7)),
            reviewer)
    publish(make_advisory(source=source, author=writer, title="Long ago", event_date=date.today() - timedelta(days=60)),
            reviewer)
    draft = make_advisory(source=source, author=writer, title="Draft", event_date=soon)
    in_review = make_advisory(source=source, author=writer, title="In review", event_date=soon)
    in_review.submit(writer)
    scheduled = publish(make_advisory(source=source, author=writer, title="Scheduled", event_date=soon), reviewer,
                        at=timezone.now() + timedelta(hours=1))
    withdrawn = publish(make_advisory(source=source, author=writer, title="Withdrawn", event_date=soon), reviewer)
    withdrawn.withdraw(reviewer, "Cancelled.")

    assert set(events_by_title(read_calendar(client))) == {"Public", "Last week"}
    for hidden in (draft, in_review, scheduled, withdrawn):
        assert client.get(reverse("releases:advisory-calendar", args=[hidden.slug])).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert set(events_by_title(read_calendar(client))) == {"Public", "Last week", "Scheduled"}


def test_empty_calendar_is_valid(client, db):
    calendar = read_calendar(client)
    assert calendar.walk("VEVENT") == []
    assert str(calendar["VERSION"]) == "2.0"
    assert "PRODID" in calendar


def test_withdrawn_advisory_page_offers_no_calendar(client, writer, reviewer):
    advisory = publish(make_advisory(author=writer), reviewer)
    advisory.withdraw(reviewer, "Cancelled.")
    assert "Add to calendar" not in client.get(advisory.get_absolute_url()).content.decode()


def test_home_offers_the_calendar_subscription(client, db):
    page = client.get(reverse("releases:home")).content.decode()
    assert 'href="webcal://testserver/advisories.ics"' in page
    assert '<link rel="alternate" type="text/calendar"' in page


# --- hostile titles and extreme dates ----------------------------------------------------------

def content_lines(body):
    """The calendar's content lines, unfolded, split where any calendar client might split one."""
    text = body.decode().replace("\r\n ", "").replace("\r\n\t", "")
    return [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line]


def round_trips(body):
    """Parse the calendar, write it out again and parse that: the same events, a well-formed document."""
    calendar = Calendar.from_ical(body)
    again = Calendar.from_ical(calendar.to_ical())
    assert [str(event["UID"]) for event in again.walk("VEVENT")] == [str(event["UID"]) for event in calendar.walk("VEVENT")]
    return calendar


@pytest.mark.parametrize("title", ["Briefing\r\nX-INJECTED:1", "Briefing\rX-INJECTED:1", "Briefing\nX-INJECTED:1"])
def test_a_line_break_in_the_title_cannot_add_a_calendar_property(client, writer, reviewer, title):
    """Defect 9: the single .ics wrote the raw title into NAME and X-WR-CALNAME (500 for \\r\\n, a new line for \\r)."""
    advisory = publish(make_advisory(author=writer), reviewer)
    Advisory.objects.filter(pk=advisory.pk).update(title=title)
    for url in (reverse("releases:advisory-calendar", args=[advisory.slug]), reverse("releases:calendar")):
        response = client.get(url)
        assert response.status_code == 200
        assert not [line for line in content_lines(response.content) if line.startswith("X-INJECTED")]
        calendar = round_trips(response.content)
        assert "X-INJECTED" not in calendar and "X-INJECTED" not in calendar.walk("VEVENT")[0]
        assert str(calendar.walk("VEVENT")[0]["SUMMARY"]) == "Briefing X-INJECTED:1"
    single = Calendar.from_ical(client.get(reverse("releases:advisory-calendar", args=[advisory.slug])).content)
    assert str(single["NAME"]) == str(single["X-WR-CALNAME"]) == "Briefing X-INJECTED:1"


@pytest.mark.parametrize("text", ["Word\x0bbreak", "Escape \x1b[1m", "Noncharacter \ufffe", "DEL\x7f and \x0c"])
def test_stored_control_characters_are_left_out_of_the_calendars(client, writer, reviewer, text):
    """A row saved before input was normalised: both calendars answer, parse, and carry no control character."""
    advisory = publish(make_advisory(author=writer, city="Chișinău"), reviewer)
    Advisory.objects.filter(pk=advisory.pk).update(
        title=f"Title {text}", summary=f"Summary {text}", venue=f"Hall {text}", accreditation=f"Ask {text}",
    )
    ProgrammeEntry.objects.create(advisory=advisory, time=time(9, 0), description=f"Doors {text}")
    Source.objects.filter(pk=advisory.source_id).update(name=f"Office {text}")
    for url in (reverse("releases:advisory-calendar", args=[advisory.slug]), reverse("releases:calendar")):
        response = client.get(url)
        assert response.status_code == 200
        assert not any((ord(c) < 32 and c not in "\r\n\t") or 0x7F <= ord(c) <= 0x9F or c in "\ufffe\uffff"
                       for c in response.content.decode())
        [event] = round_trips(response.content).walk("VEVENT")
        assert str(event["SUMMARY"]) == normalise_text(f"Title {text}", multiline=False)
        assert str(event["LOCATION"]).startswith(normalise_text(f"Hall {text}", multiline=False))
        assert "Chișinău" in str(event["LOCATION"])
        assert normalise_text(f"Doors {text}") in str(event["DESCRIPTION"])


def extreme_advisory(writer, reviewer, event_date, event_time, zone):
    return publish(make_advisory(author=writer, title=f"Event on {event_date} in {zone}", event_date=event_date,
                                 event_time=event_time, time_zone=zone, city="Chișinău"), reviewer)


@pytest.mark.parametrize("event_date, event_time, zone", [
    (EVENT_DATE_MAX, time(23, 30), "Pacific/Kiritimati"),
    (EVENT_DATE_MAX, None, "Pacific/Kiritimati"),
    (EVENT_DATE_MIN, time(0, 0), "America/Los_Angeles"),
    (EVENT_DATE_MIN, time(0, 0), "Pacific/Apia"),
    (EVENT_DATE_MIN, None, "Pacific/Apia"),
])
def test_advisories_at_the_ends_of_the_date_range_are_served(client, writer, reviewer, event_date, event_time, zone):
    """Defect 6: the first and last allowed dates, in the zones furthest from UTC, on every public surface."""
    advisory = extreme_advisory(writer, reviewer, event_date, event_time, zone)
    for url in (reverse("releases:home"), advisory.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 200
        assert advisory.title in response.content.decode()
    [event] = round_trips(client.get(reverse("releases:advisory-calendar", args=[advisory.slug])).content).walk("VEVENT")
    assert event["DTSTART"].dt.year == event_date.year
    assert (event["DTSTART"].dt.month, event["DTSTART"].dt.day) == (event_date.month, event_date.day)
    # The subscription lists what is upcoming: the last allowed date, not the first (long past).
    calendar = round_trips(read_calendar(client).to_ical())
    assert (advisory.title in events_by_title(calendar)) == (event_date == EVENT_DATE_MAX)


@pytest.mark.parametrize("event_time", [time(23, 30), None])
def test_an_advisory_stored_in_year_9999_does_not_break_the_calendars(client, writer, reviewer, event_time):
    """A row saved before the date bounds (31 December 9999) made both calendars answer 500."""
    advisory = publish(make_advisory(author=writer, time_zone="Pacific/Kiritimati"), reviewer)
    far = datetime.combine(date(9999, 12, 31), event_time or time(0, 0), tzinfo=ZoneInfo("Pacific/Kiritimati"))
    Advisory.objects.filter(pk=advisory.pk).update(event_date=far.date(), event_time=event_time, starts_at=far)
    for url in (reverse("releases:calendar"), reverse("releases:advisory-calendar", args=[advisory.slug])):
        response = client.get(url)
        assert response.status_code == 200
        [event] = round_trips(response.content).walk("VEVENT")
        assert event["DTSTART"].dt == (far if event_time else far.date())
    for url in (reverse("releases:home"), advisory.get_absolute_url()):
        assert client.get(url).status_code == 200


# --- each event rendered once per edition --------------------------------------------------------

@override_settings(NEWSROOM_PAGE_CACHE=False)  # the page cache would answer without a query at all
def test_a_calendar_of_rendered_events_reads_only_their_keys(client, writer, reviewer, django_assert_num_queries):
    """The second request reads the events from the cache: one query for the list, none for the rest."""
    for number in range(3):
        publish(make_advisory(author=writer, title=f"Briefing {number}", event_date=date.today() + timedelta(days=number)),
                reviewer)
    first = client.get(reverse("releases:calendar"))
    with django_assert_num_queries(1):
        second = client.get(reverse("releases:calendar"))
    assert second.content == first.content
    assert set(events_by_title(Calendar.from_ical(second.content))) == {"Briefing 0", "Briefing 1", "Briefing 2"}


@override_settings(NEWSROOM_PAGE_CACHE=False)
def test_the_same_events_make_one_cached_calendar(client, writer, reviewer, django_assert_num_queries):
    """A calendar of events already assembled is one cache read: with every event's own text gone from
    the cache, the second request still needs no query beyond the list's, and gives the same bytes."""
    for number in range(3):
        publish(make_advisory(author=writer, title=f"Briefing {number}", event_date=date.today() + timedelta(days=number)),
                reviewer)
    first = client.get(reverse("releases:calendar"))
    keys, _ = calendar.event_keys(calendar.calendar_advisories())
    request = RequestFactory().get("/")
    cache.delete_many(list(calendar.event_names(keys, request).values()))
    with django_assert_num_queries(1):
        second = client.get(reverse("releases:calendar"))
    assert second.content == first.content


def test_a_renamed_source_shows_in_the_calendar_at_once(client, writer, reviewer):
    source = make_source("NATO", slug="nato")
    publish(make_advisory(source=source, author=writer, title="Briefing"), reviewer)
    assert "NATO" in [str(c) for c in events_by_title(read_calendar(client))["Briefing"]["CATEGORIES"].cats]
    source.name = "NATO Public Diplomacy"
    source.save()
    categories = [str(c) for c in events_by_title(read_calendar(client))["Briefing"]["CATEGORIES"].cats]
    assert "NATO Public Diplomacy" in categories


def test_a_withdrawn_event_leaves_the_calendar_though_it_was_rendered(client, writer, reviewer):
    kept = publish(make_advisory(author=writer, title="Kept"), reviewer)
    gone = publish(make_advisory(author=writer, title="Cancelled briefing"), reviewer)
    assert set(events_by_title(read_calendar(client))) == {"Kept", "Cancelled briefing"}
    gone.withdraw(reviewer, "Cancelled.")
    assert set(events_by_title(read_calendar(client))) == {"Kept"}
    assert kept.title in read_calendar(client, reverse("releases:advisory-calendar", args=[kept.slug])).to_ical().decode()


def test_the_calendar_says_how_far_back_it_goes(client, db):
    calendar = read_calendar(client)
    assert "last 30 days" in str(calendar["X-WR-CALDESC"])
