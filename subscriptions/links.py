"""
Signed links: no account, the link is the authority.

- confirmation: carries what was asked (address, sources, kinds, frequency) and
  when; it expires (``SUBSCRIPTIONS_CONFIRM_DAYS``, default 3) and nothing is
  stored until it is followed;
- unsubscribe and manage: name the subscriber row; they never expire (a mail
  read a year later still lets its reader leave) and die with the row;
- stop: names an address (a journalist on a media list has no subscriber row);
  it never expires either.

Each kind has its own salt, so one can never stand in for another.
"""
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

CONFIRM_SALT = "subscriptions.confirm"
UNSUBSCRIBE_SALT = "subscriptions.unsubscribe"
MANAGE_SALT = "subscriptions.manage"
STOP_SALT = "subscriptions.stop"


def confirm_days():
    return getattr(settings, "SUBSCRIPTIONS_CONFIRM_DAYS", 3)


def absolute(path):
    return settings.NEWSROOM_BASE_URL + path


def confirmation_token(email, sources, kinds, frequency):
    payload = {"e": email, "s": sorted(sources), "k": kinds, "f": frequency, "t": timezone.now().timestamp()}
    return signing.dumps(payload, salt=CONFIRM_SALT, compress=True)


def read_confirmation(token):
    """The request a confirmation link carries, or None when it is forged, damaged or expired."""
    try:
        return signing.loads(token, salt=CONFIRM_SALT, max_age=confirm_days() * 24 * 3600)
    except (signing.BadSignature, ValueError):
        return None


def confirmation_url(email, sources, kinds, frequency):
    return absolute(reverse("subscriptions:confirm", args=[confirmation_token(email, sources, kinds, frequency)]))


def subscriber_token(subscriber, salt):
    return signing.dumps(subscriber.pk, salt=salt)


def read_subscriber(token, salt):
    """The subscriber a link names, or None when it is forged or the subscriber is gone."""
    from .models import Subscriber

    try:
        pk = signing.loads(token, salt=salt)
    except (signing.BadSignature, ValueError):
        return None
    return Subscriber.objects.filter(pk=pk).first() if isinstance(pk, int) else None


def unsubscribe_url(subscriber):
    return absolute(reverse("subscriptions:unsubscribe", args=[subscriber_token(subscriber, UNSUBSCRIBE_SALT)]))


def manage_url(subscriber):
    return absolute(reverse("subscriptions:manage", args=[subscriber_token(subscriber, MANAGE_SALT)]))


def stop_url(address):
    return absolute(reverse("subscriptions:stop", args=[signing.dumps(address, salt=STOP_SALT)]))


def read_address(token):
    """The address a stop link names, or None when it is forged."""
    try:
        address = signing.loads(token, salt=STOP_SALT)
    except (signing.BadSignature, ValueError):
        return None
    return address if isinstance(address, str) and address else None
