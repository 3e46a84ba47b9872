"""Subscribers (the subscriptions app) with the media lists: one mail per address, none after leaving."""
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from distribution.models import Delivery
from tests.subscriptions.conftest import make_subscriber

pytestmark = pytest.mark.django_db


def test_subscriber_on_a_list_too_gets_one_mail(release, reviewer, committed, work_the_queue, mailoutbox):
    """An address both subscribed and on the item's media list is mailed once (as the list's member)."""
    make_subscriber("j1@press.example")
    make_subscriber("reader@example.org")
    committed(release.approve, reviewer)
    work_the_queue()
    mails = [mail.to[0] for mail in mailoutbox if "Chișinău" in mail.subject]
    assert sorted(mails) == ["j1@press.example", "j2@press.example", "j3@press.example", "reader@example.org"]



def test_the_approval_writes_a_subscriber_once_however_many_subscriptions_match(release, reviewer):
    """
    A subscriber whose two subscriptions both match is one row (via the subscription, naming the
    subscriber for the unsubscribe link); one also on the item's list is the list's row only.
    """
    from subscriptions.models import Subscription

    twice = make_subscriber("reader@example.org")
    Subscription.objects.create(subscriber=twice, kinds="releases", frequency="immediate")
    make_subscriber("j1@press.example")
    release.approve(reviewer)
    rows = Delivery.objects.filter(publication__object_id=release.pk).order_by("address")
    assert list(rows.values_list("address", "via", "subscriber_id", "name")) == [
        ("j1@press.example", Delivery.Via.MEDIA_LIST, None, "Journalist 1"),
        ("j2@press.example", Delivery.Via.MEDIA_LIST, None, "Journalist 2"),
        ("j3@press.example", Delivery.Via.MEDIA_LIST, None, "Journalist 3"),
        ("reader@example.org", Delivery.Via.SUBSCRIPTION, twice.pk, ""),
    ]

def test_unsubscribed_before_the_time_gets_nothing(release, reviewer, committed, work_the_queue, mailoutbox):
    """Scheduled, then the subscriber leaves before the time: their queued mail is cancelled, not sent."""
    subscriber = make_subscriber("reader@example.org")
    at = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    committed(release.approve, reviewer, publish_at=at)
    subscriber.unsubscribed_at = timezone.now()
    subscriber.save()
    with time_machine.travel(at + timedelta(seconds=2), tick=False):
        work_the_queue()
    assert "reader@example.org" not in [mail.to[0] for mail in mailoutbox]
    assert Delivery.objects.get(address="reader@example.org").state == Delivery.State.CANCELLED


def test_an_item_with_no_lists_writes_a_subscriber_matching_twice_once(writer, reviewer):
    """No media list chosen: the subscribers are the first rows written, and one matching twice is still one row."""
    from subscriptions.models import Subscription
    from tests.factories import make_release

    twice = make_subscriber("reader@example.org")
    Subscription.objects.create(subscriber=twice, kinds="releases", frequency="immediate")
    release = make_release(author=writer, title="No lists")
    release.submit(writer)
    release.approve(reviewer)
    rows = Delivery.objects.filter(publication__object_id=release.pk)
    assert list(rows.values_list("address", "via", "subscriber_id")) == [
        ("reader@example.org", Delivery.Via.SUBSCRIPTION, twice.pk),
    ]
