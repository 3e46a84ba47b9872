"""
Media events as readers see them: each advisory's event is *upcoming*, *today* or
*past* on the calendar of the event's own zone (``Advisory.event_status``), so an
event in Brussels on 8 November is "today" from midnight to midnight in Brussels,
whatever the server's or the reader's zone.

No database compares a date with "today in each row's own zone", so the lists
are split with the one fact that holds for every zone: an event whose start is
still ahead is never past, and one that started more than ``DAY_REACH`` ago is
past everywhere (a local day lasts at most 25 hours). Only the events that
started in between, at most about a day's worth, are read to ask their zone.
"""
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from .models import EventStatus

#: Longer than any local day (25 hours when the clocks go back), so a start further back is past in its zone.
DAY_REACH = timedelta(hours=26)


def started_but_not_past(queryset, now):
    """The pks of events that have started (``starts_at`` < now) but whose day hasn't ended in their zone."""
    recent = queryset.filter(starts_at__gte=now - DAY_REACH, starts_at__lt=now).only("pk", "event_date", "time_zone")
    return [event.pk for event in recent if event.event_status(now) != EventStatus.PAST]


def split(queryset, now=None):
    """(not past, soonest first; past, latest first): the two halves of a list of events, as querysets."""
    now = now or timezone.now()
    today = started_but_not_past(queryset, now)
    upcoming = queryset.filter(Q(starts_at__gte=now) | Q(pk__in=today)).order_by("starts_at", "pk")
    past = queryset.filter(starts_at__lt=now).exclude(pk__in=today).order_by("-starts_at", "-pk")
    return upcoming, past


def upcoming(queryset, now=None):
    """Today's and upcoming events, soonest first: never one that is past in its own zone."""
    return split(queryset, now)[0]


def status_facts(queryset, now):
    """
    For the page cache (see ``caching``): the status of every event that can change
    status soon or just did, the latest moment one changed and the next moment one will.
    """
    window = queryset.filter(starts_at__gte=now - DAY_REACH, starts_at__lt=now + DAY_REACH).order_by("pk")
    window = list(window.only("pk", "event_date", "time_zone"))
    facts = [(event.pk, event.event_status(now)) for event in window]
    moments = [moment for event in window for moment in event.status_changes() if moment is not None]
    changed = max((moment for moment in moments if moment <= now), default=None)
    changes = [moment for moment in moments if moment > now]
    entering = queryset.filter(starts_at__gte=now + DAY_REACH).order_by("starts_at").values_list("starts_at", flat=True).first()
    if entering is not None:
        changes.append(entering - DAY_REACH)  # it joins the window before its day can start
    return facts, changed, min(changes, default=None)
