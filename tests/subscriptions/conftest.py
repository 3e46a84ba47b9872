import re

import pytest
from django.test import TestCase
from django.utils import timezone

from subscriptions.models import Subscriber, Subscription
from tests.notifications.conftest import work_the_queue  # noqa: F401


def make_subscriber(email, confirmed=True, unsubscribed=False, sources=(), kinds="both", frequency="immediate"):
    """A subscriber with one subscription, confirmed (or not) as asked."""
    subscriber = Subscriber.objects.create(
        email=email,
        confirmed_at=timezone.now() if confirmed else None,
        unsubscribed_at=timezone.now() if unsubscribed else None,
    )
    subscription = Subscription.objects.create(subscriber=subscriber, kinds=kinds, frequency=frequency)
    subscription.sources.set(sources)
    return subscriber


@pytest.fixture
def post_subscribe(client):
    """POST the subscribe form with its on-commit work run, as after a real request; returns the response."""
    def run(data, **extra):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return client.post("/subscribe/", data, **extra)
    return run


def confirmation_link(mail):
    return re.search(r"https?://\S+/subscribe/confirm/\S+/", mail.body).group(0)


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)
