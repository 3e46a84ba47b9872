"""
Translation groups: a release (or advisory) and its translations.

A translation is a document of its own (its own editions, workflow, four-eyes
review and schedule, see ``workflow``), linked to the others of its group by a
``Translation`` row: one row per document, at most one document per language
per group (a database constraint). ``translate`` starts one from any edition;
``original_changed`` flags a document's translations when it gets a *major*
change (a minor one, a typo, flags nothing), until a translator acknowledges
the change or publishes an update of the translation.
"""
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from . import languages, public
from .workflow import LIVE_STATES, State, Transition, TransitionError


class Translation(models.Model):
    """One document's place in its translation group."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    #: The document (``Publishable.document``) this row places: one row per document.
    document = models.UUIDField(unique=True)
    group = models.UUIDField(db_index=True)
    #: The document's language (the same as every edition's ``language``).
    language = models.CharField(max_length=10)
    #: The document this one was translated from; empty for a group's original.
    original = models.UUIDField(null=True, blank=True, db_index=True)
    #: The original's version this translation follows: translated from, acknowledged, or updated after.
    original_version = models.PositiveIntegerField(null=True, blank=True)
    #: The original got a major change since ``original_version``; cleared by an acknowledgement or an update.
    original_changed = models.BooleanField(default=False, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_type", "group", "language"], name="releases_translation_one_per_language"),
        ]

    def __str__(self):
        return f"{self.document} ({self.language})"

    @property
    def model(self):
        return self.content_type.model_class()

    def current_original(self):
        """The original's live edition (or its newest), for the "what changed" diff."""
        if self.original is None:
            return None
        editions = self.model.objects.filter(document=self.original)
        return editions.filter(state__in=LIVE_STATES).first() or editions.order_by("-version").first()

    def original_as_followed(self):
        """The original's edition this translation was made from or last brought in line with."""
        if self.original is None or self.original_version is None:
            return None
        return self.model.objects.filter(document=self.original, version=self.original_version).first()


def group_of(edition):
    """The Translation rows of ``edition``'s group (its own included), or none when it has no translations."""
    ct = ContentType.objects.get_for_model(type(edition))
    row = Translation.objects.filter(document=edition.document).first()
    if row is None:
        return Translation.objects.none()
    return Translation.objects.filter(content_type=ct, group=row.group)


def translations_of(edition):
    """The other documents of ``edition``'s group: [(Translation row, their current edition)] by language."""
    return translations_of_many([edition])[edition.document]


def translations_of_many(editions):
    """
    ``translations_of`` for several editions of one model (the admin's changelist page), as
    {document: [(row, current edition)]}: two queries however many editions and translations.
    """
    editions = list(editions)
    if not editions:
        return {}
    model = type(editions[0])
    rows, group_of_document = group_rows(editions)
    current = {e.document: e for e in model.objects.filter(document__in=group_of_document).current()} if rows else {}
    return {
        edition.document: [(row, current.get(row.document)) for row in others_in_group(rows, group_of_document, edition)]
        for edition in editions
    }


def group_rows(editions):
    """
    The ``Translation`` rows of the groups of ``editions`` (of one model), by language, in one query,
    and the group of each document among them.
    """
    ct = ContentType.objects.get_for_model(type(editions[0]))
    documents = {edition.document for edition in editions}
    rows = list(
        Translation.objects.filter(
            content_type=ct, group__in=Translation.objects.filter(content_type=ct, document__in=documents).values("group"),
        ).order_by("language")
    )
    return rows, {row.document: row.group for row in rows}


def others_in_group(rows, group_of_document, edition):
    """The rows of ``edition``'s group but its own (from ``group_rows``)."""
    group = group_of_document.get(edition.document)
    return [row for row in rows if group is not None and row.group == group and row.document != edition.document]


def group_keys(edition):
    """
    The surrogate keys of the pages of ``edition``'s group's other documents: their language switch
    and ``hreflang`` name this document once it is published, and no longer once it is withdrawn,
    so its moves purge them too. One query; none of them outside a group.
    """
    return {
        public.document_key(type(edition), document)
        for document in group_of(edition).exclude(document=edition.document).values_list("document", flat=True)
    }


def can_translate(edition, user):
    model = type(edition)
    return languages.multilingual() and user.has_perm(f"{model._meta.app_label}.add_{model._meta.model_name}")


def missing_languages(edition):
    """The configured languages ``edition``'s group has no document in yet, as (code, name)."""
    taken = set(group_of(edition).values_list("language", flat=True)) | {edition.language}
    return [(code, name) for code, name in languages.languages() if code not in taken]


def translate(edition, language, user):
    """
    Start a translation of ``edition`` into ``language``: a new document, a draft in
    ``language`` prefilled with the source's text (for the translator to overwrite)
    and its structured fields, contacts, topics, pictures, documents and (for an
    advisory) programme, linked to the source's group. Returns the draft.
    """
    model = type(edition)
    if not can_translate(edition, user):
        raise TransitionError(_("You may not translate this %(model)s.") % {"model": model._meta.verbose_name})
    if language not in languages.codes():
        raise TransitionError(_("This newsroom does not publish in “%(code)s”.") % {"code": language})
    if language == edition.language:
        raise TransitionError(_("This item is already in %(language)s.") % {"language": languages.name(language)})
    ct = ContentType.objects.get_for_model(model)
    with transaction.atomic():
        source_row = Translation.objects.select_for_update().filter(document=edition.document).first()
        if source_row is None:
            source_row = Translation.objects.create(
                content_type=ct, document=edition.document, group=uuid.uuid4(), language=edition.language,
            )
        if Translation.objects.filter(content_type=ct, group=source_row.group, language=language).exists():
            raise TransitionError(
                _("This item already has a translation into %(language)s.") % {"language": languages.name(language)}
            )
        draft = edition._copy_as_new_document(user, with_pictures=True, slug_suffix=language, language=language)
        Translation.objects.create(
            content_type=ct, document=draft.document, group=source_row.group, language=language,
            original=edition.document, original_version=edition.version,
        )
        draft._record(
            Transition.TRANSLATE, user, State.DRAFT,
            _("Translation into %(language)s of “%(title)s” version %(version)s")
            % {"language": languages.name(language), "title": edition.title, "version": edition.version},
        )
    return draft


def original_changed(edition):
    """``edition`` was approved as a major change: its translations are out of date until seen to."""
    Translation.objects.filter(original=edition.document, original_changed=False).update(original_changed=True)


def translation_updated(edition):
    """A translation's new edition is approved: it follows its original's current version again."""
    row = Translation.objects.filter(document=edition.document, original__isnull=False).first()
    if row is None:
        return
    current = row.current_original()
    row.original_changed = False
    row.original_version = current.version if current else row.original_version
    row.save(update_fields=["original_changed", "original_version"])


def acknowledge(edition, user, comment=""):
    """A translator has seen the original's change and needs no update (or will make one): clear the flag."""
    if not user.has_perm(edition.change_permission()):
        raise TransitionError(_("You may not edit this %(model)s.") % {"model": edition._meta.verbose_name})
    with transaction.atomic():
        row = Translation.objects.select_for_update().filter(document=edition.document, original__isnull=False).first()
        if row is None or not row.original_changed:
            raise TransitionError(_("Nothing to acknowledge: the original has not changed since this translation."))
        current = row.current_original()
        row.original_changed = False
        row.original_version = current.version
        row.save(update_fields=["original_changed", "original_version"])
        edition._record(
            Transition.ACKNOWLEDGE, user, edition.state,
            (comment or "").strip() or _("Original's change to version %(version)s acknowledged") % {"version": current.version},
        )
    return row


def link(translation, original):
    """
    Place ``translation`` (a document written elsewhere, e.g. imported) in ``original``'s
    group as its translation: for ``import_digest --translation-of`` and imports that
    share an original URL. Refused (``TransitionError``) when the languages are the same,
    the models differ, either is already in a group that would clash, or the slot is taken.
    """
    model = type(original)
    if type(translation) is not model:
        raise TransitionError(_("A release translates a release, an advisory an advisory."))
    if translation.language == original.language:
        raise TransitionError(_("The original is in the same language as the translation."))
    ct = ContentType.objects.get_for_model(model)
    with transaction.atomic():
        if Translation.objects.filter(document=translation.document).exists():
            raise TransitionError(_("This item is already linked to a translation group."))
        source_row = Translation.objects.select_for_update().filter(document=original.document).first()
        if source_row is None:
            source_row = Translation.objects.create(
                content_type=ct, document=original.document, group=uuid.uuid4(), language=original.language,
            )
        if Translation.objects.filter(content_type=ct, group=source_row.group, language=translation.language).exists():
            raise TransitionError(
                _("The original already has a translation into %(language)s.")
                % {"language": languages.name(translation.language)}
            )
        followed = original.editions().filter(state__in=LIVE_STATES).first() or original
        return Translation.objects.create(
            content_type=ct, document=translation.document, group=source_row.group, language=translation.language,
            original=original.document, original_version=followed.version,
        )


def published_translations(items):
    """
    For the public side (the language switch, ``hreflang``, the sitemap): each of ``items`` (editions
    of one model) mapped by document to its group's *published* editions in other languages, as
    {document: {language: edition}}. Only ``published()`` editions: a draft, scheduled, withdrawn or
    rejected translation is never an alternate. Two queries however many items (none when none has
    a group), with only the fields an address needs.
    """
    items = [item for item in items if item is not None]
    if not items:
        return {}
    model = type(items[0])
    rows, group_of_document = group_rows(items)
    if not rows:
        return {}
    published = {
        edition.document: edition
        for edition in model.objects.published().filter(document__in=group_of_document).only("document", "slug", "language")
    }
    return {
        item.document: {
            row.language: published[row.document] for row in others_in_group(rows, group_of_document, item)
            if row.document in published and row.language != item.language and row.language in languages.codes()
        }
        for item in items
    }
