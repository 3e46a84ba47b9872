import re
import zoneinfo
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .workflow import Publishable, PublishableQuerySet, State, Transition  # noqa: F401  (re-exported)

HANDLE_RE = re.compile(r"@[A-Za-z0-9_]{1,30}")


def time_zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Source(models.Model):
    """The organisation that issues releases and advisories (NATO, Europol...)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    social_handles = models.CharField(
        max_length=300, blank=True,
        validators=[RegexValidator(r"^(\s*@[A-Za-z0-9_]{1,30})*\s*$", _("Enter handles such as @NATO @NATOPress."))],
        help_text=_("Handles on X and similar networks, separated by spaces: @NATO @NATOPress"),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("releases:source", kwargs={"slug": self.slug})

    @property
    def handles(self):
        return HANDLE_RE.findall(self.social_handles)


class Contact(models.Model):
    """A press contact: a person or an office. Internal contacts never reach the public."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        OFFICE = "office", _("Office")

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON)
    role = models.CharField(max_length=200, blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="contacts")
    email = models.EmailField(blank=True)
    phone = models.CharField(
        max_length=40, blank=True,
        validators=[RegexValidator(r"^\+?[0-9 ()./-]{5,}$", _("Enter a phone number such as +32 2 707 50 41."))],
    )
    is_public = models.BooleanField(
        _("public"), default=True, help_text=_("Shown on public pages. Untick for internal-only contacts."),
    )

    class Meta:
        ordering = ["source__name", "name"]
        constraints = [models.UniqueConstraint(fields=["source", "name"], name="releases_contact_unique_name")]

    def __str__(self):
        return f"{self.name} ({self.source})" if self.source_id else self.name


class Release(Publishable):
    """A press release or news story. Each row is one edition (see ``workflow``)."""

    class Category(models.TextChoices):
        PRESS_RELEASE = "press_release", _("Press release")
        NEWS = "news", _("News story")

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="releases")
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.PRESS_RELEASE)
    title = models.CharField(max_length=300)
    summary = models.TextField(
        blank=True, help_text=_("The teaser shown in lists and feeds. Kept exactly as written."),
    )
    body = models.TextField(
        blank=True,
        help_text=_(
            "Markdown: blank lines between paragraphs, '## ' for a heading, '- ' for a list item, "
            "'> ' for a quotation, [text](https://...) for a link."
        ),
    )
    body_html = models.TextField(blank=True, editable=False)
    original_url = models.URLField(
        _("original URL"), max_length=500, blank=True,
        help_text=_("Where the full text was first published, when this is a teaser."),
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="releases")

    rendered_fields = {"body": "body_html"}

    class Meta(Publishable.Meta):
        ordering = ["-published_at", "-pk"]
        permissions = [("publish_release", "Can approve, publish and withdraw releases")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("releases:release-detail", kwargs={"slug": self.slug})

    kind = "release"


class Advisory(Publishable):
    """
    A media advisory: an event the press may cover.

    Editors give the date, the local time (when known) and the event's time
    zone; ``starts_at`` is the aware instant derived from them, used for
    ordering and calendars. A time that the source didn't state stays empty
    and is flagged to editors rather than guessed.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="advisories")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True, help_text=_("The teaser shown in lists and feeds."))
    body = models.TextField(blank=True, help_text=Release._meta.get_field("body").help_text)
    body_html = models.TextField(blank=True, editable=False)
    event_date = models.DateField()
    event_time = models.TimeField(
        null=True, blank=True, help_text=_("Local time at the event. Leave empty when not yet announced."),
    )
    time_zone = models.CharField(max_length=64, choices=time_zone_choices, default="Europe/Brussels")
    starts_at = models.DateTimeField(editable=False, db_index=True)
    venue = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=120, blank=True)
    accreditation = models.TextField(blank=True, help_text=_("Who may attend and how to get accredited."))
    live_stream = models.TextField(blank=True, help_text=_("Where and whether the event is streamed."))
    video_download = models.TextField(blank=True, help_text=_("Where broadcasters can download footage."))
    transcript = models.TextField(blank=True, help_text=_("Where the transcript and pictures will appear."))
    follow_up = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The release published after the event; linked from the advisory once it is public."),
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="advisories")
    original_url = models.URLField(_("original URL"), max_length=500, blank=True)

    rendered_fields = {"body": "body_html"}
    copied_child_relations = ("programme",)
    kind = "advisory"

    class Meta(Publishable.Meta):
        ordering = ["-published_at", "-pk"]
        verbose_name_plural = "advisories"
        permissions = [("publish_advisory", "Can approve, publish and withdraw advisories")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("releases:advisory-detail", kwargs={"slug": self.slug})

    def clean(self):
        super().clean()
        if self.time_zone and self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError({"time_zone": _("Unknown time zone.")})

    def save(self, *args, **kwargs):
        self.starts_at = self.compute_starts_at()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "starts_at"}
        super().save(*args, **kwargs)

    def compute_starts_at(self):
        """The event's start as an aware instant; midnight local time when the time isn't known."""
        zone = zoneinfo.ZoneInfo(self.time_zone)
        return datetime.combine(self.event_date, self.event_time or time(0, 0), tzinfo=zone)

    @property
    def local_start(self):
        """The start in the event's own zone, whatever the server's zone is."""
        return self.starts_at.astimezone(zoneinfo.ZoneInfo(self.time_zone))

    @property
    def time_known(self):
        return self.event_time is not None

    @property
    def missing_details(self):
        """What an editor still has to fill in before this advisory is complete."""
        missing = []
        if self.event_time is None:
            missing.append(_("event time not stated"))
        if not self.venue and not self.city:
            missing.append(_("place not stated"))
        return missing

    @property
    def coverage(self):
        """The media-coverage notes that are filled in, as (label, text) pairs."""
        notes = [
            (_("Accreditation"), self.accreditation),
            (_("Live stream"), self.live_stream),
            (_("Video"), self.video_download),
            (_("Transcript and pictures"), self.transcript),
        ]
        return [(label, text) for label, text in notes if text]

    @property
    def location(self):
        return ", ".join(part for part in (self.venue, self.city, self.country) if part)

    def public_follow_up(self):
        """The follow-up release's public edition, if it is public."""
        if self.follow_up_id is None:
            return None
        return Release.objects.published().filter(document=self.follow_up.document).first()


class ProgrammeEntry(models.Model):
    """One timed entry of an advisory's programme, in the event's local time."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="programme")
    time = models.TimeField(help_text=_("Local time at the event."))
    description = models.CharField(max_length=500)

    class Meta:
        ordering = ["time", "pk"]
        verbose_name_plural = "programme entries"

    def __str__(self):
        return f"{self.time:%H:%M} {self.description}"
