from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from journalists.models import normalise_email
from releases.models import Advisory, Source


def address_hash(email):
    """
    A keyed hash of an address (HMAC with the SECRET_KEY): enough to recognise it
    again, useless to anyone reading the table without the key.
    """
    return salted_hmac("subscriptions.suppression", normalise_email(email), algorithm="sha256").hexdigest()


class Kinds(models.TextChoices):
    RELEASES = "releases", gettext_lazy("Press releases")
    ADVISORIES = "advisories", gettext_lazy("Media advisories")
    BOTH = "both", gettext_lazy("Both")


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", gettext_lazy("As soon as they are published")
    DAILY = "daily", gettext_lazy("A daily digest")


def frequency_label(value):
    """A frequency as the form reads it; the digest says when it comes ("A daily digest, at 08:00 Brussels time")."""
    from django.conf import settings

    if value == Frequency.DAILY:
        from datetime import time

        from releases import localtime

        written = localtime.written_time(time.fromisoformat(settings.NEWSROOM_DIGEST_TIME))
        return _("%(digest)s, at %(time)s %(place)s time") % {
            "digest": Frequency.DAILY.label, "time": written, "place": localtime.zone_city()}
    return Frequency(value).label


class Subscriber(models.Model):
    """One address that confirmed a subscription; its subscriptions hang from it."""

    email = models.EmailField(max_length=254, unique=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_active(self):
        return self.confirmed_at is not None and self.unsubscribed_at is None


def suppressed(field):
    """An expression: the address in ``field`` (of the outer query) is suppressed, so never mailed."""
    return Exists(Suppression.objects.filter(email=OuterRef(field)))


class SubscriptionQuerySet(models.QuerySet):
    def active(self):
        """Of confirmed subscribers who have not left and whose address is not suppressed."""
        return self.filter(
            subscriber__confirmed_at__isnull=False, subscriber__unsubscribed_at__isnull=True,
        ).exclude(suppressed("subscriber__email"))

    def for_kind(self, kind):
        return self.filter(kinds__in=[kind, Kinds.BOTH])

    def for_source(self, source_id):
        """Those naming this source, and those naming none (every source)."""
        through = Subscription.sources.through.objects.filter(subscription=OuterRef("pk"))
        return self.filter(Q(~Exists(through)) | Q(Exists(through.filter(source_id=source_id))))

    def matching(self, edition, frequency=None):
        """
        The subscriptions mailed about ``edition`` (a release or an advisory): active, for its
        kind and its source, and mailed at once (or, with ``frequency=Frequency.DAILY``, in the
        daily digest). One query, whatever the number.
        """
        kind = Kinds.ADVISORIES if isinstance(edition, Advisory) else Kinds.RELEASES
        return (
            self.active().filter(frequency=frequency or Frequency.IMMEDIATE)
            .for_kind(kind).for_source(edition.source_id)
        )


class Subscription(models.Model):
    """What one subscriber asked for: sources (none = all), kinds and how often."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="subscriptions")
    sources = models.ManyToManyField(Source, blank=True, related_name="subscriptions")
    kinds = models.CharField(max_length=12, choices=Kinds.choices, default=Kinds.BOTH)
    frequency = models.CharField(max_length=12, choices=Frequency.choices, default=Frequency.IMMEDIATE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["subscriber", "created_at"]
        indexes = [models.Index(fields=["frequency", "kinds"])]

    def __str__(self):
        return f"{self.subscriber}: {self.describe()}"

    def describe(self):
        sources = ", ".join(source.name for source in self.sources.all()) or _("all sources")
        return _("%(kinds)s from %(sources)s, %(frequency)s") % {
            "kinds": self.get_kinds_display(), "sources": sources, "frequency": self.get_frequency_display().lower()}


class Suppression(models.Model):
    """
    An address never mailed again, by subscription or on a media list, until it subscribes
    afresh and confirms.
    After an erasure only the keyed hash stays (``email`` is empty), so the objection
    is still honoured without keeping the address.
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        ERASED = "erased", "Erased (GDPR)"

    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    address_hash = models.CharField(max_length=64, unique=True, editable=False)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.email or 'erased address'} ({self.get_reason_display().lower()})"

    def save(self, *args, **kwargs):
        if self.email:
            self.email = normalise_email(self.email)
            self.address_hash = address_hash(self.email)
        super().save(*args, **kwargs)

    @classmethod
    def holds(cls, email):
        return cls.objects.filter(address_hash=address_hash(email)).exists()
