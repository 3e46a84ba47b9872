"""
The editorial workflow shared by every publishable model (Release, Advisory).

A publishable *document* (one press release, one advisory) is a series of
*editions*: rows of the same model that share a ``document`` id and a slug and
differ by ``version``. The public only ever sees the edition in the PUBLISHED
state (or WITHDRAWN, for the notice), so an edit of a published item is a new
DRAFT edition written and reviewed beside the live one; approving it retires
the old edition (SUPERSEDED). This is Whitehall's "draft edition beside the
published one", and it lets the admin edit an edition as an ordinary model
instance, with its inlines and many-to-many fields.

Transitions are model methods named for the action. Each checks the state and
the acting user's permission, raises ``TransitionError`` on a bad move (and
changes nothing), saves atomically and records a ``Transition`` row.

The transitions that change what the public sees (approve, withdraw, unschedule,
receive_import) announce it with one call, ``public.changed`` (``releases/public.py``),
in the same transaction: the search index, the caches and the delivery outbox hang from it.
"""
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import languages, public, signals
from .text import normalise_text, plain_text, render_body


class TransitionError(Exception):
    """A workflow move that is not allowed: wrong state, wrong user or missing input."""


class StaleEdit(TransitionError):
    """An editor's save of an edition that someone changed (saved or moved) since the form was opened."""


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUPERSEDED = "superseded", _("Superseded")


#: States of the edition that speaks for a document in public (at most one per document).
LIVE_STATES = (State.PUBLISHED, State.WITHDRAWN)
#: States of an edition still being written or reviewed (at most one per document).
WORKING_STATES = (State.DRAFT, State.IN_REVIEW)


OPTIONAL, REQUIRED, NONE = "optional", "required", "none"


@dataclass(frozen=True)
class Action:
    """
    One workflow transition, as everything that offers, explains or runs it reads
    it: the model's checks, the admin's buttons and their prompts, the tests'
    role matrix. A new transition is one entry here and one method on
    ``Publishable`` named after it (with a ``_check_<name>`` for any rule beyond
    the state and the permission).
    """

    name: str
    label: str
    #: The verb in "You may not … this release".
    verb: str
    from_states: tuple
    to_state: str
    #: Reviewers' permission (publish_<model>), or else the writers' (change_<model>).
    needs_publish: bool
    #: Whether the action takes a comment: optional, required or none.
    comment: str = OPTIONAL
    prompt: str = _("Comment (optional)")
    comment_missing: str = ""
    #: The comment is shown to the public (the withdrawal notice), not only in the newsroom.
    public_comment: bool = False
    #: Takes a publication time (the approval's "publish at").
    takes_time: bool = False
    #: Asks, when it replaces what readers have seen, whether the change is major (with a public note).
    takes_change_note: bool = False
    primary: bool = False


ACTIONS = (
    Action("submit", _("Submit for review"), _("submit"), (State.DRAFT,), State.IN_REVIEW, needs_publish=False),
    Action(
        "recall", _("Recall to draft"), _("recall"), (State.IN_REVIEW,), State.DRAFT, needs_publish=False,
        prompt=_("Why (optional)"),
    ),
    Action(
        "approve", _("Approve and publish"), _("approve"), (State.IN_REVIEW,), State.PUBLISHED, needs_publish=True,
        takes_time=True, takes_change_note=True, primary=True,
    ),
    Action(
        "return_to_draft", _("Return to draft"), _("return"), (State.IN_REVIEW,), State.DRAFT, needs_publish=True,
        comment=REQUIRED, prompt=_("What needs to change (required)"),
        comment_missing=_("Say what needs to change: a comment is required to return an item to draft."),
    ),
    Action(
        "unschedule", _("Cancel the scheduled publication"), _("unschedule"), (State.PUBLISHED,), State.IN_REVIEW,
        needs_publish=True,
        prompt=_("Why (for the newsroom, optional; the item goes back to review and the public never sees it)"),
    ),
    Action(
        "withdraw", _("Withdraw"), _("withdraw"), (State.PUBLISHED,), State.WITHDRAWN, needs_publish=True,
        comment=REQUIRED, prompt=_("Public reason (required)"), public_comment=True,
        comment_missing=_("A public reason is required to withdraw an item."),
    ),
    Action(
        "start_new_draft", _("Start a new draft"), _("start a new draft of"), LIVE_STATES, State.DRAFT,
        needs_publish=False, comment=NONE,
    ),
    Action(
        "restore", _("Restore as a new draft"), _("restore"), (State.SUPERSEDED,), State.DRAFT,
        needs_publish=False, prompt=_("Why (optional)"),
    ),
)
TRANSITIONS = {action.name: action for action in ACTIONS}


class PublishableQuerySet(models.QuerySet):
    """What the public may see is defined here, once."""

    def published(self, now=None):
        """Editions visible to the public right now: approved and due."""
        return self.filter(state=State.PUBLISHED, published_at__lte=now or timezone.now())

    def public_or_withdrawn(self, now=None):
        """
        Published editions plus withdrawn ones (whose page shows only the withdrawal notice).

        Only an edition that was public when it was withdrawn has a notice: one
        withdrawn before its time came (which ``withdraw`` refuses today, but rows
        from before that rule exist) was never public, and stays unseen for ever.
        """
        now = now or timezone.now()
        return self.filter(
            Q(state=State.PUBLISHED, published_at__lte=now)
            | Q(state=State.WITHDRAWN, published_at__lte=now, withdrawn_at__gte=F("published_at"))
        )

    def scheduled(self, now=None):
        """Approved editions whose publication time is still ahead: hidden until then."""
        return self.filter(state=State.PUBLISHED, published_at__gt=now or timezone.now())

    def for_source(self, source):
        return self.filter(source=source)

    def in_language(self, code=None):
        """
        The items whose pages are in ``code`` (default: the page being rendered's, ``languages.active``):
        those written in it; for the default language also those written in a language no longer
        configured (they are shown on its pages). Every per-language list, feed, calendar and sitemap
        starts from this; in a one-language newsroom it filters nothing.
        """
        code = languages.public(code or languages.active())
        if code != languages.default_language():
            return self.filter(language=code)
        others = [other for other in languages.codes() if other != code]
        return self.exclude(language__in=others) if others else self

    def current(self):
        """The newest edition of each document: what an editor works on."""
        return self.exclude(state=State.SUPERSEDED).exclude(
            Q(state__in=LIVE_STATES)
            & Q(document__in=self.model.objects.filter(state__in=WORKING_STATES).values("document"))
        )

    def awaiting_review_by(self, user):
        """In review, and not last edited by ``user`` (who could not approve it)."""
        return self.filter(state=State.IN_REVIEW).exclude(last_edited_by=user)

    def with_last_move(self):
        """
        Each edition with its latest recorded action, its comment, who and when
        (``last_action``, ``last_comment``, ``last_actor_id``, ``last_action_at``), read
        from the history's (content type, edition, time) index one row per edition.
        """
        latest = Transition.objects.filter(
            content_type=ContentType.objects.get_for_model(self.model), object_id=OuterRef("pk"),
        ).exclude(action=Transition.COMMENT).order_by("-at", "-pk")
        return self.annotate(
            last_action=Subquery(latest.values("action")[:1]),
            last_comment=Subquery(latest.values("comment")[:1]),
            last_actor_id=Subquery(latest.values("actor")[:1]),
            last_action_at=Subquery(latest.values("at")[:1]),
        )

    def returned(self):
        """Drafts a reviewer sent back, with the comment saying why (see ``with_last_move``)."""
        return self.with_last_move().filter(state=State.DRAFT, last_action="return_to_draft")


class Publishable(models.Model):
    """Abstract base: editions, state, publication time and the transitions."""

    document = models.UUIDField(
        default=uuid.uuid4, editable=False, db_index=True,
        help_text=_("Identifies the release or advisory across its editions."),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    revision = models.PositiveIntegerField(
        default=1, editable=False,
        help_text=_("Counts the saves of this edition. A save from a form opened at an older revision is refused."),
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT, editable=False)
    #: The document's language: chosen when it is written, the same in every edition (``save`` refuses
    #: a change once the document has another edition or belongs to a translation group).
    language = models.CharField(
        _("language"), max_length=10, choices=languages.language_choices, default=languages.default_language,
        help_text=_("The language this item is written in. Fixed once it has another version or a translation."),
    )
    slug = models.SlugField(
        max_length=120, allow_unicode=False,
        help_text=_("The public address. Fixed once the item has been published, so links keep working."),
    )
    published_at = models.DateTimeField(
        _("publication time"), null=True, blank=True, editable=False,
        help_text=_("Set when a reviewer approves; a future time keeps the item hidden until then."),
    )
    revised_at = models.DateTimeField(
        _("last approved"), null=True, blank=True, editable=False,
        help_text=_("When the edition the public sees was approved (the public 'updated' time)."),
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawal_reason = models.TextField(blank=True, editable=False)
    change_note = models.TextField(
        blank=True, editable=False,
        help_text=_("The public note of a major change, given when this edition was approved; empty for a minor one."),
    )
    public_updated_at = models.DateTimeField(
        _("publicly updated"), null=True, blank=True, editable=False,
        help_text=_(
            "The 'updated' time readers, feeds and search engines see: the first publication, or the last "
            "approval of a major change. A minor change (a typo) leaves it."
        ),
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="+",
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="+",
    )

    objects = PublishableQuerySet.as_manager()

    #: Names of reverse relations whose rows belong to one edition and are copied into a new draft.
    copied_child_relations = ()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["document", "version"], name="%(app_label)s_%(class)s_one_version"),
            models.UniqueConstraint(
                fields=["document"], condition=Q(state__in=LIVE_STATES), name="%(app_label)s_%(class)s_one_live",
            ),
            models.UniqueConstraint(
                fields=["document"], condition=Q(state__in=WORKING_STATES),
                name="%(app_label)s_%(class)s_one_working",
            ),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(state__in=LIVE_STATES), name="%(app_label)s_%(class)s_unique_live_slug",
            ),
        ]
        indexes = [
            # The public lists' order, over published editions only: newest-first pages, however
            # deep, are read straight from it (see paging.py).
            models.Index(
                fields=["-published_at", "-id"], condition=Q(state=State.PUBLISHED),
                name="%(app_label)s_%(class)s_public",
            ),
            # The admin changelist's default order, over every edition.
            models.Index(fields=["-published_at", "-id"], name="%(app_label)s_%(class)s_admin"),
            # The newest approval and withdrawal: the public state behind ETags and the page cache.
            models.Index(
                fields=["-revised_at"], condition=Q(state__in=LIVE_STATES), name="%(app_label)s_%(class)s_revised",
            ),
            models.Index(
                fields=["-withdrawn_at"], condition=Q(state=State.WITHDRAWN), name="%(app_label)s_%(class)s_withdrawn",
            ),
        ]

    # --- properties -------------------------------------------------------

    @property
    def is_public(self):
        return self.state == State.PUBLISHED and self.published_at is not None and self.published_at <= timezone.now()

    @property
    def is_scheduled(self):
        return self.state == State.PUBLISHED and self.published_at is not None and self.published_at > timezone.now()

    @property
    def display_state(self):
        """The state as an editor thinks of it: a published edition not yet due is 'Scheduled'."""
        if self.is_scheduled:
            return _("Scheduled")
        return self.get_state_display()

    @property
    def standfirst(self):
        """The summary shown above the body, unless the body already opens with it (as imports do)."""
        if self.summary and not plain_text(self.body).startswith(self.summary.strip()):
            return self.summary
        return ""

    @property
    def slug_locked(self):
        """Once any edition has been public, the address is fixed so links keep working."""
        return self.published_at is not None or self.editions().filter(published_at__isnull=False).exists()

    @property
    def editable(self):
        return self.state == State.DRAFT

    @classmethod
    def publish_permission(cls):
        return f"{cls._meta.app_label}.publish_{cls._meta.model_name}"

    @classmethod
    def change_permission(cls):
        return f"{cls._meta.app_label}.change_{cls._meta.model_name}"

    def editions(self):
        return type(self).objects.filter(document=self.document)

    def live_edition(self):
        """The edition that speaks for this document in public, if any (may be scheduled)."""
        return self.editions().filter(state__in=LIVE_STATES).first()

    def working_edition(self):
        return self.editions().filter(state__in=WORKING_STATES).first()

    def history(self):
        return Transition.objects.filter(
            content_type=ContentType.objects.get_for_model(type(self)), document=self.document
        ).select_related("actor")

    def change_notes(self):
        """The document's major changes the public has seen, newest first: (date, note) pairs."""
        return list(
            self.editions().filter(state__in=(State.PUBLISHED, State.SUPERSEDED, State.WITHDRAWN), version__lte=self.version)
            .exclude(change_note="").order_by("-version").values_list("public_updated_at", "change_note")
        )

    @property
    def replaces_public_edition(self):
        """True when approving this edition would change what readers have already seen."""
        live = self.live_edition()
        return live is not None and live.pk != self.pk and live.published_at is not None and live.published_at <= timezone.now()

    def last_change(self):
        """(who, when, the state it moved to or None) of the latest save or transition of this edition."""
        transition = (
            Transition.objects.filter(content_type=ContentType.objects.get_for_model(type(self)), object_id=self.pk)
            .select_related("actor").order_by("-at", "-pk").first()
        )
        if transition is not None and transition.at >= self.updated_at - timedelta(seconds=1):
            return transition.actor, transition.at, transition.get_to_state_display()
        return self.last_edited_by, self.updated_at, None

    def clean(self):
        super().clean()
        self._check_language()
        if not self.slug:
            return
        if type(self).objects.filter(slug=self.slug).exclude(document=self.document).exists():
            raise ValidationError({"slug": _("Another item already uses this address.")})
        published_slug = (
            self.editions().exclude(pk=self.pk).filter(published_at__isnull=False)
            .values_list("slug", flat=True).first()
        )
        if published_slug and published_slug != self.slug:
            raise ValidationError({"slug": _("The address is fixed once the item has been published.")})

    @classmethod
    def from_db(cls, db, field_names, values):
        edition = super().from_db(db, field_names, values)
        edition._loaded_language = edition.__dict__.get("language")
        return edition

    def language_fixed(self):
        """The language can't change once another edition or a translation shares the document."""
        from .translations import Translation

        return (
            self.editions().exclude(pk=self.pk).exists()
            or Translation.objects.filter(document=self.document).exists()
        )

    def _check_language(self):
        """One language per document, whatever path writes the row (admin, import, copy)."""
        if self.language not in languages.codes():
            raise ValidationError({"language": _("This newsroom does not publish in “%(code)s”.") % {"code": self.language}})
        adding = self._state.adding
        if adding and self.version == 1:
            return  # a new document: nothing to agree with yet
        if not adding and getattr(self, "_loaded_language", self.language) == self.language:
            return
        if adding:
            clash = self.editions().exclude(language=self.language).exists()
        else:
            clash = self.language_fixed()
        if clash:
            raise ValidationError({"language": _("The language of an item is the same in all its versions and fixed once translated.")})

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "language" in update_fields:
            self._check_language()
        for field, html_field in getattr(self, "rendered_fields", {}).items():
            setattr(self, html_field, render_body(getattr(self, field)))
            if update_fields is not None and field in update_fields:
                kwargs["update_fields"] = update_fields = {*update_fields, html_field}
        super().save(*args, **kwargs)
        self._loaded_language = self.language

    # --- who may do what: one table, read by the admin, its templates and the tests ----------

    def can_edit(self, user):
        return self.editable and user.has_perm(self.change_permission())

    def check_transition(self, name, user):
        """
        Return the ``Action`` called ``name`` if ``user`` may take it on this
        edition now; otherwise raise ``TransitionError`` saying why: the state,
        the permission, or the action's own rule (``_check_<name>``).
        """
        action = TRANSITIONS.get(name)
        if action is None:
            raise TransitionError(_("There is no such action."))
        if self.state not in action.from_states:
            self._refuse(action)
        if not user.has_perm(self.publish_permission() if action.needs_publish else self.change_permission()):
            raise TransitionError(
                _("You may not %(action)s this %(model)s: that needs a reviewer's permission.")
                % {"action": action.verb, "model": self._meta.verbose_name}
                if action.needs_publish else
                _("You may not %(action)s this %(model)s: you can't edit %(models)s.")
                % {"action": action.verb, "model": self._meta.verbose_name, "models": self._meta.verbose_name_plural}
            )
        rule = getattr(self, f"_check_{name}", None)
        if rule is not None:
            rule(user)
        return action

    def can(self, name, user):
        try:
            self.check_transition(name, user)
        except TransitionError:
            return False
        return True

    def available_transitions(self, user):
        """The actions ``user`` may take on this edition now, in the table's order."""
        return [action for action in ACTIONS if self.can(action.name, user)]

    def blocked_transitions(self, user):
        """(action, reason) for each action ``user`` holds the rights for, that a rule refuses now."""
        blocked = []
        for action in ACTIONS:
            permission = self.publish_permission() if action.needs_publish else self.change_permission()
            if self.state in action.from_states and user.has_perm(permission):
                try:
                    self.check_transition(action.name, user)
                except TransitionError as error:
                    blocked.append((action, str(error)))
        return blocked

    def _check_recall(self, user):
        if user.pk not in self.authors():
            raise TransitionError(_("Only someone who wrote or submitted this version can recall it; a reviewer returns it."))

    def _check_approve(self, user):
        if self.last_edited_by_id == user.pk:
            raise TransitionError(_("You edited this version last, so another reviewer must approve it."))

    def _check_withdraw(self, user):
        # Only what the public has seen can be withdrawn; a scheduled item is unscheduled instead.
        if self.is_scheduled:
            raise TransitionError(_(
                "This item is scheduled and has never been public, so there is nothing to withdraw: "
                "cancel the scheduled publication instead."
            ))

    def _check_unschedule(self, user):
        if not self.is_scheduled:
            raise TransitionError(_("This item has gone public in the meantime: withdraw it instead."))
        if self.editions().filter(state__in=WORKING_STATES).exists():
            raise TransitionError(_(
                "A newer version of this item is being worked on: approve it with another time, "
                "or delete it, before cancelling this publication."
            ))

    def _check_start_new_draft(self, user):
        if self.editions().filter(state__in=WORKING_STATES).exists():
            raise TransitionError(_("A newer draft of this item already exists."))

    def _check_restore(self, user):
        working = self.editions().filter(state__in=WORKING_STATES).first()
        if working is not None:
            raise TransitionError(
                _("Version %(version)s is being worked on: finish or delete it before restoring this one.")
                % {"version": working.version}
            )

    def authors(self):
        """Who wrote this version: its creator, its last editor and whoever submitted it."""
        submitters = self.history().filter(object_id=self.pk, to_state=State.IN_REVIEW).values_list("actor", flat=True)
        return {self.created_by_id, self.last_edited_by_id, *submitters} - {None}

    # --- transitions -------------------------------------------------------

    def _refresh_state(self):
        """
        Re-read the workflow facts under a row lock, so that two people can't both
        act on a stale copy: the state, the publication time (which decides
        between "scheduled" and "public"), the last editor (four eyes) and the
        edit revision.
        """
        current = type(self).objects.select_for_update().get(pk=self.pk)
        for name in ("state", "published_at", "revised_at", "last_edited_by_id", "revision"):
            setattr(self, name, getattr(current, name))

    def _begin(self, name, user, comment=""):
        """Lock and re-read the edition, check the action, and its comment; return (action, comment)."""
        self._refresh_state()
        action = self.check_transition(name, user)
        comment = (comment or "").strip()
        if action.comment == REQUIRED and not comment:
            raise TransitionError(action.comment_missing)
        return action, comment

    def _save_workflow(self, *fields):
        """Write the workflow columns a transition changed, and count the change as a revision."""
        self.revision += 1
        self.save(update_fields=[*fields, "revision", "updated_at"])

    def save_edit(self, user, revision, fields):
        """
        An editor's save of a draft from a form opened at ``revision``: only the
        content ``fields`` are written (never a workflow column), and only if
        nobody saved or moved the edition since; otherwise ``StaleEdit``. The
        check is in the UPDATE itself, so no race can slip between check and write.
        """
        # What a form can carry: the editable columns. State, times, editors and counters aren't.
        editable = {f.name for f in type(self)._meta.concrete_fields if f.editable and not f.primary_key}
        content = [name for name in fields if name in editable]
        with transaction.atomic():
            claimed = type(self).objects.filter(pk=self.pk, revision=revision, state=State.DRAFT).update(
                revision=revision + 1, last_edited_by=user, updated_at=timezone.now(),
            )
            if not claimed:
                raise StaleEdit(_("Someone else changed this version after you opened it."))
            self.revision, self.last_edited_by = revision + 1, user
            if content:
                self.save(update_fields=content)

    def _public_changed(self, action):
        """
        What the public sees changed, or will at a scheduled time: one call (``releases/public.py``),
        inside this transaction, from which the search index, the page cache, the shared HTTP cache
        and ``signals.public_changed`` (a delivery outbox, written atomically with the move) hang.
        """
        from .translations import group_keys  # translations builds on this module

        public.changed(edition=self, action=action, keys=group_keys(self))

    def _record(self, action, user, from_state, comment=""):
        """
        Write the move (or a plain comment) to the edition's history and, once the
        transaction commits, announce it (``signals.transition_recorded``), so
        that notifications go out only for what really happened, and their
        failure can't undo it.
        """
        row = Transition.objects.create(
            content_type=ContentType.objects.get_for_model(type(self)),
            object_id=self.pk,
            document=self.document,
            version=self.version,
            action=action,
            from_state=from_state,
            to_state=self.state,
            actor=user,
            comment=comment,
        )
        transaction.on_commit(lambda: signals.transition_recorded.send_robust(sender=type(self), transition=row, edition=self))
        return row

    def add_comment(self, user, text):
        """A remark in the item's conversation that moves nothing: a question, an answer, a note."""
        text = (text or "").strip()
        if not text:
            raise TransitionError(_("Write something to comment."))
        if not user.has_perm(self.change_permission()) and not user.has_perm(self.publish_permission()):
            raise TransitionError(_("You may not comment on this %(model)s.") % {"model": self._meta.verbose_name})
        with transaction.atomic():
            return self._record(Transition.COMMENT, user, self.state, text)

    def _refuse(self, action):
        raise TransitionError(
            _("You may not %(action)s this %(model)s while it is %(state)s.")
            % {"action": action.verb, "model": self._meta.verbose_name, "state": self.display_state.lower()}
        )

    def submit(self, user, comment=""):
        """Author: send a draft to the reviewers."""
        with transaction.atomic():
            action, comment = self._begin("submit", user, comment)
            if self.last_edited_by_id is None:
                # Submitting is an edit of record: the submitter can't then approve it themselves.
                self.last_edited_by = user
            self.state = action.to_state
            self._save_workflow("state", "last_edited_by")
            self._record(action.name, user, State.DRAFT, comment)

    def recall(self, user, comment=""):
        """Author: take a submission back to draft before anyone has reviewed it."""
        with transaction.atomic():
            action, comment = self._begin("recall", user, comment)
            self.state = action.to_state
            self._save_workflow("state")
            self._record(action.name, user, State.IN_REVIEW, comment)

    def approve(self, user, comment="", publish_at=None, major=False, note=""):
        """
        Reviewer: publish now, or at ``publish_at`` (a future time schedules it).

        Approving a new edition of a document that is already public replaces the
        public edition at once and keeps the original publication time; a new
        edition of a scheduled document keeps its publication time unless
        ``publish_at`` gives another.

        A new edition of something the public has seen is a *major* change, with
        a public ``note`` ("Corrected the time of the press conference") that
        readers see as "Updated …" and that moves the feeds' and search engines'
        "updated" time, or a *minor* one (a typo) that moves neither.
        """
        note = normalise_text((note or "").strip())
        with transaction.atomic():
            action, comment = self._begin("approve", user, comment)
            if major and not note:
                raise TransitionError(_("A major change needs a public note saying what changed."))
            now = timezone.now()
            previous = (
                type(self).objects.select_for_update()
                .filter(document=self.document, state__in=LIVE_STATES).exclude(pk=self.pk).first()
            )
            if previous is not None and previous.state == State.PUBLISHED and previous.published_at <= now:
                if publish_at is not None and publish_at > now:
                    raise TransitionError(
                        _("This item is already public; an approved edit replaces it at once and can't be scheduled.")
                    )
                self.published_at = previous.published_at
            elif previous is not None and previous.state == State.PUBLISHED:
                # An edit of a scheduled item keeps its embargo unless the reviewer sets another time.
                self.published_at = publish_at or previous.published_at
            else:
                self.published_at = publish_at or now
            self.revised_at = max(now, self.published_at)
            if previous is not None and previous.public_updated_at is not None and previous.published_at <= now:
                # It replaces what readers have seen: a major change says so, a minor one doesn't.
                self.change_note = note if major else ""
                self.public_updated_at = self.revised_at if major else max(previous.public_updated_at, self.published_at)
            else:
                self.change_note = ""
                self.public_updated_at = self.published_at
            if previous is not None:
                previous.state = State.SUPERSEDED
                previous._save_workflow("state")
            self.state = action.to_state
            self.withdrawn_at = None
            self.withdrawal_reason = ""
            self._save_workflow(
                "state", "published_at", "revised_at", "public_updated_at", "change_note", "withdrawn_at",
                "withdrawal_reason",
            )
            self._public_changed(action.name)
            self._translations_follow(major=bool(self.change_note))
            self._record(action.name, user, State.IN_REVIEW, comment)

    def _translations_follow(self, major):
        """A major change flags this document's translations; an approved translation follows its original again."""
        from . import translations  # translations reads this module, so it is imported late

        if major:
            translations.original_changed(self)
        translations.translation_updated(self)

    def return_to_draft(self, user, comment):
        """Reviewer: send back to the author, saying why."""
        with transaction.atomic():
            action, comment = self._begin("return_to_draft", user, comment)
            self.state = action.to_state
            self._save_workflow("state")
            self._record(action.name, user, State.IN_REVIEW, comment)

    def withdraw(self, user, reason):
        """Reviewer: take a published item down; the public sees the reason instead of the text."""
        with transaction.atomic():
            action, reason = self._begin("withdraw", user, reason)
            self.state = action.to_state
            self.withdrawn_at = timezone.now()
            self.withdrawal_reason = reason
            self._save_workflow("state", "withdrawn_at", "withdrawal_reason")
            self._public_changed(action.name)
            self._record(action.name, user, State.PUBLISHED, reason)

    def unschedule(self, user, comment=""):
        """
        Reviewer: stop a scheduled publication before it is due. The edition
        goes back to review, unseen by anyone outside the newsroom, and no
        public reason is asked: the public never knew of it.
        """
        with transaction.atomic():
            action, comment = self._begin("unschedule", user, comment)
            self.state = action.to_state
            self.published_at = self.revised_at = self.public_updated_at = None
            self._save_workflow("state", "published_at", "revised_at", "public_updated_at")
            self._public_changed(action.name)
            self._record(action.name, user, State.PUBLISHED, comment)

    def start_new_draft(self, user, comment=""):
        """Anyone who may edit: copy the live edition into a new draft edition and return it."""
        with transaction.atomic():
            action, comment = self._begin("start_new_draft", user, comment)
            draft = self._copy_as_new_edition(user)
            draft._record(action.name, user, self.state, comment)
        return draft

    def restore(self, user, comment=""):
        """
        Anyone who may edit: an earlier edition's content becomes a new draft, to be
        reviewed and approved like any other; nothing public changes until then.
        """
        with transaction.atomic():
            action, comment = self._begin("restore", user, comment)
            draft = self._copy_as_new_edition(user)
            draft._record(action.name, user, self.state, comment or _("Restored from version %(version)s") % {"version": self.version})
        return draft

    def receive_import(self, publish_at=None, comment=""):
        """
        A trusted import (a management command, no user): a new draft goes to
        review, or straight to published at ``publish_at`` for archive migration.

        This is the one way to publish with a past date (the date an archived
        item was first published, see ``importers``): it is safe because only a
        new item that nobody has seen may take it (version 1, a draft, never
        public), so no reader is told a public page is older than it is; the
        admin never calls it. The public's "updated" time is that date too, but
        the approval time (``revised_at``, behind ETags, the sitemap and the
        calendar's DTSTAMP) is the import's own, so caches and clients see a change.
        """
        with transaction.atomic():
            self._refresh_state()
            if self.state != State.DRAFT or self.editions().exclude(pk=self.pk).exists():
                raise TransitionError(_("Only a new item can be imported."))
            if publish_at is None:
                self.state = State.IN_REVIEW
                self._save_workflow("state")
            else:
                self.state = State.PUBLISHED
                self.published_at = self.public_updated_at = publish_at
                self.revised_at = max(publish_at, timezone.now())
                self._save_workflow("state", "published_at", "revised_at", "public_updated_at")
                self._public_changed(Transition.IMPORT)
            self._record(Transition.IMPORT, None, State.DRAFT, comment)

    def duplicate(self, user, with_pictures=False):
        """
        Anyone who may write: a new document started from this edition ("Duplicate
        as new draft"): a new draft, version 1, at a free address, with the same
        text, contacts and (for an advisory) programme, and the pictures if asked.
        Nothing of this document's history or publication comes with it.
        """
        model = type(self)
        if not user.has_perm(f"{model._meta.app_label}.add_{model._meta.model_name}"):
            raise TransitionError(
                _("You may not duplicate this %(model)s: you can't write %(models)s.")
                % {"model": self._meta.verbose_name, "models": self._meta.verbose_name_plural}
            )
        with transaction.atomic():
            copy = self._copy_as_new_document(user, with_pictures=with_pictures, slug_suffix="copy")
            copy._record(
                Transition.DUPLICATE, user, State.DRAFT,
                _("Duplicated from “%(title)s” version %(version)s") % {"title": self.title, "version": self.version},
            )
        return copy

    def _copy_as_new_document(self, user, with_pictures, slug_suffix, **changes):
        """
        A new document (a draft, version 1, at a free address ``<slug>-<suffix>``) with this edition's
        text, many-to-many fields and child rows (pictures and documents only ``with_pictures``);
        nothing of this document's history or publication. Shared by ``duplicate`` and ``translate``.
        """
        model = type(self)
        copy = model.objects.get(pk=self.pk)
        copy.pk = copy.id = None
        copy._state.adding = True
        copy.document = uuid.uuid4()
        copy.version = copy.revision = 1
        copy.state = State.DRAFT
        copy.created_by = copy.last_edited_by = user
        copy.published_at = copy.revised_at = copy.public_updated_at = copy.withdrawn_at = None
        copy.change_note = copy.withdrawal_reason = ""
        for name in getattr(self, "fields_not_duplicated", ()):
            setattr(copy, name, model._meta.get_field(name).get_default())
        for name, value in changes.items():
            setattr(copy, name, value)
        base = self.slug[: model._meta.get_field("slug").max_length - 10]
        copy.slug = next(
            slug for slug in (f"{base}-{slug_suffix}", *(f"{base}-{slug_suffix}-{n}" for n in range(2, 10_000)))
            if not model.objects.filter(slug=slug).exists()
        )
        copy.save()
        for field in model._meta.many_to_many:
            getattr(copy, field.name).set(getattr(self, field.name).all())
        for name in self.copied_child_relations:
            if name in ("pictures", "documents") and not with_pictures:
                continue
            foreign_key = getattr(self, name).field.name
            for row in getattr(self, name).all():
                row.pk = row.id = None
                row._state.adding = True
                setattr(row, foreign_key, copy)
                row.save()  # a picture row shares its files; they go only when no row uses them
        return copy

    def _copy_as_new_edition(self, user):
        model = type(self)
        latest = self.editions().order_by("-version").values_list("version", flat=True).first()
        draft = model.objects.get(pk=self.pk)
        many_to_many = {f.name: list(getattr(self, f.name).all()) for f in model._meta.many_to_many}
        children = {name: list(getattr(self, name).all()) for name in self.copied_child_relations}
        draft.pk = draft.id = None
        draft._state.adding = True
        draft.version = latest + 1
        draft.state = State.DRAFT
        draft.created_by = user
        draft.last_edited_by = None
        draft.revision = 1
        # Nothing of the live edition's publication belongs to the draft: it is published (keeping
        # the document's first publication time) only when approved, and until then it may be deleted.
        draft.published_at = draft.revised_at = draft.public_updated_at = None
        draft.change_note = ""
        draft.withdrawn_at = None
        draft.withdrawal_reason = ""
        draft.save()
        for name, objects in many_to_many.items():
            getattr(draft, name).set(objects)
        for name, rows in children.items():
            field = getattr(self, name).field.name
            for row in rows:
                row.pk = row.id = None
                row._state.adding = True
                setattr(row, field, draft)
                row.save()
        return draft


class Transition(models.Model):
    """One workflow move, kept for the audit trail."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    document = models.UUIDField(db_index=True)
    version = models.PositiveIntegerField()
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    #: The action's name in ``TRANSITIONS``, or COMMENT for a remark that moves nothing, IMPORT for an import.
    action = models.CharField(max_length=30, blank=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    COMMENT, IMPORT, DUPLICATE = "comment", "import", "duplicate"
    TRANSLATE, ACKNOWLEDGE = "translate", "acknowledge"

    @property
    def label(self):
        """What happened, in the newsroom's words: the action's label, "Comment" or "Imported"."""
        if self.action in TRANSITIONS:
            return TRANSITIONS[self.action].label
        return {
            self.COMMENT: _("Comment"), self.IMPORT: _("Imported"), self.DUPLICATE: _("Duplicated"),
            self.TRANSLATE: _("Translation started"), self.ACKNOWLEDGE: _("Original's change acknowledged"),
        }.get(self.action, _("Moved"))

    @property
    def moves(self):
        return self.from_state != self.to_state

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            # An edition's conversation, and its latest move (``with_last_move``), newest first.
            models.Index(fields=["content_type", "object_id", "-at"], name="releases_transition_edition"),
        ]

    def __str__(self):
        return f"{self.get_from_state_display()} → {self.get_to_state_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"
