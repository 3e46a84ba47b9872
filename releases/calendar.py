"""
Media advisories as iCalendar (RFC 5545), with the ``icalendar`` library.

``/advisories.ics`` is a feed for calendar clients to subscribe to; every
advisory also has its own ``.ics`` for "Add to calendar". Both describe an
advisory the same way, so an event added from its page and the same event in
the subscription are one event to the client:

- UID is the document id, a UUID (RFC 7986 §5.3 recommends one): it stays the
  same across editions, title edits and hosts.
- SEQUENCE counts approved editions (version - 1) and LAST-MODIFIED/DTSTAMP is
  the approval time, so a client sees an edit as an update of the event.
- DTSTART is the local time with the event's own TZID, and the calendar
  carries the matching VTIMEZONE, generated from the zoneinfo database: 17:30
  in Brussels stays 17:30 in Brussels for a reader in any zone. DTEND is the
  start plus the advisory's duration (an hour unless it says otherwise), in the
  same zone. An advisory whose time the source didn't state is an all-day
  event (VALUE=DATE, DTEND the next day).
- DESCRIPTION is the summary, then the programme's entries in order, each with
  its local time and zone, the coverage notes and the page's address.
- A calendar with no event is still a valid one, with its name and the
  newsroom's zone (a VTIMEZONE): calendar applications refuse a VCALENDAR with
  no component at all.

Each VEVENT is rendered once per edition and kept in the cache (``rendered_events``):
an edition's event changes only with the edition itself (any save moves its
``updated_at``), its source's name or the site's address, and all of them are in
the key. A calendar of hundreds of events is then one query for the keys, one
cache read and a join; only events not yet rendered are read whole and built
with icalendar (about 2 ms each). Which events are listed is always decided
from ``published()`` first: the cache holds text, never the decision.

Every text goes through ``normalise_text`` on its way out, one line for the
calendar's name, SUMMARY, LOCATION and CATEGORIES: iCalendar allows no control
characters, and a bare CR in a title must not start a property of its own.
"""
import hashlib
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from icalendar import Calendar, Event, Timezone

from .localtime import newsroom_zone
from .models import EVENT_DATE_MAX, EVENT_DATE_MIN, Advisory
from .text import normalise_text

def calendar_past():
    """How long a past event stays in the calendar feed: subscribed clients delete what the feed drops."""
    return timedelta(days=settings.NEWSROOM_CALENDAR_PAST_DAYS)


def calendar_advisories(queryset=None, now=None):
    """The published advisories of the calendar feed: upcoming ones, and those of the last few days."""
    now = now or timezone.now()
    queryset = queryset if queryset is not None else Advisory.objects.published(now)
    return queryset.filter(starts_at__gte=now - calendar_past()).order_by("starts_at", "pk")


def calendar_contents():
    """What the subscribable calendar holds, in the words its page and the calendar itself use."""
    days = settings.NEWSROOM_CALENDAR_PAST_DAYS
    return ngettext(
        "Upcoming media events, and those of the last %(days)s day; each in its own local time and zone.",
        "Upcoming media events, and those of the last %(days)s days; each in its own local time and zone.",
        days,
    ) % {"days": days}


def build_calendar(advisories, request, name, description=None):
    """
    An iCalendar document (bytes) with one VEVENT per advisory and the VTIMEZONEs
    they use; with no advisory, the newsroom's own VTIMEZONE, so that it is still
    a calendar (RFC 5545 asks for at least one component) that applications open.

    The whole document is kept in the cache too, under a key made of the cache
    keys of its events (``event_names``) and its header: the listed events are
    still decided on every request (``advisories``), and a different list, or
    any event changed, is a different key. A hit is then the keys' query and one
    cache read, instead of one read per event and the VTIMEZONEs built again.
    """
    keys, objects = event_keys(advisories)
    names = event_names(keys, request)
    zone = newsroom_zone()
    name, description = normalise_text(name, multiline=False), description and one_line(description)
    header = (settings.NEWSROOM_SITE_NAME, settings.NEWSROOM_CACHE_VERSION, name, description, zone.key)
    # With no event the VTIMEZONE spans from today: the day is part of the key.
    day = None if keys else timezone.localdate(timezone=zone)
    whole = "ics-calendar:%d:%s" % (
        EVENT_FORMAT, hashlib.sha256(repr((*header, day, [names[key] for key in keys])).encode()).hexdigest(),
    )
    body = cache.get(whole)
    if body is None:
        events = rendered_events(advisories, request, keys, names, objects)
        body = assemble_calendar(events, name, description, zone, day)
        cache.set(whole, body, timeout=CALENDAR_SECONDS)
    return body


#: How long a whole calendar document stays in the cache: a changed list of events is another key,
#: so this only bounds how long an outdated one takes room (at a million items, about 1 MB each).
CALENDAR_SECONDS = 3600


def assemble_calendar(events, name, description, zone, today):
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.NEWSROOM_SITE_NAME}//Media advisories//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    if description:
        calendar.add("description", description)
        calendar.add("x-wr-caldesc", description)
    calendar.add("x-wr-timezone", zone.key)
    # How often a subscribed client should look again (RFC 7986, and the older Microsoft property).
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    if events:
        dates = [within_event_dates(row.event_date) for row, _ in events]
        # Each zone's rules from a little before the first event to a year after the last, within
        # the dates an advisory may have: a row stored before the bounds (year 1 or 9999) would
        # otherwise overflow the date arithmetic. Only timed events name a zone (TZID).
        first, last = min(dates) - timedelta(days=7), max(dates) + timedelta(days=366)
        for key in sorted({row.time_zone for row, _ in events if row.event_time is not None}):
            calendar.add_component(Timezone.from_tzid(key, first_date=first, last_date=last))
    else:
        calendar.add_component(
            Timezone.from_tzid(zone.key, first_date=today - timedelta(days=7), last_date=today + timedelta(days=366)),
        )
    head, end = calendar.to_ical().rsplit(b"END:VCALENDAR", 1)
    return b"".join([head, *(event for _, event in events), b"END:VCALENDAR", end])


#: What a cached event's key is made of: everything its text depends on besides the site's address.
EVENT_KEY_FIELDS = (
    "pk", "version", "updated_at", "revised_at", "published_at", "slug", "source__name",
    "event_date", "event_time", "time_zone",
)
#: Part of every cached event's key: change it when ``advisory_event`` changes what it writes.
EVENT_FORMAT = 1


class EventKey(tuple):
    """One advisory's ``EVENT_KEY_FIELDS`` values, read by name."""

    event_date = property(lambda self: self[EVENT_KEY_FIELDS.index("event_date")])
    event_time = property(lambda self: self[EVENT_KEY_FIELDS.index("event_time")])
    time_zone = property(lambda self: self[EVENT_KEY_FIELDS.index("time_zone")])
    pk = property(lambda self: self[0])


def event_key(advisory):
    return EventKey(
        advisory.source.name if name == "source__name" else getattr(advisory, name) for name in EVENT_KEY_FIELDS
    )


def event_keys(advisories):
    """
    The ``EventKey`` of each of ``advisories`` (a queryset, or a list of objects),
    in their order, and the objects by pk when they were given (else None): a
    queryset is read for its keys only (a few columns).
    """
    if isinstance(advisories, QuerySet):
        return [EventKey(row) for row in advisories.values_list(*EVENT_KEY_FIELDS)], None
    objects = {advisory.pk: advisory for advisory in advisories}
    return [event_key(advisory) for advisory in objects.values()], objects


def event_names(keys, request):
    """The cache key of each event's text: its ``EventKey`` and the site's address."""
    site = request.build_absolute_uri("/")
    return {
        key: "ics:%d:%s" % (EVENT_FORMAT, hashlib.sha256(repr((site, settings.NEWSROOM_CACHE_VERSION, *key)).encode()).hexdigest())
        for key in keys
    }


def rendered_events(advisories, request, keys=None, names=None, objects=None):
    """
    [(key, VEVENT bytes)] for ``advisories`` (a queryset, or a list of objects),
    in their order: from the cache, and only the rows whose event is not in it
    yet are read whole, with what they show, and rendered. ``keys``, ``names``
    and ``objects`` are ``event_keys`` and ``event_names`` when already known.
    """
    if keys is None:
        keys, objects = event_keys(advisories)
    names = names if names is not None else event_names(keys, request)
    found = cache.get_many(list(names.values())) if names else {}
    missing = [key.pk for key in keys if names[key] not in found]
    if missing:
        if objects is None:
            objects = advisories.filter(pk__in=missing).in_bulk()
        rendered = {names[key]: advisory_event(objects[key.pk], request).to_ical() for key in keys
                    if names[key] not in found and key.pk in objects}
        cache.set_many(rendered, timeout=settings.NEWSROOM_CALENDAR_EVENT_SECONDS)
        found.update(rendered)
    return [(key, found[names[key]]) for key in keys if names[key] in found]


def within_event_dates(day):
    return min(max(day, EVENT_DATE_MIN), EVENT_DATE_MAX)


def one_line(text):
    return normalise_text(text, multiline=False)


def advisory_event(advisory, request):
    event = Event()
    url = request.build_absolute_uri(advisory.get_absolute_url())
    event.add("uid", str(advisory.document))
    event.add("sequence", advisory.version - 1)
    event.add("dtstamp", advisory.revised_at)
    event.add("last-modified", advisory.revised_at)
    event.add("created", advisory.published_at)
    if advisory.time_known:
        event.add("dtstart", advisory.local_start)
        if advisory.local_end is not None:
            event.add("dtend", advisory.local_end)
    else:
        event.add("dtstart", advisory.event_date)
        if advisory.event_date < date.max:  # without DTEND a date event lasts its day (RFC 5545 §3.6.1)
            event.add("dtend", advisory.event_date + timedelta(days=1))
    event.add("summary", one_line(advisory.title))
    if advisory.location:
        event.add("location", one_line(advisory.location))
    event.add("description", normalise_text(event_description(advisory, url)))
    event.add("url", url)
    event.add("status", "CONFIRMED")
    event.add("categories", [str(advisory.kind_label), one_line(advisory.source.name)])
    return event


def event_description(advisory, url):
    """Plain text for the event's notes: the summary, the programme in local time, coverage notes, the link."""
    parts = []
    if advisory.summary:
        parts.append(advisory.summary)
    programme = list(advisory.programme.all())
    if programme:
        zone = advisory.local_start.tzname()
        parts.append("\n".join(f"{entry.time:%H:%M} {zone} {entry.description}" for entry in programme))
    parts.extend(f"{label}: {text}" for label, text in advisory.coverage)
    parts.append(url)
    return "\n\n".join(parts)


def calendar_url(request):
    """The feed's address for "Subscribe": webcal:// opens the reader's calendar application."""
    address = request.build_absolute_uri(reverse("releases:calendar"))
    return "webcal://" + address.split("://", 1)[1]
