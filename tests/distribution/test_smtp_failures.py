"""
What a refusal means, against a real SMTP server (aiosmtpd) through Django's SMTP backend: only a
recipient refused with a 5xx is a bounce (the address suppressed); a refused sender, a refused
message or a server we can't log in to says nothing about the recipients, so nobody is suppressed.
"""
import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from distribution.models import Delivery
from subscriptions.models import Suppression
from tests.notifications.processes import free_port

pytestmark = pytest.mark.django_db


class Refusing:
    """An SMTP server that refuses at one step: MAIL FROM, one RCPT TO, or DATA; accepts the rest."""

    def __init__(self, step, address=None):
        self.step, self.address, self.received = step, address, []

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self.step == "mail":
            return "553 5.7.1 Sender address rejected: not owned by user"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.step == "rcpt" and address == self.address:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.step == "data":
            return "554 5.7.1 Message rejected as spam"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received += [(recipient, str(message["Subject"]).strip()) for recipient in envelope.rcpt_tos]
        return "250 Message accepted for delivery"


@pytest.fixture
def refusing(settings):
    """``refusing(step, address=None)``: Django's SMTP backend pointed at a server refusing at that step."""
    servers = []

    def start(step, address=None):
        handler = Refusing(step, address)
        server = Controller(handler, hostname="127.0.0.1", port=free_port())
        server.start()
        servers.append(server)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        return handler

    yield start
    for server in servers:
        server.stop()


def test_a_refused_recipient_is_a_bounce_and_the_others_are_sent(release, reviewer, committed, work_the_queue, refusing):
    """550 for one address: that row failed as bounced and the address suppressed; the two others delivered."""
    server = refusing("rcpt", "j2@press.example")
    committed(release.approve, reviewer)
    work_the_queue()
    assert sorted(recipient for recipient, _ in server.received) == ["j1@press.example", "j3@press.example"]
    failed = Delivery.objects.get(state=Delivery.State.FAILED)
    assert failed.address == "j2@press.example" and failed.last_error.startswith("Bounced: ") and "550" in failed.last_error
    assert list(Suppression.objects.values_list("email", "reason")) == [("j2@press.example", "bounced")]


def test_a_refused_sender_suppresses_nobody_and_is_tried_again(release, reviewer, committed, work_the_queue, refusing):
    """553 to MAIL FROM (our configuration is wrong): no bounce, no suppression; every row waits for a later try."""
    server = refusing("mail")
    committed(release.approve, reviewer)
    work_the_queue()
    assert server.received == []
    assert not Suppression.objects.exists()
    rows = Delivery.objects.all()
    assert {row.state for row in rows} == {Delivery.State.QUEUED}
    assert all("553" in row.last_error and not row.last_error.startswith("Bounced") for row in rows)


def test_a_refused_message_fails_without_suppressing_the_address(release, reviewer, committed, work_the_queue, refusing):
    """554 after DATA (the message, not the address, was refused): failed for good, the address not suppressed."""
    refusing("data")
    committed(release.approve, reviewer)
    work_the_queue()
    rows = Delivery.objects.all()
    assert {row.state for row in rows} == {Delivery.State.FAILED}
    assert all("554" in row.last_error and not row.last_error.startswith("Bounced") for row in rows)
    assert not Suppression.objects.exists()


def test_a_server_that_refuses_the_login_suppresses_nobody(release, reviewer, committed, work_the_queue, refusing, settings):
    """A login the server can't take (no AUTH offered, wrong password): every row waits; no address is blamed."""
    refusing("none")
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "newsroom", "wrong"
    committed(release.approve, reviewer)
    work_the_queue()
    assert not Suppression.objects.exists()
    assert {row.state for row in Delivery.objects.all()} == {Delivery.State.QUEUED}
