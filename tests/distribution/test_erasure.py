"""GDPR Art. 17 on the outbox: a delivery keeps whether it went and a keyed hash, nothing naming the address."""
import pytest
from django.test import TestCase

from distribution.models import Delivery
from journalists import personal_data

pytestmark = pytest.mark.django_db


def test_a_delivery_keeps_no_error_text_naming_the_address(release, reviewer):
    """A refusal's text names the address; after erasure the row keeps its state and a keyed hash only."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        release.approve(reviewer)
    Delivery.objects.filter(address="j1@press.example").update(
        state=Delivery.State.FAILED, last_error="Bounced: (550, b'<j1@press.example>: no such user')",
    )
    personal_data.erase("j1@press.example")
    row = Delivery.objects.get(address_hash=Delivery.hash_address("j1@press.example"))
    assert row.state == Delivery.State.FAILED and row.address == "" and "j1@" not in row.last_error
