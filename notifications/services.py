"""
Who is told what, and the sending.

A workflow move is announced once its transaction has committed
(``releases.signals.transition_recorded``). ``on_transition_recorded`` then
writes the outbox in a transaction of its own, one ``Notification`` per
recipient, and on commit enqueues one ``deliver_notification`` task per row.
Nothing here can reach back into the move: the signal is sent robustly after
the commit, and every failure is logged and left on the row for the admin.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from newsroom.tasks import enqueue_at
from releases.workflow import State, Transition

from .models import Event, Notification, NotificationPreference

logger = logging.getLogger(__name__)

#: A delivery claimed this long ago and never marked is taken to have died with its worker.
CLAIM_EXPIRES = timedelta(minutes=10)


# --- who is told -------------------------------------------------------------------------

def event_for(transition, edition):
    """The event a recorded move is, for the mails, or None for moves nobody is told of."""
    if transition.action == "approve":
        scheduled = edition.published_at is not None and edition.published_at > transition.at
        return Event.SCHEDULED if scheduled else Event.APPROVED
    return {
        "submit": Event.SUBMITTED,
        "return_to_draft": Event.RETURNED,
        Transition.COMMENT: Event.COMMENTED,
        "withdraw": Event.WITHDRAWN,
        "unschedule": Event.UNSCHEDULED,
    }.get(transition.action)


def may_read(user, model):
    """Staff who may still work on items of this kind (a writer or a reviewer), with an address to write to."""
    return (
        user.is_active and user.is_staff and bool(user.email)
        and (user.has_perm(model.change_permission()) or user.has_perm(model.publish_permission()))
    )


def reviewers(model):
    """Active staff who may approve items of this kind: by their groups, their own permissions, or as superusers."""
    return get_user_model().objects.with_perm(
        model.publish_permission(), is_active=True, backend="django.contrib.auth.backends.ModelBackend",
    ).filter(is_staff=True)


def recipients(event, transition, edition):
    """
    The people told of ``event``, never the one who did it: the reviewers for a
    submission (but those who opted out); the authors (creator, last editor,
    submitters) for the rest; for a comment, also whoever took part in this
    version's conversation, so that an answer reaches the one who asked.
    """
    model = type(edition)
    if event == Event.SUBMITTED:
        people = list(reviewers(model))
    else:
        ids = set(edition.authors())
        if event == Event.COMMENTED:
            ids |= set(
                edition.history().filter(object_id=edition.pk).exclude(actor=None).values_list("actor", flat=True)
            )
        people = list(get_user_model().objects.filter(pk__in=ids))
    return [
        user for user in people
        if user.pk != transition.actor_id and may_read(user, model) and NotificationPreference.wants(user, event)
    ]


# --- the outbox --------------------------------------------------------------------------

def on_transition_recorded(sender, transition, edition, **kwargs):
    """Receiver of ``transition_recorded``: write the outbox and enqueue its deliveries; never raise."""
    try:
        record(transition, edition)
    except Exception:
        logger.exception("Could not write the notifications of transition %s", transition.pk)


def record(transition, edition):
    """Write one row per recipient of the move (once, however often called) and enqueue them on commit."""
    event = event_for(transition, edition)
    if event is None:
        return []
    people = recipients(event, transition, edition)
    rows = [Notification(transition=transition, event=event, recipient=user, due_at=timezone.now()) for user in people]
    if event == Event.SCHEDULED:
        rows += [
            Notification(transition=transition, event=Event.LIVE, recipient=user, due_at=edition.published_at)
            for user in people
        ]
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        pending = list(
            Notification.objects.filter(transition=transition, status=Notification.Status.PENDING)
            .values_list("pk", "due_at")
        )
        transaction.on_commit(lambda: enqueue(pending))
    return [pk for pk, _ in pending]


def enqueue(pending):
    """Enqueue a delivery task per (notification id, due time); an enqueue error is logged, the row stays pending."""
    from .tasks import deliver_notification

    for pk, due_at in pending:
        try:
            enqueue_at(deliver_notification, due_at, pk)
        except Exception:
            logger.exception("Could not enqueue notification %s; `manage.py send_notifications` retries it", pk)


def enqueue_pending():
    """Enqueue every notification waiting to go out, and those whose worker died while sending."""
    now = timezone.now()
    pending = list(
        Notification.objects.filter(
            Q(status=Notification.Status.PENDING)
            | Q(status=Notification.Status.SENDING, claimed_at__lt=now - CLAIM_EXPIRES)
        ).values_list("pk", "due_at")
    )
    enqueue(pending)
    return len(pending)


# --- the sending ---------------------------------------------------------------------------

def claim(pk):
    """
    Take the notification for this worker, if it is due and nobody sent or holds it.
    One conditional UPDATE: on PostgreSQL a second claimer waits for the row lock and then
    finds the status changed; on SQLite writers queue for the database lock. Either way
    exactly one of them gets a row count of 1.
    """
    now = timezone.now()
    return Notification.objects.filter(
        Q(status=Notification.Status.PENDING)
        | Q(status=Notification.Status.SENDING, claimed_at__lt=now - CLAIM_EXPIRES),
        pk=pk, due_at__lte=now,
    ).update(status=Notification.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1) == 1


def deliver(pk):
    """Send notification ``pk`` if it is still due and wanted; returns its status afterwards."""
    if not claim(pk):
        status, due_at = Notification.objects.filter(pk=pk).values_list("status", "due_at").first() or (None, None)
        if status == Notification.Status.PENDING and due_at > timezone.now():
            # Run early (a clock ahead of the one that set the time): wait for the due time again.
            enqueue([(pk, due_at)])
        return status
    notification = Notification.objects.select_related("transition__content_type", "recipient").get(pk=pk)
    transition = notification.transition
    edition = transition.content_type.model_class().objects.filter(pk=transition.object_id).first()
    reason = why_not(notification, edition) if edition is not None else "The item was deleted."
    if reason:
        return finish(notification, Notification.Status.CANCELLED, last_error=reason)
    try:
        message(notification, edition).send()
    except Exception as error:
        return failed(notification, error)
    return finish(notification, Notification.Status.SENT, sent_at=timezone.now(), sent_to=notification.recipient.email)


def why_not(notification, edition):
    """Why a claimed notification should no longer go out, or "" when it should."""
    user = notification.recipient
    if not may_read(user, type(edition)):
        return "The recipient is no longer active staff with access to this item, or has no e-mail address."
    if not NotificationPreference.wants(user, notification.event):
        return "The recipient opted out of these notifications."
    if notification.event == Event.LIVE:
        latest_approval = (
            Transition.objects.filter(
                content_type=notification.transition.content_type, object_id=edition.pk, action="approve",
            ).order_by("-at", "-pk").values_list("pk", flat=True).first()
        )
        if latest_approval != notification.transition_id or not edition.is_public:
            return "The scheduled publication was cancelled or moved before it was due."
    return ""


def finish(notification, status, **fields):
    Notification.objects.filter(pk=notification.pk).update(status=status, **fields)
    return status


def failed(notification, error):
    """Record the failure on the row; try again later, doubling the wait, until the attempts run out."""
    text = f"{type(error).__name__}: {error}"
    if notification.attempts >= settings.NEWSROOM_MAIL_ATTEMPTS:
        logger.error("Notification %s failed for good after %s attempts: %s", notification.pk, notification.attempts, text)
        return finish(notification, Notification.Status.FAILED, last_error=text)
    wait = timedelta(seconds=settings.NEWSROOM_MAIL_RETRY_SECONDS * 2 ** (notification.attempts - 1))
    due_at = timezone.now() + wait
    logger.warning("Notification %s failed (attempt %s), next try at %s: %s", notification.pk, notification.attempts, due_at, text)
    finish(notification, Notification.Status.PENDING, last_error=text, due_at=due_at)
    enqueue([(notification.pk, due_at)])
    return Notification.Status.PENDING


# --- the mail -----------------------------------------------------------------------------

def one_line(text):
    return " ".join(str(text).split())


def absolute(path):
    return settings.NEWSROOM_BASE_URL + path


def context(notification, edition):
    transition = notification.transition
    actor = transition.actor
    meta = type(edition)._meta
    event = Event(notification.event)
    preferences = None
    if event == Event.SUBMITTED:
        preferences = absolute(reverse("admin:notifications_notificationpreference_mine"))
    public_url = None
    if event in (Event.APPROVED, Event.SCHEDULED, Event.LIVE) and edition.state == State.PUBLISHED:
        public_url = absolute(edition.get_absolute_url())
    return {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "event": event,
        "event_label": event.label,
        "action_label": transition.label,
        "title": one_line(edition.title),
        "kind": meta.verbose_name,
        "kinds": meta.verbose_name_plural,
        "version": edition.version,
        "actor": one_line(actor.get_full_name() or actor.get_username()) if actor else "An import",
        "at": timezone.localtime(transition.at),
        "published_at": timezone.localtime(edition.published_at) if edition.published_at else None,
        "comment": transition.comment,
        "change_url": absolute(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[edition.pk])),
        "public_url": public_url,
        "preferences_url": preferences,
        "recipient": notification.recipient,
    }


def message(notification, edition):
    data = context(notification, edition)
    subject = one_line(f"[{data['site_name']}] {data['event_label']}: “{data['title']}”")
    mail = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email.txt", data),
        to=[notification.recipient.email],
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    mail.attach_alternative(render_to_string("notifications/email.html", data), "text/html")
    return mail
