"""
The press office's media directory: journalists and the media lists they are on.

The contract other apps (``distribution``) rely on, kept stable:

- ``Journalist``: ``name``, ``outlet``, ``email``, ``languages`` (M2M to
  ``Language``, keyed by code such as ``"en"``), the beat as ``sources`` (M2M to
  ``releases.Source``) and ``kinds`` (``Kinds.RELEASES``, ``ADVISORIES`` or
  ``BOTH``), ``notes``, ``basis`` and ``basis_date`` (why we may write to them,
  since when), ``created_at``/``updated_at``. The address is stored
  normalised (``normalise_email``: trimmed, whole address lower-cased) and is
  unique, so one address is one journalist whatever case it was typed in; a
  check constraint keeps anything else out of the column.
- ``Journalist.objects.covering(sources=, kinds=, languages=)``: the journalists
  whose beat matches, as one query; ``Journalist.objects.with_email(address)``
  finds an address however it is typed.
- ``MediaList``: ``name``, ``description``, ``kind`` (``STATIC``: the explicit
  ``journalists``; ``CRITERIA``: the saved ``sources``, ``kinds`` and
  ``languages``), and ``members()``, a Journalist queryset in one query for
  either kind. ``MediaList.objects`` is ordered by name.

Suppression (addresses that bounced or asked not to be written to) is not kept
here: the distribution app filters ``members()`` through its own table.
"""
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from releases.models import Source


def normalise_email(address):
    """
    The form an address is stored and compared in: without surrounding space,
    lower-cased as a whole. Strictly the part before the @ may be
    case-sensitive, but no mail provider treats it so, and two rows for
    ``Ana@x.org`` and ``ana@x.org`` would mean two mails to one person.
    """
    return (address or "").strip().lower()


class Language(models.Model):
    """A language a journalist writes in, by its ISO 639-1 code (the list is seeded by a migration)."""

    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Kinds(models.TextChoices):
    """What someone covers: releases, media advisories (events to attend), or both."""

    RELEASES = "releases", _("Releases")
    ADVISORIES = "advisories", _("Media advisories")
    BOTH = "both", _("Releases and advisories")


class JournalistQuerySet(models.QuerySet):
    def with_email(self, address):
        return self.filter(email=normalise_email(address))

    def covering(self, sources=None, kinds="", languages=None):
        """
        Journalists whose beat matches every criterion given: one of ``sources``
        (Source rows, pks or a queryset), the kind (``Kinds.RELEASES`` or
        ``ADVISORIES``; someone covering both matches either), one of
        ``languages`` (Language rows, codes or a queryset). A criterion left
        empty matches everyone. Querysets are used as subqueries, so this stays
        one query whatever the directory's size.
        """
        queryset = self
        if sources is not None:
            queryset = queryset.filter(Exists(
                Journalist.sources.through.objects.filter(journalist=OuterRef("pk"), source__in=sources)
            ))
        if kinds in (Kinds.RELEASES, Kinds.ADVISORIES):
            queryset = queryset.filter(kinds__in=[kinds, Kinds.BOTH])
        elif kinds == Kinds.BOTH:
            queryset = queryset.filter(kinds=Kinds.BOTH)
        if languages is not None:
            queryset = queryset.filter(Exists(
                Journalist.languages.through.objects.filter(journalist=OuterRef("pk"), language__in=languages)
            ))
        return queryset


class Journalist(models.Model):
    """
    A journalist the press office may write to. Personal data under the GDPR:
    only the press office reads it (see ``releases.roles``), and
    ``personal_data`` exports or erases everything held about one address.
    """

    class Basis(models.TextChoices):
        CONSENT = "consent", _("Consent given")
        PROFESSIONAL = "professional", _("Professional relationship")

    name = models.CharField(max_length=200)
    outlet = models.CharField(max_length=200, blank=True, help_text=_("The newspaper, agency or broadcaster."))
    email = models.EmailField(
        _("e-mail"), max_length=254, unique=True,
        help_text=_("Stored in lower case: one address is one journalist, however it is typed."),
    )
    languages = models.ManyToManyField(Language, blank=True, related_name="journalists")
    sources = models.ManyToManyField(
        Source, blank=True, related_name="journalists", verbose_name=_("beat: sources"),
        help_text=_("The sources this journalist covers."),
    )
    kinds = models.CharField(
        _("beat: kinds"), max_length=12, choices=Kinds.choices, default=Kinds.BOTH,
        help_text=_("Releases, media advisories (events), or both."),
    )
    notes = models.TextField(blank=True)
    basis = models.CharField(
        _("basis for writing"), max_length=20, choices=Basis.choices,
        help_text=_("Why we may write to this journalist (GDPR Art. 6): their consent, or a professional relationship."),
    )
    basis_date = models.DateField(_("basis since"), help_text=_("When consent was given or the relationship began."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JournalistQuerySet.as_manager()

    class Meta:
        ordering = ["name", "email"]
        indexes = [models.Index(fields=["name", "email"], name="journalists_name_idx")]
        constraints = [
            # normalise_email in every path that writes; this keeps a raw UPDATE from making twins by case.
            models.CheckConstraint(condition=Q(email=Lower("email")), name="journalists_email_lower_case"),
        ]

    def __str__(self):
        return f"{self.name} ({self.outlet})" if self.outlet else self.name

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)


class MediaList(models.Model):
    """
    A list of journalists to send an item to: chosen one by one (static) or
    everyone matching saved criteria ("covers NATO, English"), so that a
    criteria list includes journalists added to the directory later.
    """

    class Kind(models.TextChoices):
        STATIC = "static", _("Chosen journalists")
        CRITERIA = "criteria", _("Everyone matching criteria")

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STATIC)
    journalists = models.ManyToManyField(
        Journalist, blank=True, related_name="media_lists", verbose_name=_("members"),
        help_text=_("For a list of chosen journalists."),
    )
    sources = models.ManyToManyField(
        Source, blank=True, related_name="+", verbose_name=_("covers one of these sources"),
        help_text=_("For a criteria list; none means any source."),
    )
    kinds = models.CharField(
        _("covers"), max_length=12, blank=True,
        choices=[(Kinds.RELEASES, Kinds.RELEASES.label), (Kinds.ADVISORIES, Kinds.ADVISORIES.label)],
        help_text=_("For a criteria list; empty means releases or advisories."),
    )
    languages = models.ManyToManyField(
        Language, blank=True, related_name="+", verbose_name=_("writes in one of these languages"),
        help_text=_("For a criteria list; none means any language."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @staticmethod
    def chosen_for(media_lists):
        """
        A condition on ``Journalist``: chosen for any of these static lists (pks), as one EXISTS on
        the membership table however many lists, so that an address on two of them is one row.
        """
        return Exists(MediaList.journalists.through.objects.filter(medialist__in=media_lists, journalist=OuterRef("pk")))

    def members(self):
        """
        The list's journalists as one query: the chosen ones, or everyone whose
        beat matches the saved criteria (read as subqueries, so an unsaved
        change to the criteria is not seen and nothing is loaded into Python).
        """
        if self.kind == self.Kind.STATIC:
            return Journalist.objects.filter(MediaList.chosen_for([self.pk]))
        list_sources = MediaList.sources.through.objects.filter(medialist=self.pk)
        list_languages = MediaList.languages.through.objects.filter(medialist=self.pk)
        members = Journalist.objects.covering(kinds=self.kinds)
        # "No sources chosen" means any source: a criterion, not a second query.
        return members.filter(
            ~Exists(list_sources) | Exists(Journalist.sources.through.objects.filter(
                journalist=OuterRef("pk"), source__in=list_sources.values("source"),
            )),
            ~Exists(list_languages) | Exists(Journalist.languages.through.objects.filter(
                journalist=OuterRef("pk"), language__in=list_languages.values("language"),
            )),
        )

    def criteria(self):
        """The saved criteria in words: "NATO, Europol · Releases · English"."""
        if self.kind == self.Kind.STATIC:
            return ""
        parts = [
            ", ".join(source.name for source in self.sources.all()) or _("any source"),
            self.get_kinds_display() or _("releases or advisories"),
            ", ".join(language.name for language in self.languages.all()) or _("any language"),
        ]
        return " · ".join(str(part) for part in parts)
