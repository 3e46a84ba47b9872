"""
Notifications of the review loop, in this process: the workflow moves, the outbox
is written after the commit, the database queue's worker (``db_worker --batch``)
sends, and ``mail.outbox`` shows what each person received.
"""
import socket
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification, NotificationPreference
from notifications.tasks import deliver_notification
from releases.workflow import State
from tests.factories import make_advisory, make_release, make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def inbox(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def subjects(user):
    return [message.subject for message in inbox(user)]


def closed_port():
    """A port on this machine nothing listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_submission_is_mailed_to_each_reviewer_once_by_the_worker_not_the_request(staff, committed, work_the_queue):
    """Submitted: every reviewer gets one mail, sent by the worker; the writer who submitted gets none."""
    writer, writer2, reviewer, reviewer2 = staff
    release = make_release(title="Summit agenda", author=writer)
    committed(release.submit, writer, "Ready when you are")
    assert mail.outbox == []  # nothing is sent while the move is being made

    work_the_queue()

    assert subjects(reviewer) == ["[Newsroom] Submitted for review: “Summit agenda”"]
    assert subjects(reviewer2) == ["[Newsroom] Submitted for review: “Summit agenda”"]
    assert inbox(writer) == [] and inbox(writer2) == []
    body = inbox(reviewer)[0].body
    assert "Ana Popescu: Submit for review" in body
    assert "Ready when you are" in body
    assert f"http://127.0.0.1:8000/admin/releases/release/{release.pk}/change/" in body


def test_every_mail_has_a_plain_text_and_an_html_part_naming_item_action_comment_and_link(staff, committed, work_the_queue):
    """The HTML part says the same as the text: who did what to which item, the comment, the link to the form."""
    writer, _, reviewer, _ = staff
    advisory = make_advisory(title="Press conference <live>", author=writer)
    committed(advisory.submit, writer)
    committed(advisory.return_to_draft, reviewer, "Say where the cameras go & when.")
    work_the_queue()

    (message,) = inbox(writer)
    assert message.subject == "[Newsroom] Returned to draft: “Press conference <live>”"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Rita Chen</strong>: Return to draft" in html
    assert "Press conference &lt;live&gt;" in html
    assert "Say where the cameras go &amp; when." in html
    assert f'href="http://127.0.0.1:8000/admin/releases/advisory/{advisory.pk}/change/"' in html
    assert "Say where the cameras go & when." in message.body


def test_a_return_goes_to_the_author_with_the_reviewers_comment(staff, committed, work_the_queue):
    """Returned: the writer reads why; the reviewer who returned it is not told of their own move."""
    writer, _, reviewer, reviewer2 = staff
    release = make_release(title="Budget figures", author=writer)
    committed(release.submit, writer)
    work_the_queue()
    mail.outbox.clear()

    committed(release.return_to_draft, reviewer, "The second table doesn't add up.")
    work_the_queue()

    assert subjects(writer) == ["[Newsroom] Returned to draft: “Budget figures”"]
    assert "The second table doesn't add up." in inbox(writer)[0].body
    assert inbox(reviewer) == [] and inbox(reviewer2) == []


def test_a_comment_reaches_the_author_and_the_answer_reaches_who_asked(staff, committed, work_the_queue):
    """Commented: a reviewer's question goes to the writer; the writer's answer goes to that reviewer."""
    writer, _, reviewer, reviewer2 = staff
    release = make_release(title="Fisheries quota", author=writer)
    committed(release.submit, writer)
    work_the_queue()
    mail.outbox.clear()

    committed(release.add_comment, reviewer, "Is the 12% figure from the final report?")
    work_the_queue()
    assert subjects(writer) == ["[Newsroom] New comment: “Fisheries quota”"]
    assert "Is the 12% figure from the final report?" in inbox(writer)[0].body
    assert inbox(reviewer) == []
    mail.outbox.clear()

    committed(release.add_comment, writer, "Yes, page 4.")
    work_the_queue()
    assert subjects(reviewer) == ["[Newsroom] New comment: “Fisheries quota”"]
    assert "Yes, page 4." in inbox(reviewer)[0].body
    assert inbox(writer) == [] and inbox(reviewer2) == []


def test_an_approval_goes_to_the_author_and_the_last_editor(staff, committed, work_the_queue):
    """Approved: the one who wrote it and the one who edited it last each get one mail, with the public link."""
    writer, writer2, reviewer, reviewer2 = staff
    release = make_release(title="Harbour reopens", author=writer)
    release.title = "Harbour reopens on Monday"
    release.save_edit(writer2, release.revision, ["title"])
    committed(release.submit, writer2)
    work_the_queue()
    mail.outbox.clear()

    committed(release.approve, reviewer, "Good to go")
    work_the_queue()

    expected = ["[Newsroom] Approved and published: “Harbour reopens on Monday”"]
    assert subjects(writer) == expected and subjects(writer2) == expected
    assert inbox(reviewer) == [] and inbox(reviewer2) == []
    release.refresh_from_db()
    assert f"http://127.0.0.1:8000{release.get_absolute_url()}" in inbox(writer)[0].body


def test_a_scheduled_approval_mails_now_and_again_once_when_it_goes_live(staff, committed, work_the_queue):
    """Scheduled, then gone live: one mail at approval, one at the publication time, and never a second."""
    writer, _, reviewer, _ = staff
    with time_machine.travel(NOW, tick=False):
        release = make_release(title="Embargoed results", author=writer)
        committed(release.submit, writer)
        committed(release.approve, reviewer, publish_at=NOW + timedelta(hours=2))
        work_the_queue()
        assert subjects(writer) == ["[Newsroom] Approved and scheduled: “Embargoed results”"]
        assert "It goes live at 2 March 2026, 11:00 UTC." in inbox(writer)[0].body

    with time_machine.travel(NOW + timedelta(hours=1, minutes=59), tick=False):
        work_the_queue()
        assert len(inbox(writer)) == 1  # not before its time

    with time_machine.travel(NOW + timedelta(hours=2, minutes=1), tick=False):
        work_the_queue()
        work_the_queue()
        call_command("send_notifications", stdout=open("/dev/null", "w"))
        work_the_queue()
    assert subjects(writer) == [
        "[Newsroom] Approved and scheduled: “Embargoed results”",
        "[Newsroom] Now live: “Embargoed results”",
    ]
    assert subjects(reviewer) == ["[Newsroom] Submitted for review: “Embargoed results”"]


def test_an_unscheduled_item_never_says_it_went_live(staff, committed, work_the_queue):
    """A scheduled publication cancelled before its time: the author is told, and no "Now live" follows."""
    writer, _, reviewer, reviewer2 = staff
    with time_machine.travel(NOW, tick=False):
        release = make_release(title="Draft treaty", author=writer)
        committed(release.submit, writer)
        committed(release.approve, reviewer, publish_at=NOW + timedelta(hours=2))
        committed(release.unschedule, reviewer2, "Wait for the signature")
        work_the_queue()
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        work_the_queue()

    assert subjects(writer) == [
        "[Newsroom] Approved and scheduled: “Draft treaty”",
        "[Newsroom] Scheduled publication cancelled: “Draft treaty”",
    ]
    assert "Wait for the signature" in inbox(writer)[1].body
    live = Notification.objects.get(event="live", recipient=writer)
    assert live.status == Notification.Status.CANCELLED
    assert live.sent_at is None


def test_a_rescheduled_item_says_it_went_live_once_at_the_new_time(staff, committed, work_the_queue):
    """Unscheduled and approved again for later: only the last approval's "Now live" goes out, at its own time."""
    writer, _, reviewer, reviewer2 = staff
    with time_machine.travel(NOW, tick=False):
        release = make_release(title="Moved launch", author=writer)
        committed(release.submit, writer)
        committed(release.approve, reviewer, publish_at=NOW + timedelta(hours=1))
        committed(release.unschedule, reviewer2)
        committed(release.approve, reviewer, publish_at=NOW + timedelta(hours=3))
        work_the_queue()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        work_the_queue()
        assert "[Newsroom] Now live: “Moved launch”" not in subjects(writer)
    with time_machine.travel(NOW + timedelta(hours=4), tick=False):
        work_the_queue()
    assert subjects(writer).count("[Newsroom] Now live: “Moved launch”") == 1


def test_a_withdrawal_goes_to_the_author_with_the_public_reason(staff, committed, work_the_queue):
    """Withdrawn: the author reads the public reason."""
    writer, _, reviewer, reviewer2 = staff
    release = make_release(title="Wrong date", author=writer)
    committed(release.submit, writer)
    committed(release.approve, reviewer)
    work_the_queue()
    mail.outbox.clear()

    committed(release.withdraw, reviewer2, "Published by mistake.")
    work_the_queue()

    assert subjects(writer) == ["[Newsroom] Withdrawn: “Wrong date”"]
    assert "Public reason:\nPublished by mistake." in inbox(writer)[0].body
    assert inbox(reviewer2) == []


def test_a_task_run_twice_sends_once(staff, committed, work_the_queue):
    """A duplicate enqueue, a retry and a direct second run of the task: each notification is still sent once."""
    writer, _, reviewer, reviewer2 = staff
    release = make_release(title="Twice", author=writer)
    committed(release.submit, writer)
    pks = list(Notification.objects.values_list("pk", flat=True))
    for pk in pks:
        deliver_notification.enqueue(pk)
    work_the_queue()
    for pk in pks:
        assert deliver_notification.call(pk) == "sent"
    call_command("send_notifications", stdout=open("/dev/null", "w"))
    work_the_queue()

    assert len(inbox(reviewer)) == 1 and len(inbox(reviewer2)) == 1
    assert len(mail.outbox) == 2


def test_the_outbox_is_written_once_however_often_the_move_is_announced(staff, committed, work_the_queue):
    """The same announcement delivered twice adds no rows and no mails: one row per move, event and person."""
    from releases.signals import transition_recorded

    writer, _, reviewer, _ = staff
    release = make_release(title="Echo", author=writer)
    committed(release.submit, writer)
    transition = release.history().get(action="submit")
    committed(transition_recorded.send_robust, sender=type(release), transition=transition, edition=release)
    work_the_queue()

    assert Notification.objects.filter(transition=transition).count() == 2
    assert len(inbox(reviewer)) == 1


def test_a_reviewer_who_opted_out_gets_no_submissions_but_still_hears_about_their_own_items(
    staff, committed, work_the_queue, client,
):
    """Opting out on the preferences page stops "submitted" mails only; a return of one's own item still arrives."""
    writer, _, reviewer, reviewer2 = staff
    client.force_login(reviewer2)
    page = reverse("admin:notifications_notificationpreference_mine")
    assert client.get(page).status_code == 200
    response = client.post(page, {})  # the box unticked
    assert response.status_code == 302

    release = make_release(title="Opted out", author=reviewer2)
    committed(release.submit, writer)
    work_the_queue()
    assert subjects(reviewer) == ["[Newsroom] Submitted for review: “Opted out”"]
    assert inbox(reviewer2) == []

    committed(release.return_to_draft, reviewer, "Needs a quote")
    work_the_queue()
    assert subjects(reviewer2) == ["[Newsroom] Returned to draft: “Opted out”"]


def test_the_submission_mail_links_to_the_page_that_stops_it(staff, committed, work_the_queue, client):
    """The link in a submission mail opens the reader's own preferences, after logging in."""
    writer, _, reviewer, _ = staff
    release = make_release(title="Linked", author=writer)
    committed(release.submit, writer)
    work_the_queue()
    link = "http://127.0.0.1:8000/admin/notifications/notificationpreference/mine/"
    assert f"Stop these e-mails: {link}" in inbox(reviewer)[0].body

    path = link.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 302  # logged out: to the login page
    client.force_login(reviewer)
    response = client.get(path)
    assert response.status_code == 200
    assert "Email me when an item is submitted for review" in response.content.decode()


def test_the_preferences_page_changes_only_the_users_own_preferences(staff, client):
    """Posting the page as one reviewer leaves every other person's preferences as they were."""
    _, _, reviewer, reviewer2 = staff
    NotificationPreference.objects.create(user=reviewer, submitted_for_review=True)
    client.force_login(reviewer2)
    client.post(reverse("admin:notifications_notificationpreference_mine"), {"user": reviewer.pk})

    assert NotificationPreference.objects.get(user=reviewer).submitted_for_review is True
    assert NotificationPreference.objects.get(user=reviewer2).submitted_for_review is False
    # The list of everyone's preferences is for administrators only.
    assert client.get(reverse("admin:notifications_notificationpreference_changelist")).status_code == 403


def test_nobody_without_an_address_access_or_an_active_account_is_written_to(staff, committed, work_the_queue):
    """Inactive reviewers, reviewers without an address and people who lost access get nothing."""
    writer, _, reviewer, reviewer2 = staff
    make_user("reviewer-no-mail", group="Reviewers")
    make_user("reviewer-gone", group="Reviewers", email="gone@newsroom.example", is_active=False)
    make_user("press", group="Press office", email="press@newsroom.example")
    release = make_release(title="Few readers", author=writer)
    committed(release.submit, writer)
    reviewer2.groups.clear()  # moved on before the worker ran
    work_the_queue()

    assert [message.to for message in mail.outbox] == [[reviewer.email]]
    row = Notification.objects.get(recipient=reviewer2)
    assert row.status == Notification.Status.CANCELLED
    assert "no longer active staff" in row.last_error


def test_unicode_titles_and_comments_survive_subject_and_body(staff, committed, work_the_queue):
    """Chișinău and curly quotes arrive as written, in the subject header and both bodies."""
    writer, _, reviewer, _ = staff
    release = make_release(title="Summit in Chișinău: “a new chapter”", author=writer)
    committed(release.submit, writer, "Diacritics: ș, ț, ă — and ‘quotes’")
    work_the_queue()

    message = inbox(reviewer)[0].message()
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == "[Newsroom] Submitted for review: “Summit in Chișinău: “a new chapter””"
    text, html = [part.get_payload(decode=True).decode(part.get_content_charset()) for part in message.walk()
                  if part.get_content_maintype() == "text"]
    assert "Summit in Chișinău: “a new chapter”" in text and "Diacritics: ș, ț, ă — and ‘quotes’" in text
    assert "Summit in Chișinău: “a new chapter”" in html


def test_a_mail_server_failure_is_retried_then_recorded_and_shown_in_the_admin(
    staff, committed, work_the_queue, settings, admin_client,
):
    """SMTP refused: the move stands, the row is tried again later, then marked failed with the error in the admin."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.NEWSROOM_MAIL_ATTEMPTS, settings.NEWSROOM_MAIL_RETRY_SECONDS = 2, 60
    writer, _, reviewer, reviewer2 = staff
    reviewer2.groups.clear()
    with time_machine.travel(NOW, tick=False):
        release = make_release(title="Mail down", author=writer)
        committed(release.submit, writer)
        work_the_queue()
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW
    row = Notification.objects.get(recipient=reviewer)
    assert (row.status, row.attempts) == (Notification.Status.PENDING, 1)
    assert "ConnectionRefusedError" in row.last_error
    assert row.due_at == NOW + timedelta(seconds=60)

    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        work_the_queue()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.FAILED, 2)

    page = admin_client.get(reverse("admin:notifications_notification_changelist") + "?status=failed")
    assert page.status_code == 200
    assert "Failed" in page.content.decode() and "reviewer-1" in page.content.decode()
    detail = admin_client.get(reverse("admin:notifications_notification_change", args=[row.pk])).content.decode()
    assert "ConnectionRefusedError" in detail


def test_a_failed_notification_can_be_sent_again_from_the_admin(staff, committed, work_the_queue, settings, admin_client):
    """The admin's "send again" puts a failed row back in the queue, and it goes out once the mail server is back."""
    writer, _, reviewer, reviewer2 = staff
    reviewer2.groups.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.NEWSROOM_MAIL_ATTEMPTS = 1
    release = make_release(title="Second chance", author=writer)
    committed(release.submit, writer)
    work_the_queue()
    row = Notification.objects.get(recipient=reviewer)
    assert row.status == Notification.Status.FAILED

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    admin_client.post(
        reverse("admin:notifications_notification_changelist"),
        {"action": "send_again", "_selected_action": [row.pk]},
    )
    work_the_queue()
    assert subjects(reviewer) == ["[Newsroom] Submitted for review: “Second chance”"]


def test_an_unreachable_queue_neither_blocks_nor_undoes_the_move(staff, committed, work_the_queue, settings):
    """With the task queue down (RQ on a closed port), the submission still happens; the rows wait and go out later."""
    writer, _, reviewer, reviewer2 = staff
    database_queue = settings.TASKS
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{closed_port()}/0"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    release = make_release(title="Queue down", author=writer)
    committed(release.submit, writer)

    release.refresh_from_db()
    assert release.state == State.IN_REVIEW
    assert release.history().filter(action="submit").exists()
    assert Notification.objects.filter(status=Notification.Status.PENDING).count() == 2

    settings.TASKS = database_queue
    call_command("send_notifications", stdout=open("/dev/null", "w"))
    work_the_queue()
    assert len(inbox(reviewer)) == 1 and len(inbox(reviewer2)) == 1


@pytest.mark.parametrize("action", ["start_new_draft", "recall"])
def test_moves_nobody_needs_to_hear_about_send_nothing(staff, committed, work_the_queue, action):
    """Recalling a submission or starting a new draft mails nobody."""
    writer, _, reviewer, _ = staff
    release = make_release(title="Quiet", author=writer)
    committed(release.submit, writer)
    if action == "start_new_draft":
        committed(release.approve, reviewer)
    work_the_queue()
    mail.outbox.clear()

    committed(getattr(release, action), writer)
    work_the_queue()
    assert mail.outbox == []


def test_a_task_run_before_its_time_waits_for_it_and_sends_once(staff, committed, work_the_queue):
    """A "now live" task run early (a worker's clock ahead, a queue rounding the time) sends nothing yet, then once."""
    writer, _, reviewer, _ = staff
    with time_machine.travel(NOW, tick=False):
        release = make_release(title="Early bird", author=writer)
        committed(release.submit, writer)
        committed(release.approve, reviewer, publish_at=NOW + timedelta(hours=1))
        work_the_queue()
        live = Notification.objects.get(event="live")
        assert deliver_notification.call(live.pk) == "pending"
    with time_machine.travel(NOW + timedelta(hours=1, seconds=2), tick=False):
        work_the_queue()
    assert subjects(writer).count("[Newsroom] Now live: “Early bird”") == 1


def test_a_draft_deleted_before_the_mail_went_out_sends_nothing(staff, committed, work_the_queue):
    """Returned, then deleted by its writer before the worker ran: the return mail is dropped, not retried for ever."""
    writer, _, reviewer, _ = staff
    release = make_release(title="Gone", author=writer)
    committed(release.submit, writer)
    work_the_queue()
    mail.outbox.clear()
    committed(release.return_to_draft, reviewer, "Not needed after all")
    release.delete()
    work_the_queue()

    assert mail.outbox == []
    row = Notification.objects.get(event="returned")
    assert (row.status, row.last_error) == (Notification.Status.CANCELLED, "The item was deleted.")
