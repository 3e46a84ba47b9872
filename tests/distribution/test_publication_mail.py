"""
E-mail on publication: the outbox written with the move, each address mailed once,
never early, nothing after a withdrawal or an unscheduling, an "Updated:" mail for
a major change only. Tasks run by the database queue's own worker in this process;
mail goes to Django's test outbox.
"""
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from distribution.models import Delivery, Publication
from distribution import services
from journalists import personal_data
from releases.models import Release

pytestmark = pytest.mark.django_db

LIST = {"j1@press.example", "j2@press.example", "j3@press.example"}


def recipients(mails):
    return sorted(address for mail in mails for address in mail.to)


def test_approving_now_mails_each_list_member_once(release, reviewer, committed, work_the_queue, mailoutbox):
    """Approved now: one mail per member of the chosen list, with the title, summary, body and link."""
    committed(release.approve, reviewer)
    work_the_queue()
    work_the_queue()  # a second run finds nothing left to send
    assert recipients(mailoutbox) == sorted(LIST)
    mail = mailoutbox[0]
    assert mail.subject == "Ministers meet in Chișinău"
    assert "Allies agree a plan." in mail.body and "The ministers met today." in mail.body
    assert f"/releases/{release.slug}/" in mail.body
    html = mail.alternatives[0].content
    assert "<h1>Ministers meet in Chișinău</h1>" in html
    assert mail.extra_headers["Message-ID"].startswith("<delivery.")
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}


def test_deliveries_are_written_in_the_approving_transaction(release, reviewer):
    """The rows exist as soon as the approval does (the outbox), and nothing was sent by the request."""
    release.approve(reviewer)
    assert Delivery.objects.filter(state=Delivery.State.QUEUED).count() == 3


def test_failed_approval_writes_no_deliveries(release, writer):
    """A refused move (the writer may not approve) leaves no outbox rows behind."""
    from releases.workflow import TransitionError

    with pytest.raises(TransitionError):
        release.approve(writer)
    assert not Delivery.objects.exists()


def test_scheduled_mail_waits_for_its_time(release, reviewer, committed, work_the_queue, mailoutbox):
    """Not one second before the publication time; at it, every member gets the mail."""
    at = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    committed(release.approve, reviewer, publish_at=at)
    with time_machine.travel(at - timedelta(seconds=1), tick=False):
        work_the_queue()
        assert mailoutbox == []
        assert services.send_publication(Publication.objects.get().pk) == 0
        assert mailoutbox == []
    with time_machine.travel(at + timedelta(seconds=2), tick=False):
        work_the_queue()
    assert recipients(mailoutbox) == sorted(LIST)


def test_unscheduled_before_due_sends_nothing(release, reviewer, committed, work_the_queue, mailoutbox):
    """Unscheduled before its time: the queued deliveries are cancelled and nothing goes out."""
    at = timezone.now() + timedelta(hours=2)
    committed(release.approve, reviewer, publish_at=at)
    release.refresh_from_db()
    committed(release.unschedule, reviewer)
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        work_the_queue()
    assert mailoutbox == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.CANCELLED}


def test_withdrawn_before_due_sends_nothing(release, reviewer, reviewer2, committed, work_the_queue, mailoutbox):
    """Published then withdrawn before the worker got to it: nothing goes out."""
    committed(release.approve, reviewer)
    release.refresh_from_db()
    committed(release.withdraw, reviewer2, "Sent in error.")
    work_the_queue()
    assert mailoutbox == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.CANCELLED}


def test_the_same_address_on_two_lists_gets_one_mail(release, reviewer, journalists, committed, work_the_queue, mailoutbox):
    """Lists overlap: an address is one delivery, one mail."""
    from tests.journalists.factories import make_list

    _, people = journalists
    services.distribution_for(Release, release.document).media_lists.add(make_list(journalists=people[:2]))
    committed(release.approve, reviewer)
    work_the_queue()
    assert recipients(mailoutbox) == sorted(LIST)


def new_edition(release, writer, reviewer, committed, **approve):
    draft = release.start_new_draft(writer)
    draft.title = "Ministers meet in Chișinău (corrected)"
    draft.last_edited_by = writer
    draft.save()
    draft.submit(writer)
    committed(draft.approve, reviewer, **approve)
    return draft


def test_major_update_mails_those_who_got_the_original(release, writer, reviewer, committed, work_the_queue, mailoutbox):
    """A major change sends "Updated:" with its note to each one who got the original, once."""
    from tests.journalists.factories import make_journalist, make_list

    committed(release.approve, reviewer)
    work_the_queue()
    mailoutbox.clear()
    # Someone added to the list afterwards never had the original: no update for them.
    services.distribution_for(Release, release.document).media_lists.add(make_list(journalists=[make_journalist()]))
    release.refresh_from_db()
    new_edition(release, writer, reviewer, committed, major=True, note="Corrected the venue.")
    work_the_queue()
    assert recipients(mailoutbox) == sorted(LIST)
    assert mailoutbox[0].subject == "Updated: Ministers meet in Chișinău (corrected)"
    assert "Corrected the venue." in mailoutbox[0].body


def test_minor_update_sends_nothing(release, writer, reviewer, committed, work_the_queue, mailoutbox):
    """A typo fix (minor change) mails nobody."""
    committed(release.approve, reviewer)
    work_the_queue()
    mailoutbox.clear()
    release.refresh_from_db()
    new_edition(release, writer, reviewer, committed)
    work_the_queue()
    assert mailoutbox == []


def test_new_edition_of_scheduled_item_sends_the_new_one_once(release, writer, reviewer, committed, work_the_queue, mailoutbox):
    """Edited while scheduled: the old edition's mail is cancelled, the new one goes at the time, once."""
    at = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    committed(release.approve, reviewer, publish_at=at)
    release.refresh_from_db()
    new_edition(release, writer, reviewer, committed)
    with time_machine.travel(at + timedelta(seconds=2), tick=False):
        work_the_queue()
    assert recipients(mailoutbox) == sorted(LIST)
    assert {mail.subject for mail in mailoutbox} == {"Ministers meet in Chișinău (corrected)"}


def test_advisory_mail_has_when_where_and_the_ics(writer, reviewer, journalists, committed, work_the_queue, mailoutbox):
    """An advisory's mail tells when and where in the event's zone and carries the .ics."""
    from datetime import date, time

    from releases.models import Advisory
    from tests.factories import make_advisory

    media_list, _ = journalists
    advisory = make_advisory(author=writer, title="Press conference", event_date=date(2030, 3, 5),
                             event_time=time(10, 30), time_zone="Europe/Chisinau", venue="Government House",
                             city="Chișinău")
    services.distribution_for(Advisory, advisory.document, create=True).media_lists.add(media_list)
    advisory.submit(writer)
    committed(advisory.approve, reviewer)
    work_the_queue()
    mail = mailoutbox[0]
    assert "When: Tuesday 5 March 2030, 10:30 EET" in mail.body
    assert "Where: Government House" in mail.body
    (name, content, mimetype), = mail.attachments
    assert name.endswith(".ics") and mimetype == "text/calendar"
    assert "SUMMARY:Press conference" in (content if isinstance(content, str) else content.decode())


def test_erasure_keeps_proof_without_the_address(release, reviewer, committed, work_the_queue):
    """After GDPR erasure the delivery row says 'sent' with a salted hash, not the address."""
    committed(release.approve, reviewer)
    work_the_queue()
    exported = personal_data.export("J1@press.example")
    assert exported["sections"]["deliveries"][0]["state"] == "sent"
    assert personal_data.erase("j1@press.example")["deliveries"] == "1 delivery anonymised"
    row = Delivery.objects.get(address_hash=Delivery.hash_address("j1@press.example"))
    assert (row.address, row.state) == ("", Delivery.State.SENT)
    assert not personal_data.export("j1@press.example")["sections"].get("deliveries")


def test_static_and_criteria_lists_write_each_member_once_but_the_suppressed(release, reviewer, journalists):
    """
    Two overlapping static lists and a criteria list: the approval writes one row per address on
    any of them, none for an address on a list that asked to stop, and none for a journalist on no list.
    """
    import subscriptions
    from tests.factories import make_source
    from tests.journalists.factories import make_journalist, make_list

    _, people = journalists
    nato = make_source("NATO")
    covering = make_journalist(email="beat@press.example", sources=[nato], languages=["en"])
    make_journalist(email="nobody@press.example")
    stopped = make_journalist(email="stopped@press.example")
    services.distribution_for(Release, release.document).media_lists.add(
        make_list(journalists=[people[0], stopped]), make_list(sources=[nato], languages=["en"]),
    )
    subscriptions.suppress("stopped@press.example", "unsubscribed")
    release.approve(reviewer)
    rows = Delivery.objects.filter(publication__object_id=release.pk, publication__kind=Publication.Kind.ORIGINAL)
    assert sorted(rows.values_list("address", flat=True)) == sorted(LIST | {covering.email})
    assert set(rows.values_list("via", "state").distinct()) == {(Delivery.Via.MEDIA_LIST, Delivery.State.QUEUED)}


def test_a_fresh_publications_plain_insert_still_refuses_a_second_row_for_an_address(release, reviewer):
    """
    The approval writes a new publication's rows without ON CONFLICT (nobody else can write into
    it): the unique constraint still holds, so copying the same recipients again fails instead of
    writing a second row per address, and leaves the rows as they were.
    """
    from django.db import IntegrityError, transaction

    release.approve(reviewer)
    publication = Publication.objects.get(object_id=release.pk, kind=Publication.Kind.ORIGINAL)
    (select, once), _ = services.recipients(release)  # the lists', then the subscribers'
    assert once
    with pytest.raises(IntegrityError), transaction.atomic():
        services.insert_select(publication, publication.due_at, select, fresh=True)
    assert services.insert_select(publication, publication.due_at, select) == 0  # the digest's way: skipped
    assert sorted(publication.deliveries.values_list("address", flat=True)) == sorted(LIST)


def test_mail_says_what_the_item_is_and_names_public_contacts_only(release, reviewer, committed, work_the_queue, mailoutbox):
    """A news story is called one in the mail as on its page (``kind_label``); an internal contact stays out."""
    from tests.factories import make_contact

    Release.objects.filter(pk=release.pk).update(category=Release.Category.NEWS)
    release.refresh_from_db()
    release.contacts.set([
        make_contact(release.source, "Press Office", email="press@office.example"),
        make_contact(release.source, "Night desk", is_public=False, email="desk@internal.example"),
    ])
    committed(release.approve, reviewer)
    work_the_queue()
    mail = mailoutbox[0]
    html = mail.alternatives[0].content
    assert f"{release.source.name} · News story" in mail.body and f"{release.source.name} · News story" in html
    assert "press@office.example" in mail.body and "press@office.example" in html
    assert "desk@internal.example" not in mail.body + html and "Night desk" not in mail.body + html
