"""
The distribution panel on a release's change form: media lists chosen by writers, the
mailings' counts, failures with their reason and a retry, and the bounce of a 5xx answer.
"""
import smtplib

import pytest
from django.test import Client, TestCase
from django.urls import reverse

from distribution import services
from distribution.models import Delivery
from releases.models import Release

pytestmark = pytest.mark.django_db


def change_url(item):
    return reverse("admin:releases_release_change", args=[item.pk])


def test_writer_chooses_media_lists_in_the_panel(client, writer, journalists):
    """A writer ticks a list in the panel; the item's distribution holds it."""
    from django.contrib.contenttypes.models import ContentType

    from tests.factories import make_release

    media_list, _ = journalists
    item = make_release(author=writer)
    client.force_login(writer)
    page = client.get(change_url(item)).content.decode()
    assert 'id="distribution"' in page and "Defence desk" in page
    content_type = ContentType.objects.get_for_model(Release)
    response = client.post(reverse("distribution:lists", args=[content_type.pk, item.pk]), {"media_lists": [media_list.pk]})
    assert response.status_code == 302
    assert list(services.distribution_for(Release, item.document).media_lists.all()) == [media_list]


def test_panel_shows_sent_and_failed_with_reason_and_retry(client, release, reviewer, reviewer2, committed, work_the_queue, mailoutbox, monkeypatch, admin_user):
    """A permanent refusal (550) marks the address bounced with its reason; the others are sent; retry queues it again."""
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages

    def refuse_j2(self, messages):
        if messages[0].to == ["j2@press.example"]:
            raise smtplib.SMTPRecipientsRefused({"j2@press.example": (550, b"No such user")})
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_j2)
    committed(release.approve, reviewer)
    work_the_queue()
    assert sorted(mail.to[0] for mail in mailoutbox) == ["j1@press.example", "j3@press.example"]
    failed = Delivery.objects.get(state=Delivery.State.FAILED)
    assert failed.address == "j2@press.example" and "Bounced" in failed.last_error and "550" in failed.last_error

    client.force_login(reviewer2)
    page = client.get(change_url(release)).content.decode()
    assert "Retry failed deliveries" in page and "Journalist 2" in page and "No such user" in page
    # The address is the directory's personal data: not for reviewers, who can't read the directory.
    assert "j2@press.example" not in page
    admin = Client()
    admin.force_login(admin_user)  # someone who may read the directory sees the address too
    assert "Journalist 2 &lt;j2@press.example&gt;" in admin.get(change_url(release)).content.decode()
    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(Release)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("distribution:retry", args=[content_type.pk, release.pk]))
    work_the_queue()
    assert sorted(mail.to[0] for mail in mailoutbox) == ["j1@press.example", "j2@press.example", "j3@press.example"]


def test_temporary_failure_is_retried_later(release, reviewer, committed, work_the_queue, mailoutbox, monkeypatch):
    """A 451 answer leaves the row queued for a later try, with the error recorded."""
    from django.core.mail.backends.locmem import EmailBackend

    def busy(self, messages):
        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (451, b"Try again later")})

    monkeypatch.setattr(EmailBackend, "send_messages", busy)
    committed(release.approve, reviewer)
    work_the_queue()
    assert mailoutbox == []
    rows = Delivery.objects.all()
    assert {row.state for row in rows} == {Delivery.State.QUEUED}
    assert all("451" in row.last_error and row.attempts == 1 for row in rows)


def test_visitors_cannot_use_the_panel_forms(client, release):
    """The panel's forms are behind the admin login."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(Release)
    response = client.post(reverse("distribution:prebrief", args=[content_type.pk, release.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_reason_naming_the_address_is_shown_without_it_to_reviewers(client, release, reviewer, reviewer2, committed):
    """A refusal quoting the address ("550 <j3@…>") shows the reason with the address left out."""
    committed(release.approve, reviewer)
    Delivery.objects.filter(address="j3@press.example").update(
        state=Delivery.State.FAILED, last_error="Bounced: 550 <j3@press.example>: mailbox unavailable",
    )
    client.force_login(reviewer2)
    page = client.get(change_url(release)).content.decode()
    assert "Journalist 3: Bounced: 550 &lt;…&gt;: mailbox unavailable" in page
    assert "j3@press.example" not in page
