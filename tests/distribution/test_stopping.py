"""
Never to someone who left: a journalist on a media list leaves with one click too, and an address
that bounced or asked to stop is mailed by no list, no pre-brief and no subscription.
"""
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

import subscriptions
from distribution import services
from distribution.models import Delivery
from releases.models import Release
from subscriptions.models import Subscriber, Suppression
from tests.factories import make_release
from tests.subscriptions.conftest import make_subscriber

pytestmark = pytest.mark.django_db


def one_click(mail):
    """POST the mail's List-Unsubscribe URL as a mail client does: no cookie, the RFC 8058 body."""
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = urlsplit(mail.extra_headers["List-Unsubscribe"].strip("<>")).path
    return Client().post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")


def second_release(writer, reviewer, committed, media_list, **approve):
    item = make_release(author=writer, title="The next release")
    services.distribution_for(Release, item.document, create=True).media_lists.add(media_list)
    item.submit(writer)
    committed(item.approve, reviewer, **approve)
    return item


def test_a_journalist_leaves_the_lists_with_one_click(
    release, writer, reviewer, journalists, committed, work_the_queue, mailoutbox,
):
    """A list mail carries the one-click headers and a stop link; after the click no list mails the address."""
    media_list, _ = journalists
    committed(release.approve, reviewer)
    work_the_queue()
    mail = next(mail for mail in mailoutbox if mail.to == ["j2@press.example"])
    assert "Stop these e-mails: http" in mail.body and "Stop these e-mails</a>" in mail.alternatives[0].content
    assert Client().get(urlsplit(mail.extra_headers["List-Unsubscribe"].strip("<>")).path).status_code == 200
    assert not Suppression.objects.exists()  # reading the page (a mail scanner) stops nothing
    assert one_click(mail).status_code == 200
    assert Suppression.objects.get().reason == "unsubscribed"
    mailoutbox.clear()
    second_release(writer, reviewer, committed, media_list)
    work_the_queue()
    assert sorted(mail.to[0] for mail in mailoutbox) == ["j1@press.example", "j3@press.example"]


def test_leaving_between_the_approval_and_the_time_cancels_the_queued_mail(
    writer, reviewer, journalists, committed, work_the_queue, mailoutbox,
):
    """Scheduled for later; a journalist stops in the meantime: their queued row is cancelled, not sent."""
    media_list, _ = journalists
    at = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    second_release(writer, reviewer, committed, media_list, publish_at=at)
    subscriptions.services.stop("J3@press.example")
    with time_machine.travel(at + timedelta(seconds=2), tick=False):
        work_the_queue()
    assert sorted(mail.to[0] for mail in mailoutbox) == ["j1@press.example", "j2@press.example"]
    assert Delivery.objects.get(address="j3@press.example").state == Delivery.State.CANCELLED


def test_a_bounced_journalist_is_left_out_of_lists_and_pre_briefs(writer, reviewer, reviewer2, journalists, committed):
    """An address suppressed after a bounce gets no row in a publication nor in a pre-brief."""
    media_list, _ = journalists
    subscriptions.suppress("j1@press.example", "bounced")
    at = timezone.now() + timedelta(days=1)
    item = second_release(writer, reviewer, committed, media_list, publish_at=at)
    publication = services.send_prebrief(item, reviewer2, [media_list])
    assert sorted(publication.deliveries.values_list("address", flat=True)) == ["j2@press.example", "j3@press.example"]
    assert not Delivery.objects.filter(address="j1@press.example").exists()


def test_a_subscriber_on_a_list_stops_both_with_one_click(release, reviewer, committed, work_the_queue, mailoutbox):
    """The address is mailed once (the list's mail), and its one click ends the subscription too."""
    make_subscriber("j1@press.example")
    committed(release.approve, reviewer)
    work_the_queue()
    [mail] = [mail for mail in mailoutbox if mail.to == ["j1@press.example"]]
    assert one_click(mail).status_code == 200
    assert Subscriber.objects.get(email="j1@press.example").unsubscribed_at is not None


def test_a_forged_stop_link_is_refused(client):
    assert client.post("/stop/not-a-token/").status_code == 400
    assert not Suppression.objects.exists()


def test_retrying_a_bounce_lifts_the_bounce_but_never_a_stop(release, reviewer, committed, client):
    """The press office retries two failed rows: the bounced address may be mailed again; the one that asked to stop may not."""
    committed(release.approve, reviewer)
    for address, reason in (("j1@press.example", "bounced"), ("j2@press.example", "unsubscribed")):
        Delivery.objects.filter(address=address).update(state=Delivery.State.FAILED, last_error="Bounced: 550")
        subscriptions.suppress(address, reason)
    client.force_login(reviewer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("distribution:retry", args=[ContentType.objects.get_for_model(Release).pk, release.pk]))
    assert list(Suppression.objects.values_list("email", flat=True)) == ["j2@press.example"]
