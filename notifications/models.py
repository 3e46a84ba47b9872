"""
The outbox of e-mail notifications: one row per (workflow move, event, recipient).

The row, not the queue, says whether a mail went out: a task claims its row
before sending and marks it sent after, so a task run twice (a retry, a
duplicate enqueue, a second worker) sends once. GOV.UK email-alert-api keeps
its deliveries the same way.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """What a notification tells, in the subject's words."""

    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Returned to draft")
    COMMENTED = "commented", _("New comment")
    APPROVED = "approved", _("Approved and published")
    SCHEDULED = "scheduled", _("Approved and scheduled")
    LIVE = "live", _("Now live")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UNSCHEDULED = "unscheduled", _("Scheduled publication cancelled")


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Not sent")

    transition = models.ForeignKey("releases.Transition", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20, choices=Event.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    #: Not before: the publication time for "now live", the next try after a failure.
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.EmailField(blank=True)
    #: The last failure, or why the notification was not sent.
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["transition", "event", "recipient"], name="notifications_once"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="notifications_due")]

    def __str__(self):
        return f"{self.get_event_display()} → {self.recipient} ({self.get_status_display().lower()})"


class NotificationPreference(models.Model):
    """What a member of staff wants to be told. Without a row, everything."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="notification_preference",
    )
    submitted_for_review = models.BooleanField(
        _("email me when an item is submitted for review"), default=True,
        help_text=_("For reviewers. Returns, comments and approvals of your own items are always sent."),
    )

    def __str__(self):
        return f"Notification preferences of {self.user}"

    @classmethod
    def wants(cls, user, event):
        if event != Event.SUBMITTED:
            return True
        return not cls.objects.filter(user=user, submitted_for_review=False).exists()
