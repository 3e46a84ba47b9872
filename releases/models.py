import re
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import global_settings, settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from . import documents, languages, pictures, public
from .translations import Translation  # noqa: F401  (a model of this app)
from .workflow import LIVE_STATES, Publishable, PublishableQuerySet, State, Transition  # noqa: F401  (re-exported)

HANDLE_RE = re.compile(r"@[A-Za-z0-9_]{1,30}")
#: Where a handle's profile is: the network the handles are on (Source.social_handles' help text).
PROFILE_URL = "https://x.com/{name}"
#: How a teaser's summary ends: the source cut the text and the rest is on its own website.
TEASER_END = "…"
#: The dates an advisory's event may have: wide enough for any archive and any plan, narrow
#: enough that every time zone, calendar and database can represent the event's start and end.
EVENT_DATE_MIN = date(1900, 1, 1)
EVENT_DATE_MAX = date(2199, 12, 31)
#: How long a timed event lasts unless its advisory says otherwise.
EVENT_DURATION = timedelta(hours=1)


class EventStatus(models.TextChoices):
    """Where an event stands, on the calendar of its own zone: readers see it beside the event."""

    UPCOMING = "upcoming", _("Upcoming")
    TODAY = "today", _("Today")
    PAST = "past", _("Past")


def event_status(event_date, time_zone, now=None):
    """Upcoming, today or past: an event's date against today's date in the event's own zone."""
    today = timezone.localdate(now or timezone.now(), zoneinfo.ZoneInfo(time_zone))
    if event_date > today:
        return EventStatus.UPCOMING
    return EventStatus.TODAY if event_date == today else EventStatus.PAST


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
    #: Moves the public pages' validators when a source's name, logo or handles change (see caching).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("releases:source", kwargs={"slug": self.slug})

    @property
    def handles(self):
        return HANDLE_RE.findall(self.social_handles)

    @property
    def profiles(self):
        """Each handle with its profile's address, built only from what ``HANDLE_RE`` lets through."""
        return [(handle, PROFILE_URL.format(name=handle[1:])) for handle in self.handles]

    def save(self, *args, **kwargs):
        # Pages naming the source (its logo too: the admin saves the source with its logo) are sent again.
        with transaction.atomic():
            super().save(*args, **kwargs)
            public.changed(keys=self.public_keys())

    def public_keys(self):
        """The surrogate keys of the pages showing this source (see ``releases/public.py``)."""
        return {public.LISTS, public.source_key(self.pk)}

    def delete(self, *args, **kwargs):
        # Through Picture.delete(), so the logo's files go too (a database cascade would leave them).
        with transaction.atomic():
            for logo in Picture.objects.filter(source=self):
                logo.delete()
            keys = self.public_keys()
            result = super().delete(*args, **kwargs)
            public.changed(keys=keys)
            return result


class ContactQuerySet(models.QuerySet):
    def public(self):
        """THE definition of a public contact: every public page, vCard and feed starts here."""
        return self.filter(is_public=True)


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
        _("public"), default=False,
        help_text=_(
            "Tick to show this contact's name, role, e-mail and phone to anyone, on the public page of every "
            "release and advisory it is attached to, and in their feeds. Left unticked, the contact is "
            "internal: the newsroom sees it, the public never does."
        ),
    )
    #: Moves the public pages' validators when a contact changes or stops being public (see caching).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["source__name", "name"]
        constraints = [models.UniqueConstraint(fields=["source", "name"], name="releases_contact_unique_name")]

    def __str__(self):
        label = f"{self.name} ({self.source})" if self.source_id else self.name
        # How the admin's contact pickers list it: a writer sees at once which ones the public won't.
        return label if self.is_public else f"{label} — {_('internal')}"

    @property
    def phone_uri(self):
        """The number as a ``tel:`` URI wants it: digits and a leading "+", no visual separators."""
        return re.sub(r"[^0-9+]", "", self.phone)

    def get_absolute_url(self):
        """The contact's vCard (public contacts only; see ``views.contact_vcard``)."""
        return reverse("releases:contact-vcard", kwargs={"pk": self.pk})

    def save(self, *args, **kwargs):
        # A contact no longer public must leave the pages now, in every cache that holds them.
        with transaction.atomic():
            super().save(*args, **kwargs)
            public.changed(keys=self.public_keys())

    def public_keys(self):
        """The surrogate keys of the pages showing this contact (see ``releases/public.py``)."""
        return {public.LISTS, public.contact_key(self.pk)}

    def delete(self, *args, **kwargs):
        # A deletion leaves no newer ``updated_at`` behind: announce it. (A bulk queryset.delete()
        # bypasses this: the admin's bulk action must delete one by one.)
        with transaction.atomic():
            keys = self.public_keys()
            result = super().delete(*args, **kwargs)
            public.changed(keys=keys)
            return result


class HasContacts:
    """Releases and advisories name press contacts; the internal ones never reach the public."""

    def internal_contacts(self):
        """The attached contacts the public page leaves out (shown as a notice in the staff preview)."""
        # From Contact itself: the public views prefetch only the public contacts into ``self.contacts``.
        return Contact.objects.filter(**{type(self).contacts.field.related_query_name(): self}, is_public=False)


class Topic(TagBase):
    """
    A subject the newsroom files items under ("Cyber defence", "Coopération"),
    from a list the press office curates; writers only pick from it. A topic
    has a public page and feeds listing what is published under it.
    """

    description = models.TextField(blank=True, help_text=_("Shown at the top of the topic's public page."))
    #: The sitemap's lastmod of the topic's page (its saves and deletions call ``public_changed``).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def get_absolute_url(self):
        return reverse("releases:topic", kwargs={"slug": self.slug})

    def slugify(self, tag, i=None):
        # "Coopération" → "cooperation", "Chișinău" → "chisinau": addresses anyone can type; a name
        # with no Latin letters at all keeps its own ("безопасность"), rather than an empty slug.
        slug = slugify(tag) or slugify(tag, allow_unicode=True)
        return slug if i is None else f"{slug}-{i}"

    def save(self, *args, **kwargs):
        from .caching import public_changed  # caching reads these models, so it is imported late

        with transaction.atomic():
            super().save(*args, **kwargs)
            public_changed()

    def delete(self, *args, **kwargs):
        from .caching import public_changed

        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            public_changed()
            return result


class TaggedEdition(TaggedItemBase):
    """
    One edition filed under one topic (django-taggit's through row, one table per model).

    ``public_since`` and ``source`` copy the edition's publication time (while it
    is PUBLISHED; empty otherwise) and source, so that "the newest public items on
    this topic" (related items, topic pages) is read from the end of one index on
    this table, however many items the topic holds. ``HasTopics`` keeps the copy
    in line at every workflow move; ``save`` fills it when the row is written.
    """

    tag = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="%(class)s_items")
    public_since = models.DateTimeField(null=True, editable=False)
    source = models.ForeignKey(Source, null=True, on_delete=models.CASCADE, related_name="+", editable=False)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="%(app_label)s_%(class)s_once"),
        ]
        indexes = [
            models.Index(
                fields=["tag", "-public_since", "-content_object"], condition=Q(public_since__isnull=False),
                name="%(class)s_newest",
            ),
            models.Index(
                fields=["tag", "source", "-public_since", "-content_object"], condition=Q(public_since__isnull=False),
                name="%(class)s_by_source",
            ),
        ]

    @staticmethod
    def copied_from(edition):
        return {
            "public_since": edition.published_at if edition.state == State.PUBLISHED else None,
            "source_id": edition.source_id,
        }

    def save(self, *args, **kwargs):
        for name, value in self.copied_from(self.content_object).items():
            setattr(self, name, value)
        super().save(*args, **kwargs)


class HasTopics:
    """Releases and advisories are filed under topics (``topics``, a django-taggit manager)."""

    def _save_workflow(self, *fields):
        # Every move that changes the state or the publication time comes through here.
        super()._save_workflow(*fields)
        self.topics.through.objects.filter(content_object=self).update(**TaggedEdition.copied_from(self))

    def related(self):
        """The published items sharing a topic with this one (a few): see ``topics.related_items``."""
        from .topics import related_items  # topics reads these models, so it is imported late

        return related_items(self)


class Teaser:
    """
    Releases and advisories may be teasers (Europol's style): the summary stops with "…" and
    the full text is on the source's website, at ``original_url``.
    """

    @property
    def is_teaser(self):
        return self.summary.rstrip().endswith(TEASER_END)

    @property
    def teaser_without_url(self):
        """A teaser whose full text the page can't point to: the admin asks the editor for the URL."""
        return self.is_teaser and not self.original_url


def lead_picture_of(pictures):
    """The lead picture among an edition's ``pictures`` (in their order): the first marked as lead, or None."""
    return next((picture for picture in pictures if picture.is_lead), None)


class Illustrated:
    """
    Releases and advisories carry pictures: an optional lead picture and a gallery.

    The public views prefetch ``pictures``, so these read no more rows.
    """

    @property
    def lead_picture(self):
        return lead_picture_of(self.pictures.all())

    @property
    def gallery(self):
        return [picture for picture in self.pictures.all() if not picture.is_lead]

    @property
    def media_kit_url(self):
        """"Download all": the pictures' originals and the documents in one ZIP (see ``views.media_kit``)."""
        return reverse(f"releases:{self.kind}-media-kit", kwargs={"slug": self.slug})

    def delete(self, *args, **kwargs):
        # One by one, so each picture and document removes its files when no other edition shares them.
        with transaction.atomic():
            for attached in [*self.pictures.all(), *self.documents.all()]:
                attached.delete()
            return super().delete(*args, **kwargs)


class TaggedRelease(TaggedEdition):
    content_object = models.ForeignKey("Release", on_delete=models.CASCADE, related_name="tagged_topics")

    class Meta(TaggedEdition.Meta):
        pass


class TaggedAdvisory(TaggedEdition):
    content_object = models.ForeignKey("Advisory", on_delete=models.CASCADE, related_name="tagged_topics")

    class Meta(TaggedEdition.Meta):
        verbose_name_plural = "tagged advisories"


TOPICS_HELP = _("Pick from the press office's list of topics; the press office adds new ones.")


class Release(HasContacts, Teaser, Illustrated, HasTopics, Publishable):
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
            "The text of the page. Paste it from Word or Google Docs, or type it; the toolbar sets headings, "
            "bold, italic, lists, quotations and links. Colours, fonts and pictures are left out: add pictures below."
        ),
    )
    body_html = models.TextField(blank=True, editable=False)
    original_url = models.URLField(
        _("original URL"), max_length=500, blank=True,
        help_text=_("Where the full text was first published, when this is a teaser."),
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="releases")
    topics = TaggableManager(
        _("topics"), to=Topic, through=TaggedRelease, blank=True, help_text=TOPICS_HELP, related_name="releases",
    )

    rendered_fields = {"body": "body_html"}
    copied_child_relations = ("pictures", "documents")
    kind = "release"

    class Meta(Publishable.Meta):
        ordering = ["-published_at", "-pk"]
        permissions = [("publish_release", "Can approve, publish and withdraw releases")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return languages.reverse_in(self.language, "releases:release-detail", kwargs={"slug": self.slug})

    @property
    def kind_label(self):
        """
        THE name of what the item is ("Press release", "News story"), said the same way on its
        page, in lists, related items, feeds, the calendar, withdrawal notices and e-mails.
        """
        return self.get_category_display()


class Advisory(HasContacts, Teaser, Illustrated, HasTopics, Publishable):
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
    event_date = models.DateField(
        validators=[
            MinValueValidator(EVENT_DATE_MIN, _("Give a date in or after %(limit_value)s.")),
            MaxValueValidator(EVENT_DATE_MAX, _("Give a date in or before %(limit_value)s.")),
        ],
    )
    event_time = models.TimeField(
        null=True, blank=True, help_text=_("Local time at the event. Leave empty when not yet announced."),
    )
    time_zone = models.CharField(max_length=64, choices=time_zone_choices, default="Europe/Brussels")
    duration = models.DurationField(
        default=EVENT_DURATION,
        validators=[
            MinValueValidator(timedelta(minutes=1), _("An event lasts at least a minute.")),
            MaxValueValidator(timedelta(days=14), _("An event lasts at most 14 days.")),
        ],
        help_text=_(
            "How long the event lasts from its start time, as hours:minutes:seconds (1:30:00 for an hour and a "
            "half): the end calendars show. Not used while the time is not stated (the event takes the whole day)."
        ),
    )
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
    topics = TaggableManager(
        _("topics"), to=Topic, through=TaggedAdvisory, blank=True, help_text=TOPICS_HELP, related_name="advisories",
    )
    original_url = models.URLField(_("original URL"), max_length=500, blank=True)

    rendered_fields = {"body": "body_html"}
    copied_child_relations = ("programme", "pictures", "documents")
    #: A duplicate is a new event: last time's follow-up release isn't its follow-up.
    fields_not_duplicated = ("follow_up",)
    kind = "advisory"

    class Meta(Publishable.Meta):
        ordering = ["-published_at", "-pk"]
        verbose_name_plural = "advisories"
        permissions = [("publish_advisory", "Can approve, publish and withdraw advisories")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return languages.reverse_in(self.language, "releases:advisory-detail", kwargs={"slug": self.slug})

    @property
    def kind_label(self):
        """THE name of what the item is: see ``Release.kind_label``."""
        return _("Media advisory")

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

    def event_status(self, now=None):
        """Upcoming, today or past: the event's date against today's date in the event's own zone."""
        return event_status(self.event_date, self.time_zone, now)

    @property
    def is_past(self):
        return self.event_status() == EventStatus.PAST

    def status_changes(self):
        """The two moments the status changes: the event's day starts, and ends, in its zone."""
        zone = zoneinfo.ZoneInfo(self.time_zone)
        start = datetime.combine(self.event_date, time(0, 0), tzinfo=zone)
        try:
            end = datetime.combine(self.event_date + timedelta(days=1), time(0, 0), tzinfo=zone)
        except OverflowError:
            end = None
        return start, end

    @property
    def local_end(self):
        """A timed event's end in its own zone (start plus duration); None while the time isn't stated."""
        if not self.time_known:
            return None
        try:
            return (self.starts_at + self.duration).astimezone(zoneinfo.ZoneInfo(self.time_zone))
        except OverflowError:  # a row stored before the date bounds (year 9999) has no representable end
            return None

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

    @cached_property
    def public_follow_up(self):
        """The follow-up release's public edition, if it is public (read once per request: the page and its body's key)."""
        if self.follow_up_id is None:
            return None
        # One query: the follow-up's document read inside it, not fetched first.
        document = Release.objects.filter(pk=self.follow_up_id).values("document")
        return Release.objects.published().filter(document__in=document).first()


class AdvisoryTemplate(models.Model):
    """
    The starting point of a recurring advisory (the weekly briefing, the monthly
    meeting): its text, place, usual time, coverage notes, contacts and programme.

    A template is not an advisory and never enters the workflow: no state, no
    address, nothing any public page, feed or search reads. "New advisory from
    template" prefills the advisory form with it; the advisory is then written
    and reviewed like any other.
    """

    #: The advisory fields a template keeps (the date and the address belong to each event).
    ADVISORY_FIELDS = (
        "source", "title", "summary", "body", "event_time", "time_zone", "venue", "city", "country",
        "accreditation", "live_stream", "video_download", "transcript", "original_url",
    )

    name = models.CharField(
        max_length=200, unique=True, help_text=_("What the newsroom calls it, e.g. “Weekly press briefing”."),
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    event_time = models.TimeField(null=True, blank=True, help_text=_("The usual local start time, if there is one."))
    time_zone = models.CharField(max_length=64, choices=time_zone_choices, default="Europe/Brussels")
    venue = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=120, blank=True)
    accreditation = models.TextField(blank=True)
    live_stream = models.TextField(blank=True)
    video_download = models.TextField(blank=True)
    transcript = models.TextField(blank=True)
    original_url = models.URLField(_("original URL"), max_length=500, blank=True)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="+")
    #: The programme as [{"time": "HH:MM", "description": …}], copied into each new advisory's programme.
    programme = models.JSONField(default=list, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def from_advisory(cls, advisory, name, user):
        """Save ``advisory``'s recurring parts as a template called ``name``."""
        with transaction.atomic():
            template = cls.objects.create(
                name=name, created_by=user, **{field: getattr(advisory, field) for field in cls.ADVISORY_FIELDS},
                programme=[
                    {"time": f"{entry.time:%H:%M}", "description": entry.description} for entry in advisory.programme.all()
                ],
            )
            template.contacts.set(advisory.contacts.all())
        return template

    def initial(self):
        """The advisory add form's initial data: every kept field, and the contacts."""
        data = {field: getattr(self, field) for field in self.ADVISORY_FIELDS}
        data["source"] = self.source_id
        data["contacts"] = list(self.contacts.values_list("pk", flat=True))
        return data


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


class AttachmentQuerySet(models.QuerySet):
    """Files attached to editions (pictures, documents): public exactly when their edition is."""

    #: Rows public whatever their edition (a source's logo, for pictures).
    always_public = None

    def _with_always_public(self, condition):
        return condition if self.always_public is None else self.always_public | condition

    def public(self):
        """What anyone may fetch: on an edition the public sees right now."""
        return self.filter(self._with_always_public(
            Q(release__in=Release.objects.published()) | Q(advisory__in=Advisory.objects.published())
        ))

    def previewable_by(self, user):
        """What a staff member may see before it is public: on anything they may preview."""
        if not (user.is_active and user.is_staff):
            return self.none()
        visible = Q(pk__in=[]) if self.always_public is None else self.always_public
        if user.has_perm("releases.view_release"):
            visible |= Q(release__isnull=False)
        if user.has_perm("releases.view_advisory"):
            visible |= Q(advisory__isnull=False)
        return self.filter(visible)


class PictureQuerySet(AttachmentQuerySet):
    always_public = Q(source__isnull=False)


class SharedFiles:
    """
    Rows whose files live under a random ``key`` that a new edition's copy shares:
    the files go only when no row uses the key any more.
    """

    def save(self, *args, **kwargs):
        """A new or replaced upload is checked and stored under a new key (``store_upload``)."""
        replaced_key = None
        upload = getattr(self, self.file_field)
        if upload and not upload._committed:
            replaced_key = self.key or None
            self.store_upload(upload.file)
        super().save(*args, **kwargs)
        if replaced_key:
            self._delete_files_when_unused(replaced_key)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._delete_files_when_unused(self.key)
        return result

    def _delete_files_when_unused(self, key):
        """After commit (a rollback keeps the row, so it keeps its files), unless another edition still uses them."""
        model = type(self)
        storage = self._meta.get_field(self.file_field).storage

        def delete():
            if not model.objects.filter(key=key).exists():
                self.delete_folder(key, storage)

        transaction.on_commit(delete)


class Picture(SharedFiles, models.Model):
    """
    A photograph on one edition of a release or advisory (the lead picture or one
    of the gallery), or a source's logo.

    The stored files — the original without metadata and its renditions, see
    ``pictures`` — live under ``key``, a random name. A new edition copies its
    picture rows and shares their files; a file goes only when no row uses its
    key any more. Files reach the public through ``releases:picture-file``, which
    checks that the picture is public; never through a storage URL.
    """

    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.CASCADE, related_name="pictures")
    advisory = models.ForeignKey(Advisory, null=True, blank=True, on_delete=models.CASCADE, related_name="pictures")
    source = models.OneToOneField(Source, null=True, blank=True, on_delete=models.CASCADE, related_name="logo")
    image = models.FileField(_("image"), max_length=200)
    key = models.CharField(max_length=32, editable=False, db_index=True)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    renditions = models.JSONField(default=list, editable=False)
    alt_text = models.CharField(
        _("alt text"), max_length=300,
        help_text=_("What the picture shows, for readers who can't see it: “NATO Secretary General at the podium”."),
    )
    caption = models.CharField(max_length=500, blank=True)
    credit = models.CharField(max_length=200, blank=True, help_text=_("Shown with the picture: “© NATO”."))
    is_lead = models.BooleanField(_("lead picture"), default=False, help_text=_("Shown at the top and when shared."))
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Order in the gallery, smallest first."))

    objects = PictureQuerySet.as_manager()

    file_field = "image"
    delete_folder = staticmethod(pictures.delete_folder)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(release__isnull=False, advisory__isnull=True, source__isnull=True)
                    | Q(release__isnull=True, advisory__isnull=False, source__isnull=True)
                    | Q(release__isnull=True, advisory__isnull=True, source__isnull=False)
                ),
                name="releases_picture_one_owner",
            ),
        ]
        # "At most one lead picture" is checked by the admin's formset, not by a unique constraint:
        # moving the lead from one picture to another in one save would trip a constraint half-way.

    def __str__(self):
        return self.alt_text

    # --- files and URLs -----------------------------------------------------

    def url(self, name):
        """The public address of one of this picture's files (checked by the view, see ``views.picture_file``)."""
        return reverse("releases:picture-file", kwargs={"key": self.key, "name": name.rsplit("/", 1)[-1]})

    def stored_names(self):
        """Every stored file of this picture, by the name the view is asked for."""
        names = [self.image.name] + [r["name"] for r in self.renditions]
        return {name.rsplit("/", 1)[-1]: name for name in names}

    def _renditions(self, extension):
        return [r for r in self.renditions if r["format"] == extension]

    def srcset(self, extension):
        return ", ".join(f"{self.url(r['name'])} {r['width']}w" for r in self._renditions(extension))

    @property
    def srcset_webp(self):
        return self.srcset("webp")

    @property
    def srcset_jpeg(self):
        return self.srcset("jpg")

    @property
    def largest(self):
        """The largest JPEG rendition: the <img> fallback, its size attributes and the sharing image."""
        return self._renditions("jpg")[-1]

    @property
    def largest_url(self):
        return self.url(self.largest["name"])

    @property
    def smallest_url(self):
        return self.url(self._renditions("jpg")[0]["name"])

    @property
    def original_url(self):
        return self.url(self.image.name)

    # --- saving and deleting -----------------------------------------------------

    def store_upload(self, upload):
        """Clean the upload and store it with its renditions under a new key."""
        clean = upload.clean if isinstance(upload, pictures.PictureUpload) else pictures.clean_upload(upload).clean
        self.key, self.image, self.renditions = pictures.store(clean, self.image.storage)
        self.width, self.height = clean.width, clean.height


class Document(SharedFiles, models.Model):
    """
    A document of an edition's media kit: a PDF, Word, Excel, OpenDocument or text file.

    Checked by its content at upload (see ``documents``) and stored as it came under a
    random ``key``; a new edition copies the row and shares the file, which goes only
    when no row uses its key any more. Served by ``releases:document-file``, which checks
    that the edition is public, exactly like pictures.
    """

    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.CASCADE, related_name="documents")
    advisory = models.ForeignKey(Advisory, null=True, blank=True, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), max_length=200)
    key = models.CharField(max_length=32, editable=False, db_index=True)
    #: "Document title", not "Title": the item's change form has a title of its own.
    title = models.CharField(
        _("document title"), max_length=300, help_text=_("What readers see in the list: “Fact sheet: the 2025 summit”."),
    )
    language = models.CharField(
        max_length=10, blank=True, choices=global_settings.LANGUAGES,
        help_text=_("The document's language, when it is not the page's."),
    )
    #: The uploaded name made safe (Unicode kept): the name of the download and in the ZIP.
    filename = models.CharField(max_length=200, editable=False)
    kind = models.CharField(max_length=10, choices=documents.KIND_CHOICES, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Order in the media kit, smallest first."))

    objects = AttachmentQuerySet.as_manager()

    file_field = "file"
    delete_folder = staticmethod(documents.delete_folder)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(release__isnull=False, advisory__isnull=True) | Q(release__isnull=True, advisory__isnull=False)),
                name="releases_document_one_owner",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("releases:document-file", kwargs={"key": self.key})

    @property
    def kind_label(self):
        return documents.KINDS[self.kind].label

    def store_upload(self, upload):
        """Check the upload and store it under a new key."""
        clean = upload.clean if isinstance(upload, documents.DocumentUpload) else documents.check_upload(upload)
        self.key, self.file = documents.store(clean, self.file.storage)
        self.kind, self.size, self.filename = clean.kind, clean.size, clean.filename


# --- the parts of an edition ------------------------------------------------------------------
# A public edition's pictures, documents, programme, contacts and topics are edited only with a new
# draft (the admin offers no other way), but a change made to them in place (in code, in a shell)
# must still reach the public at once: it is announced like any change of what the public sees,
# which moves the public state that the page cache, the detail pages' fragments and the shared
# cache in front all follow. A working edition's parts are nobody's business but the desk's.

def _announce_part_changed(edition):
    if edition is not None and edition.state in LIVE_STATES:
        public.changed(keys=public.keys_for(edition))


@receiver([post_save, post_delete], sender=Picture)
@receiver([post_save, post_delete], sender=Document)
def attachment_changed(sender, instance, **kwargs):
    if getattr(instance, "source_id", None):  # a source's logo, shown wherever the source is
        public.changed(keys={public.LISTS, public.source_key(instance.source_id)})
        return
    edition_model, edition_id = (Release, instance.release_id) if instance.release_id else (Advisory, instance.advisory_id)
    _announce_part_changed(edition_model.objects.filter(pk=edition_id).first())


@receiver([post_save, post_delete], sender=ProgrammeEntry)
def programme_changed(sender, instance, **kwargs):
    _announce_part_changed(Advisory.objects.filter(pk=instance.advisory_id).first())


@receiver(m2m_changed, sender=Release.contacts.through)
@receiver(m2m_changed, sender=Advisory.contacts.through)
@receiver(m2m_changed, sender=TaggedRelease)
@receiver(m2m_changed, sender=TaggedAdvisory)
def links_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """A contact or a topic attached to an edition or taken off it (from either side)."""
    if not action.startswith("post_"):
        return
    if isinstance(instance, Publishable):
        _announce_part_changed(instance)
    elif isinstance(instance, Contact):
        public.changed(keys=instance.public_keys())
    else:  # a topic: its page lists the items filed under it
        public.changed()
