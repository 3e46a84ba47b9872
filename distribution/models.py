"""
Who an item is sent to, and the outbox of its e-mails.

- ``Distribution``: the media lists chosen on an item (a document, across its
  editions), edited in the change form's panel.
- ``Publication``: one mailing of one edition: its first publication, an
  "Updated:" mail for a major change, or an embargoed pre-brief; due at the
  publication time (a pre-brief at once). Or one day's digest (``digest.py``),
  which names no edition: it lists what is public at its time.
- ``Delivery``: one row per (publication, address), written in the same
  transaction as the move that causes it (a transactional outbox, as GOV.UK's
  email-alert-api keeps it). The row, not the queue, says whether the mail went:
  workers claim rows before sending and mark them after, so running a task twice,
  or two workers at once, sends each row once.
"""
import hashlib
import hmac

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Distribution(models.Model):
    """The media lists an item goes to, kept per document so that every edition keeps them."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    document = models.UUIDField()
    media_lists = models.ManyToManyField("journalists.MediaList", blank=True, related_name="distributions")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["content_type", "document"], name="distribution_one_per_item")]

    def __str__(self):
        return f"Distribution of {self.content_type.model} {self.document}"


class Publication(models.Model):
    class Kind(models.TextChoices):
        ORIGINAL = "original", _("Publication")
        UPDATE = "update", _("Major update")
        PREBRIEF = "prebrief", _("Embargoed pre-brief")
        DIGEST = "digest", _("Daily digest")

    #: The edition mailed (its pk), and the document it belongs to; empty for a digest.
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    document = models.UUIDField(null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    #: Not before: the publication time (a pre-brief: when it was sent).
    due_at = models.DateTimeField()
    #: A pre-brief's links stop working at this time (the publication time).
    embargo_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("send_prebrief", "Can send an embargoed pre-brief")]
        constraints = [
            # A pre-brief may be sent more than once (to other lists); a publication or an update only once.
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind"], condition=~Q(kind="prebrief"),
                name="distribution_publication_once",
            ),
            # One digest per digest time: every item of that day writes its subscribers into it.
            models.UniqueConstraint(fields=["due_at"], condition=Q(kind="digest"), name="distribution_digest_once"),
            models.CheckConstraint(
                condition=Q(kind="digest") | Q(content_type__isnull=False, object_id__isnull=False,
                                               document__isnull=False, version__isnull=False),
                name="distribution_publication_names_its_edition",
            ),
        ]

    def __str__(self):
        if self.kind == self.Kind.DIGEST:
            return f"{self.get_kind_display()} of {self.due_at:%Y-%m-%d %H:%M} UTC"
        return f"{self.get_kind_display()} of {self.content_type.model} #{self.object_id} v{self.version}"

    def edition(self):
        if self.content_type is None:
            return None
        return self.content_type.model_class().objects.filter(pk=self.object_id).first()


class Delivery(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Via(models.TextChoices):
        MEDIA_LIST = "list", _("Media list")
        SUBSCRIPTION = "subscription", _("Subscription")

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="deliveries")
    #: Blanked when the address is erased (GDPR Art. 17); ``address_hash`` then proves "sent or not".
    address = models.EmailField(blank=True)
    address_hash = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=200, blank=True)
    via = models.CharField(max_length=12, choices=Via.choices, default=Via.MEDIA_LIST)
    #: The subscriber row for an unsubscribe link (subscriptions app), if any.
    subscriber_id = models.PositiveBigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    #: A pre-brief's personal link (random; the URL carries it signed), and its revocation.
    token = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "deliveries"
        # Few indexes, so that the approving request's INSERT of 10,000 rows stays quick: a worker's
        # claim finds a publication's rows through the unique index's leading column.
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "address"], condition=~Q(address=""), name="distribution_delivery_once",
            ),
        ]
        indexes = [
            models.Index(fields=["token"], condition=~Q(token=""), name="distribution_delivery_token"),
        ]

    def __str__(self):
        return f"{self.address or 'erased address'} ({self.get_state_display().lower()})"

    @staticmethod
    def hash_address(address):
        """A salted (keyed) hash: proves a delivery was this address's without keeping the address."""
        return hmac.new(settings.SECRET_KEY.encode(), f"distribution:{address}".encode(), hashlib.sha256).hexdigest()


class EmbargoOpening(models.Model):
    """Someone opened a pre-brief link: who (the delivery) and when."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="openings")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.delivery} opened at {self.at}"
