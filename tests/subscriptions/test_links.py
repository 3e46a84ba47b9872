"""Signed links: confirmation (valid, expired, forged, superseded), one-click unsubscribe, manage; the GDPR part."""
from datetime import timedelta

import time_machine
from django.test import Client

import subscriptions
from journalists import personal_data
from subscriptions import links
from subscriptions.models import Subscriber, Subscription, Suppression
from tests.factories import make_release

from .conftest import confirmation_link, make_subscriber, path_of

ASK = {"email": "ana@example.org", "kinds": "both", "frequency": "immediate"}


def confirm_path(email="ana@example.org"):
    return path_of(links.confirmation_url(email, [], "both", "immediate"))


def test_an_expired_confirmation_link_subscribes_nobody(db, client):
    """Four days later the link (valid three) is answered 400 with no subscription made."""
    with time_machine.travel("2030-01-01 12:00Z", tick=False):
        path = confirm_path()
    with time_machine.travel("2030-01-05 12:00Z", tick=False):
        assert client.get(path).status_code == 400
        response = client.post(path)
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_a_link_within_its_days_still_works(db, client):
    """Two days and 23 hours later the link still confirms."""
    with time_machine.travel("2030-01-01 12:00Z", tick=False):
        path = confirm_path()
    with time_machine.travel("2030-01-04 11:00Z", tick=False):
        assert client.post(path).status_code == 200
    assert Subscriber.objects.get().is_active


def test_a_forged_or_damaged_confirmation_link_subscribes_nobody(db, client):
    """A changed character, an unsigned payload or a token of another kind (unsubscribe) is refused."""
    path = confirm_path()
    token = path.rstrip("/").rsplit("/", 1)[1]
    subscriber = make_subscriber("other@example.org")
    forged = [
        path.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB")),
        "/subscribe/confirm/eyJlIjoiZXZlQGV4YW1wbGUub3JnIn0/",
        path_of(links.unsubscribe_url(subscriber)).replace("/unsubscribe/", "/subscribe/confirm/"),
    ]
    for bad in forged:
        response = client.post(bad)
        assert response.status_code == 400, bad
        assert "Subscribed" not in response.content.decode()
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["other@example.org"]


def test_an_old_confirmation_cannot_undo_a_later_unsubscribe(db, client):
    """A link asked for before the address unsubscribed is refused: "stop" wins until a fresh request."""
    with time_machine.travel("2030-01-01 12:00Z", tick=False):
        path = confirm_path()
        client.post(path)
    with time_machine.travel("2030-01-01 13:00Z", tick=False):
        subscriptions.services.unsubscribe(Subscriber.objects.get())
        response = client.post(path)
    assert response.status_code == 400 and "unsubscribed after this link" in response.content.decode()
    assert not Subscriber.objects.get().is_active


def test_one_click_unsubscribe_works_with_a_post_and_no_cookie(db):
    """RFC 8058: a mail client POSTs List-Unsubscribe=One-Click, no cookie, CSRF checks on; the address is out and suppressed."""
    subscriber = make_subscriber("ana@example.org")
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        path_of(links.unsubscribe_url(subscriber)), "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    assert Subscription.objects.matching(make_release()).count() == 0
    assert Suppression.objects.get().reason == "unsubscribed"


def test_unsubscribe_link_shows_a_button_on_get_and_changes_nothing(db, client):
    """Opening the link (or a mail scanner doing so) only asks; the subscriber stays."""
    subscriber = make_subscriber("ana@example.org")
    page = client.get(path_of(links.unsubscribe_url(subscriber)))
    assert page.status_code == 200 and "<button" in page.content.decode()
    assert Subscriber.objects.get().is_active


def test_a_forged_unsubscribe_link_is_refused(db, client):
    """A manage token or a made-up one does not unsubscribe anyone."""
    subscriber = make_subscriber("ana@example.org")
    manage_token = path_of(links.manage_url(subscriber)).rstrip("/").rsplit("/", 1)[1]
    for token in (manage_token, "1", "MQ:forged:signature"):
        assert client.post(f"/unsubscribe/{token}/").status_code == 400
    assert Subscriber.objects.get().is_active


def test_headers_offer_one_click_unsubscribe(db):
    """The mail headers name the unsubscribe URL and the One-Click post, as RFC 8058 asks."""
    subscriber = make_subscriber("ana@example.org")
    headers = subscriptions.headers(subscriber)
    assert headers["List-Unsubscribe"] == f"<{links.unsubscribe_url(subscriber)}>"
    assert headers["List-Unsubscribe"].startswith("<http") and "/unsubscribe/" in headers["List-Unsubscribe"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_manage_link_lists_and_stops_subscriptions(db, client):
    """The manage page shows each subscription; "Stop this" removes one; "Unsubscribe from everything" stops all."""
    subscriber = make_subscriber("ana@example.org", kinds="releases")
    daily = Subscription.objects.create(subscriber=subscriber, kinds="advisories", frequency="daily")
    path = path_of(links.manage_url(subscriber))
    page = client.get(path).content.decode()
    assert "Press releases from all sources" in page and "Media advisories from all sources, a daily digest" in page
    after = client.post(path, {"stop": daily.pk}).content.decode()
    assert "daily digest" not in after and "Press releases" in after
    client.post(path, {"action": "unsubscribe"})
    assert not Subscriber.objects.get().is_active


def test_a_bounce_suppresses_until_a_fresh_confirmation(db, client, post_subscribe, work_the_queue, mailoutbox):
    """A bounced address is not matched; subscribing afresh and confirming lifts the suppression."""
    make_subscriber("ana@example.org")
    subscriptions.suppress("ana@example.org", "bounced")
    assert Subscription.objects.matching(make_release()).count() == 0
    post_subscribe(ASK)
    work_the_queue()
    client.post(path_of(confirmation_link(mailoutbox[0])))
    assert not Suppression.objects.exists()
    assert Subscription.objects.matching(make_release()).count() == 1


def test_erasure_removes_the_subscriber_and_keeps_only_a_keyed_hash(db):
    """Art. 17: the subscriber and subscriptions go; the suppression keeps no address, yet still recognises it."""
    make_subscriber("ana@example.org")
    exported = personal_data.export("ana@example.org")["sections"]["subscriptions"]
    assert exported["subscriber"]["email"] == "ana@example.org"
    done = personal_data.erase("Ana@example.org")
    assert "subscriber deleted, with 1 subscription" in done["subscriptions"]
    assert not Subscriber.objects.exists() and not Subscription.objects.exists()
    suppression = Suppression.objects.get()
    assert suppression.email is None and "ana" not in suppression.address_hash
    assert Suppression.holds("ana@example.org")
    assert personal_data.export("ana@example.org")["sections"]["subscriptions"] == {
        "suppression": {"reason": "erased", "at": suppression.at.isoformat()},
    }


def test_the_unsubscribe_link_never_expires(db, client):
    """A mail read two years later still lets its reader leave."""
    subscriber = make_subscriber("ana@example.org")
    path = path_of(links.unsubscribe_url(subscriber))
    with time_machine.travel(timedelta(days=730)):
        assert client.post(path).status_code == 200
    assert not Subscriber.objects.get().is_active
