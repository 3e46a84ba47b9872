"""
The daily digest: one mail a day per subscriber who chose it, at NEWSROOM_DIGEST_TIME in the
newsroom's zone, listing what became public since the digest before; never early, never twice,
nothing withdrawn, nothing the address was already mailed on its own, nobody who left.
"""
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import checks
from django.utils import timezone

from distribution import digest, services
from distribution.models import Delivery, Publication
from journalists import personal_data
from releases.models import Release
from subscriptions.models import Frequency, Kinds
from tests.factories import make_advisory, make_release, make_source
from tests.subscriptions.conftest import make_subscriber

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
#: Tuesday 7 November 2023, 10:00 in Brussels; the next digest is Wednesday 8 November, 08:00 CET.
TUESDAY = datetime(2023, 11, 7, 10, 0, tzinfo=BRUSSELS)
WEDNESDAY_DIGEST = datetime(2023, 11, 8, 8, 0, tzinfo=BRUSSELS)


@pytest.fixture
def nato(db):
    return make_source("NATO")


@pytest.fixture
def europol(db):
    return make_source("Europol")


@pytest.fixture
def publish_now(writer, reviewer, committed):
    """Submit and approve an item as the writer and the reviewer (publication now, or at ``publish_at``)."""
    def run(item, **approve):
        item.last_edited_by = writer
        item.save()
        item.submit(writer)
        committed(item.approve, reviewer, **approve)
        item.refresh_from_db()
        return item
    return run


def digest_mails(mailoutbox, address=None):
    return [mail for mail in mailoutbox if "daily digest" in mail.body and (address is None or mail.to == [address])]


def daily(email, **extra):
    return make_subscriber(email, frequency=Frequency.DAILY, **extra)


# --- when it is due -----------------------------------------------------------------------------

@pytest.mark.parametrize("published, due", [
    (datetime(2023, 11, 7, 10, 0, tzinfo=BRUSSELS), datetime(2023, 11, 8, 8, 0, tzinfo=BRUSSELS)),
    (datetime(2023, 11, 7, 7, 59, tzinfo=BRUSSELS), datetime(2023, 11, 7, 8, 0, tzinfo=BRUSSELS)),
    # Published at the digest time: in that digest (the window is (start, end]).
    (datetime(2023, 11, 7, 8, 0, tzinfo=BRUSSELS), datetime(2023, 11, 7, 8, 0, tzinfo=BRUSSELS)),
    # Across the night the clocks go back: 08:00 CEST one day, 08:00 CET the next (25 hours).
    (datetime(2023, 10, 28, 9, 0, tzinfo=BRUSSELS), datetime(2023, 10, 29, 8, 0, tzinfo=BRUSSELS)),
    # And forward: 08:00 CET, then 08:00 CEST (23 hours).
    (datetime(2024, 3, 30, 23, 0, tzinfo=BRUSSELS), datetime(2024, 3, 31, 8, 0, tzinfo=BRUSSELS)),
])
def test_an_item_goes_in_the_first_digest_at_or_after_its_publication(published, due):
    """The digest time is a wall time in the newsroom's zone, whatever the clocks do."""
    assert digest.due_for(published) == due
    start, end = digest.window(due)
    assert end == due and start < published <= end
    assert start == datetime.combine(due.date() - timedelta(days=1), due.timetz().replace(tzinfo=None), tzinfo=BRUSSELS)


def test_windows_tile_the_days_without_a_gap_or_an_overlap():
    """Each digest's window starts where the one before ended, across both clock changes of 2024."""
    day = date(2024, 3, 29)
    due = digest.digest_at(day)
    for _ in range(220):
        following = digest.digest_at(day + timedelta(days=1))
        assert digest.window(following)[0] == due
        day, due = day + timedelta(days=1), following


def test_an_unreadable_digest_time_stops_the_start(settings):
    """A typo in NEWSROOM_DIGEST_TIME is a system-check error, not a failure at the first digest."""
    settings.NEWSROOM_DIGEST_TIME = "8 o'clock"
    errors = [error for error in checks.run_checks() if error.id == "distribution.E001"]
    assert errors and "8 o'clock" in errors[0].msg
    settings.NEWSROOM_DIGEST_TIME = "07:30"
    assert not [error for error in checks.run_checks() if error.id == "distribution.E001"]


# --- one mail, at its time ------------------------------------------------------------------------

def test_a_days_items_go_in_one_mail_at_the_digest_time_and_not_before(
    nato, europol, publish_now, work_the_queue, mailoutbox,
):
    """Two items approved on Tuesday: one digest on Wednesday at 08:00, not a second before, never twice."""
    daily("ana@example.org")
    make_subscriber("now@example.org")  # immediate: mailed at once, never a digest
    with time_machine.travel(TUESDAY, tick=False):
        publish_now(make_release(source=nato, title="Ministers meet in Chișinău", summary="Allies agree a plan."))
    with time_machine.travel(TUESDAY + timedelta(hours=3), tick=False):
        publish_now(make_advisory(source=europol, title="Europol briefing on “Operation Novák”"))
        work_the_queue()
    assert [mail.to for mail in mailoutbox] == [["now@example.org"], ["now@example.org"]]
    assert Delivery.objects.filter(publication__kind=Publication.Kind.DIGEST).count() == 1  # one row, two items
    with time_machine.travel(WEDNESDAY_DIGEST - timedelta(seconds=1), tick=False):
        work_the_queue()
        assert services.send_publication(Publication.objects.get(kind=Publication.Kind.DIGEST).pk) == 0
    assert digest_mails(mailoutbox) == []
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(seconds=2), tick=False):
        work_the_queue()
        work_the_queue()
    [mail] = digest_mails(mailoutbox)
    assert mail.to == ["ana@example.org"]
    assert mail.subject == "Newsroom: 2 new items, Wed 8 Nov 2023"
    assert mail.body.index("Ministers meet in Chișinău") < mail.body.index("Europol briefing on “Operation Novák”")
    assert "Allies agree a plan." in mail.body and "published Tue 7 Nov 2023 10:00 CET" in mail.body
    assert "When: Tuesday 15 January 2030, 17:30 CET" in mail.body
    html = mail.alternatives[0].content
    assert "Ministers meet in Chișinău</a></h2>" in html and "Unsubscribe</a>" in html
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Unsubscribe: " in mail.body and "Manage your subscription: " in mail.body


def test_each_subscriber_reads_only_what_they_chose(nato, europol, publish_now, work_the_queue, mailoutbox):
    """Sources and kinds as the subscription says; someone with nothing that day gets no mail at all."""
    daily("nato-fan@example.org", sources=[nato])
    daily("advisories@example.org", kinds=Kinds.ADVISORIES)
    daily("europol-releases@example.org", sources=[europol], kinds=Kinds.RELEASES)
    with time_machine.travel(TUESDAY, tick=False):
        publish_now(make_release(source=nato, title="NATO release"))
        publish_now(make_advisory(source=europol, title="Europol advisory"))
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(seconds=2), tick=False):
        work_the_queue()
    by_address = {mail.to[0]: mail.body for mail in digest_mails(mailoutbox)}
    assert sorted(by_address) == ["advisories@example.org", "nato-fan@example.org"]
    assert "NATO release" in by_address["nato-fan@example.org"]
    assert "Europol advisory" not in by_address["nato-fan@example.org"]
    assert "Europol advisory" in by_address["advisories@example.org"]
    assert "NATO release" not in by_address["advisories@example.org"]


def test_an_item_scheduled_after_the_digest_waits_for_the_next_one(nato, publish_now, work_the_queue, mailoutbox):
    """Approved on Tuesday for Wednesday 17:30: not in Wednesday's digest (it wasn't public), in Thursday's."""
    daily("ana@example.org")
    at = datetime(2023, 11, 8, 17, 30, tzinfo=BRUSSELS)
    with time_machine.travel(TUESDAY, tick=False):
        publish_now(make_release(source=nato, title="Embargoed until Wednesday evening"), publish_at=at)
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(seconds=2), tick=False):
        work_the_queue()
    assert digest_mails(mailoutbox) == []
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(days=1, seconds=2), tick=False):
        work_the_queue()
    [mail] = digest_mails(mailoutbox)
    assert "Embargoed until Wednesday evening" in mail.body and "published Wed 8 Nov 2023 17:30 CET" in mail.body


def test_withdrawn_before_the_digest_is_not_listed(nato, publish_now, reviewer, committed, work_the_queue, mailoutbox):
    """Withdrawn during the day: not in the digest; with nothing else that day, nobody is mailed."""
    daily("ana@example.org")
    with time_machine.travel(TUESDAY, tick=False):
        item = publish_now(make_release(source=nato, title="Published by mistake"))
    with time_machine.travel(TUESDAY + timedelta(hours=1), tick=False):
        committed(item.withdraw, reviewer, "Sent too early.")
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(seconds=2), tick=False):
        work_the_queue()
    assert digest_mails(mailoutbox) == []
    row = Delivery.objects.get(publication__kind=Publication.Kind.DIGEST)
    assert row.state == Delivery.State.CANCELLED and "Nothing left to list" in row.last_error


def test_unsubscribed_before_the_digest_gets_nothing(nato, publish_now, work_the_queue, mailoutbox):
    """Leaving during the day cancels the day's digest; the unsubscribe suppresses the address."""
    import subscriptions.services

    subscriber = daily("ana@example.org")
    with time_machine.travel(TUESDAY, tick=False):
        publish_now(make_release(source=nato))
        subscriptions.services.unsubscribe(subscriber)
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(seconds=2), tick=False):
        work_the_queue()
    assert digest_mails(mailoutbox) == []
    assert Delivery.objects.get(publication__kind=Publication.Kind.DIGEST).state == Delivery.State.CANCELLED


def test_what_an_address_was_mailed_on_its_own_is_not_listed_again(
    nato, publish_now, journalists, work_the_queue, mailoutbox,
):
    """A journalist on the item's media list who also takes the digest reads that item once, the rest in the digest."""
    media_list, _ = journalists
    daily("j1@press.example")
    with time_machine.travel(TUESDAY, tick=False):
        listed = make_release(source=nato, title="Sent to the defence desk")
        services.distribution_for(Release, listed.document, create=True).media_lists.add(media_list)
        publish_now(listed)
        publish_now(make_release(source=nato, title="Only in the digest"))
        work_the_queue()
    assert [mail.subject for mail in mailoutbox if mail.to == ["j1@press.example"]] == ["Sent to the defence desk"]
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(seconds=2), tick=False):
        work_the_queue()
    [mail] = digest_mails(mailoutbox, "j1@press.example")
    assert "Only in the digest" in mail.body and "Sent to the defence desk" not in mail.body
    assert mail.subject == "Newsroom: 1 new item, Wed 8 Nov 2023"


def test_a_major_change_is_listed_as_updated_and_a_minor_one_not_at_all(
    nato, publish_now, writer, reviewer, committed, work_the_queue, mailoutbox,
):
    """The day after: a major change appears as "Updated:" with its note in the next digest; a minor one sends nothing."""
    daily("ana@example.org")
    with time_machine.travel(TUESDAY, tick=False):
        item = publish_now(make_release(source=nato, title="Ministers meet in Chișinău"))
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(seconds=2), tick=False):
        work_the_queue()
    assert len(digest_mails(mailoutbox)) == 1
    mailoutbox.clear()

    def new_edition(title, **approve):
        draft = Release.objects.published().get(document=item.document).start_new_draft(writer)
        draft.title = title
        draft.last_edited_by = writer
        draft.save()
        draft.submit(writer)
        committed(draft.approve, reviewer, **approve)

    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(hours=2), tick=False):
        new_edition("Ministers meet in Chișinău (typo fixed)")
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(days=1, seconds=2), tick=False):
        work_the_queue()
    assert digest_mails(mailoutbox) == []
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(days=1, hours=2), tick=False):
        new_edition("Ministers meet in Chișinău, not Tiraspol", major=True, note="Corrected the city.")
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(days=2, seconds=2), tick=False):
        work_the_queue()
    [mail] = digest_mails(mailoutbox)
    assert "Updated: Ministers meet in Chișinău, not Tiraspol" in mail.body
    assert "What changed: Corrected the city." in mail.body
    assert "updated Thu 9 Nov 2023 10:00 CET" in mail.body


def test_digest_deliveries_are_in_the_export_and_the_erasure(nato, publish_now, work_the_queue, mailoutbox):
    """GDPR: a digest mail is listed for its address, and erased to a keyed hash with the rest."""
    daily("ana@example.org")
    with time_machine.travel(TUESDAY, tick=False):
        publish_now(make_release(source=nato))
    with time_machine.travel(WEDNESDAY_DIGEST + timedelta(seconds=2), tick=False):
        work_the_queue()
    [exported] = personal_data.export("ana@example.org")["sections"]["deliveries"]
    assert exported["mailing"] == "Daily digest" and exported["state"] == "sent"
    assert exported["item"] == "daily digest of 2023-11-08T07:00:00+00:00"
    assert personal_data.erase("ana@example.org")["deliveries"] == "1 delivery anonymised"
    assert not Delivery.objects.filter(address="ana@example.org").exists()


def test_the_approving_request_writes_rows_not_mail(nato, publish_now, mailoutbox):
    """Many daily subscribers: the approval writes one row each into the day's digest, in its own transaction."""
    for n in range(50):
        daily(f"reader{n}@example.org")
    with time_machine.travel(TUESDAY, tick=False):
        publish_now(make_release(source=nato))
        publish_now(make_release(source=nato))
    publication = Publication.objects.get(kind=Publication.Kind.DIGEST)
    assert publication.due_at == WEDNESDAY_DIGEST.astimezone(dt_timezone.utc)
    assert publication.deliveries.count() == 50
    assert set(publication.deliveries.values_list("state", flat=True)) == {Delivery.State.QUEUED}
    assert digest_mails(mailoutbox) == []
    assert timezone.is_aware(publication.due_at)


@pytest.mark.postgres
def test_two_approvals_at_once_share_the_days_digest(transactional_db, nato, writer, reviewer, reviewer2, monkeypatch):
    """
    Two items approved at the same moment on two connections both write the same subscriber into the
    same digest: both approvals stand, and the digest holds one row (no unique-constraint error undoes one).
    """
    from tests.test_concurrency import in_thread, meet_before_announcing

    daily("ana@example.org")
    items = []
    for title in ("First", "Second"):
        item = make_release(source=nato, title=title, author=writer)
        item.submit(writer)
        items.append(item)
    meet_before_announcing(monkeypatch, timeout=2)  # both approvals reach the outbox before either commits
    runs = [
        in_thread(lambda pk, user: Release.objects.get(pk=pk).approve(user), item.pk, user)
        for item, user in zip(items, (reviewer, reviewer2))
    ]
    for thread, _ in runs:
        thread.join(15)
    assert [outcome for _, outcome in runs if "error" in outcome] == []
    assert Release.objects.published().count() == 2
    assert Publication.objects.filter(kind=Publication.Kind.DIGEST).count() == 1
    assert Delivery.objects.filter(publication__kind=Publication.Kind.DIGEST).count() == 1


def test_the_subscribe_form_says_when_the_digest_comes(client, settings):
    """The choice names the time and the place: a journalist in another zone can work it out."""
    settings.NEWSROOM_DIGEST_TIME = "07:30"
    assert "A daily digest, at 07:30 Brussels time" in client.get("/").content.decode()
