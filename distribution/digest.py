"""
The daily digest: one mail a day to each subscriber who asked for one, listing what became
public (or had a major change) since the digest before, sent at ``NEWSROOM_DIGEST_TIME`` in the
newsroom's zone.

It rides the outbox of the mail on publication (``services``). The move that makes an item
public (now, or at its scheduled time) writes, in its own transaction, one ``Delivery`` per
matching daily subscriber into the digest ``Publication`` due at the first digest time at or
after the item's publication time; the unique (publication, address) constraint makes that one
row per subscriber per day, however many items the day has. So the digest is due exactly when
the first thing it lists has become public, never before, and needs no scheduler of its own: the
rows' task is enqueued with ``run_after`` like any other.

The worker composes each subscriber's mail when it is due, from what is public *then*: an item
withdrawn or unscheduled before the digest is not listed, a subscriber with nothing left to read
is not mailed, and an item the address already received on its own that day (on a media list, or
through an immediate subscription as well) is not listed twice.
"""
from collections import defaultdict
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import dateformat
from django.utils.translation import ngettext

from releases.localtime import local, newsroom_zone

from .models import Delivery, Publication


def digest_time():
    """The wall time of the daily digest (``NEWSROOM_DIGEST_TIME``, "HH:MM", the newsroom's zone)."""
    value = settings.NEWSROOM_DIGEST_TIME
    try:
        parsed = time.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"NEWSROOM_DIGEST_TIME={value!r} is not a time such as 08:00.") from error
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def digest_at(day):
    """The instant (UTC) of the digest of this local day."""
    return datetime.combine(day, digest_time(), tzinfo=newsroom_zone()).astimezone(dt_timezone.utc)


def due_for(moment):
    """The first digest time at or after ``moment``: the digest that lists what became public then."""
    day = local(moment).date()
    due = digest_at(day)
    return due if due >= moment else digest_at(day + timedelta(days=1))


def window(due):
    """(start, end]: what became public in it is listed in the digest due at ``end``."""
    return digest_at(local(due).date() - timedelta(days=1)), due


# --- the outbox, inside the move's transaction ------------------------------------------------

def queue(edition, moment):
    """
    Write the daily subscribers matching ``edition`` into the digest due after ``moment`` (its
    publication time, or the time of a major change); the publication's sending is enqueued on
    commit. Nothing is written when nobody asked for a digest of it.
    """
    from . import services

    if not services.subscriptions_installed():
        return None
    from subscriptions.models import Frequency, Subscription

    daily = Subscription.objects.matching(edition, Frequency.DAILY)
    if not daily.exists():
        return None
    due = due_for(moment)
    publication, _ = Publication.objects.get_or_create(kind=Publication.Kind.DIGEST, due_at=due)
    written = services.insert_select(publication, due, services.subscriber_select(daily))
    services.transaction.on_commit(lambda: services.enqueue(publication.pk, due, services.copies_for(written)))
    return publication


# --- the mail, composed when it is due ----------------------------------------------------------

def listed(start, end, now=None):
    """
    What the digest due at ``end`` lists, public now: items first public in (start, end], and
    items public before whose major change fell in it; oldest first.
    """
    from releases.models import Advisory, Release

    in_window = Q(published_at__gt=start, published_at__lte=end) | Q(
        published_at__lte=start, public_updated_at__gt=start, public_updated_at__lte=end,
    )
    items = []
    for model in (Release, Advisory):
        items += model.objects.published(now).filter(in_window).select_related("source")
    return sorted(items, key=lambda item: (item.published_at, item.pk))


class DigestMail:
    """One day's digest: the items are read once; each subscriber's mail lists the ones they asked for."""

    def __init__(self, publication):
        from . import services

        self.services = services
        self.publication = publication
        self.start, self.end = window(publication.due_at)
        self.items = listed(self.start, self.end)
        self.chosen = {}

    def select(self, rows):
        """
        The rows to send, each with its items; a row whose subscriber no longer wants any of
        them (left, suppressed, changed their subscription, or the items were withdrawn) is
        cancelled instead.
        """
        from django.contrib.contenttypes.models import ContentType
        from subscriptions.models import Frequency, Subscription

        ids = [row.subscriber_id for row in rows]
        wanted = defaultdict(list)
        for item in self.items:
            for subscriber_id in Subscription.objects.matching(item, Frequency.DAILY).filter(
                subscriber_id__in=ids,
            ).values_list("subscriber_id", flat=True).distinct():
                wanted[subscriber_id].append(item)
        # What these addresses were mailed on its own in the same window is not listed again.
        had = set(
            Delivery.objects.filter(
                address__in=[row.address for row in rows],
                publication__kind__in=[Publication.Kind.ORIGINAL, Publication.Kind.UPDATE],
                publication__due_at__gt=self.start, publication__due_at__lte=self.end,
                state__in=[Delivery.State.QUEUED, Delivery.State.SENDING, Delivery.State.SENT],
            ).values_list("address", "publication__content_type", "publication__document")
        )
        types = {model: ContentType.objects.get_for_model(model).pk for model in {type(item) for item in self.items}}
        keep, empty = [], []
        for row in rows:
            items = [
                item for item in wanted.get(row.subscriber_id, [])
                if (row.address, types[type(item)], item.document) not in had
            ]
            if items:
                self.chosen[row.pk] = items
                keep.append(row)
            else:
                empty.append(row.pk)
        Delivery.objects.filter(pk__in=empty).update(
            state=Delivery.State.CANCELLED,
            last_error="Nothing left to list: the items were withdrawn or already mailed, or the subscriber left.",
        )
        return keep

    def subject(self, items):
        day = dateformat.format(local(self.end), "D j M Y")
        count = len(items)
        return ngettext("%(site)s: %(count)s new item, %(day)s", "%(site)s: %(count)s new items, %(day)s", count) % {
            "site": settings.NEWSROOM_SITE_NAME, "count": count, "day": day}

    def message(self, row):
        items = self.chosen[row.pk]
        context = {
            "site_name": settings.NEWSROOM_SITE_NAME,
            "site_url": settings.NEWSROOM_BASE_URL,
            "day": dateformat.format(local(self.end), "l j F Y"),
            "entries": [self.entry(item) for item in items],
        }
        text = render_to_string("distribution/digest.txt", context)
        html = render_to_string("distribution/digest.html", context)
        return self.services.compose(self.publication, row, self.subject(items), text, html)

    def entry(self, item):
        updated = item.published_at <= self.start
        return {
            "item": item,
            "kind": item.kind_label,
            "updated": updated,
            "change_note": item.change_note if updated else "",
            "published": self.services.embargo_until_text(item.public_updated_at if updated else item.published_at),
            "public_url": self.services.absolute(item.get_absolute_url()),
        }


def check_settings(app_configs=None, **kwargs):
    """System check: a digest time that can't be read stops the start, not the first digest."""
    from django.core.checks import Error

    try:
        digest_time()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="distribution.E001")]
    return []
