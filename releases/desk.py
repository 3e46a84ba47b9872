"""
The desk: the admin's home page, one set of panels per role (issue 10).

A writer sees what is theirs to do (returned to them, with the reviewer's
words; their drafts; what they sent to review; what of theirs went out
lately); a reviewer what waits for them (oldest first, with its age), what is
scheduled in the next seven days and what went out lately; the press office the
contacts and sources changed lately. Which panels a person gets follows their
permissions, as the workflow's own checks do: ``publish_*`` for the reviewer's
panels, ``change_*`` for the writer's, ``change_contact`` / ``change_source``
for the press office's. A superuser has them all.

The archive holds a million editions, so every panel is read the way the
changelists are: the small sets (drafts, in review, scheduled this week) from
indexes that hold only them — the working editions' unique index, the
published editions' (published_at) index — and counted there; the archive
itself only ever as "the latest ten" from the (published_at) index, never
counted. A panel costs a constant number of queries, however many items it
holds: at most two per model (the rows, and a COUNT only when the rows fill the
panel), plus one for the names of the people in it.

Each panel also exists as a changelist filter (``DeskFilter``, ``?desk=…``),
so its "see all" link shows the same set, defined here once.
"""
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext_lazy as _

from . import languages
from .models import Advisory, Contact, Release, Source, Translation
from .workflow import WORKING_STATES, State, Transition

#: Rows shown on a panel; the count (when there is one) says how many there are in all.
PANEL_SIZE = 10
#: How far ahead the reviewer's "scheduled" panel looks.
SCHEDULED_AHEAD = timedelta(days=7)
#: How far back "recently changed" counts for the press office.
CHANGED_SINCE = timedelta(days=7)
PUBLISHABLE_MODELS = (Release, Advisory)


# --- what each panel holds: one definition, for the desk and the changelist filter ----------


def authored_by(queryset, user):
    """
    Editions ``user`` wrote: created, last edited or submitted (``Publishable.authors``).
    Meant for the small working sets; the submitter test is one indexed lookup per row.
    """
    submitted = Transition.objects.filter(
        content_type=ContentType.objects.get_for_model(queryset.model), object_id=OuterRef("pk"),
        to_state=State.IN_REVIEW, actor=user,
    )
    return queryset.filter(Q(created_by=user) | Q(last_edited_by=user) | Exists(submitted))


def returned_to(queryset, user):
    """Drafts of ``user``'s that a reviewer sent back, the latest return first."""
    return authored_by(queryset.returned(), user).order_by("-last_action_at", "-pk")


def drafts_of(queryset, user):
    """``user``'s drafts: the returned ones first (that is where the author looks), then the latest saved."""
    returned_first = Case(When(last_action="return_to_draft", then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        authored_by(queryset.with_last_move().filter(state=State.DRAFT), user)
        .order_by(returned_first, "-updated_at", "-pk")
    )


def in_review_from(queryset, user):
    """What ``user`` sent to review and nobody has decided on yet, the latest sent first."""
    return (
        authored_by(queryset.with_last_move().filter(state=State.IN_REVIEW), user)
        .order_by(F("last_action_at").desc(nulls_last=True), "-pk")
    )


def published_by(queryset, user, now=None):
    """
    What ``user`` created or last edited that is public now, newest first. Only the
    two indexed columns (not the submitters' history), so the database can read it
    from the user's own rows rather than walk the archive looking for them.
    """
    return (
        queryset.published(now).filter(Q(created_by=user) | Q(last_edited_by=user))
        .order_by("-published_at", "-id")
    )


def waiting_for(queryset, user):
    """In review and not ``user``'s own last edit: the oldest submission first."""
    return (
        queryset.awaiting_review_by(user).with_last_move()
        .order_by(Coalesce("last_action_at", "updated_at").asc(), "pk")
    )


def scheduled_soon(queryset, now=None):
    """Approved, and due within ``SCHEDULED_AHEAD``: the soonest first."""
    now = now or timezone.now()
    return queryset.scheduled(now).filter(published_at__lte=now + SCHEDULED_AHEAD).order_by("published_at", "id")


def recently_published(queryset, now=None):
    """The newsroom's latest publications, read newest first from the (published_at) index."""
    return queryset.published(now).order_by("-published_at", "-id")


def translations_waiting(queryset):
    """Translations being written or reviewed (a draft or in review): the oldest save first."""
    translated = Translation.objects.filter(original__isnull=False).values("document")
    return queryset.filter(state__in=WORKING_STATES, document__in=translated).order_by("updated_at", "id")


def translations_out_of_date(queryset):
    """Translations whose original got a major change they haven't followed: each document's newest edition."""
    flagged = Translation.objects.filter(original_changed=True).values("document")
    return queryset.current().filter(document__in=flagged).order_by("updated_at", "id")


# --- the panels --------------------------------------------------------------------------


@dataclass
class Row:
    title: str
    url: str
    kind: str
    when: object = None
    #: "3 hours", "2 days": how long it has waited, or how long until it goes out.
    age: str = ""
    #: The reviewer's comment's first line, on a returned draft.
    note: str = ""
    returned: bool = False
    actor_id: int = None
    by: str = ""
    detail: str = ""


@dataclass
class Panel:
    key: str
    title: str
    empty: str
    rows: list = field(default_factory=list)
    #: How many there are in all; None for the archive, which is never counted ("latest 10").
    count: int = None
    #: (label, url) of the changelists that show the whole set.
    see_all: list = field(default_factory=list)
    #: The panel's title links to a page of its own (the review queue), if any.
    url: str = ""

    @property
    def more(self):
        return self.count is not None and self.count > len(self.rows)


def first_line(text):
    """The first non-empty line of a comment: what fits in a list."""
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def publishable_panel(key, title, empty, models, select, describe, count=True):
    """
    One panel over releases and advisories: ``select(model)`` gives each model's
    queryset, in the panel's order (its first field a date, for the merge);
    ``describe(item)`` gives a row. Each model is read with one LIMITed query;
    it is counted only when that fills the panel (and ``count`` asks for it).
    """
    panel = Panel(key=key, title=title, empty=empty, count=0 if count else None)
    rows = []
    for model in models:
        queryset = select(model)
        items = list(queryset.select_related("source")[:PANEL_SIZE])
        found = len(items)
        if count and found == PANEL_SIZE:
            found = queryset.order_by().count()
        if count:
            panel.count += found
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if count and found:
            label = f"{found} {opts.verbose_name if found == 1 else opts.verbose_name_plural}"
            panel.see_all.append((label, f"{changelist}?{urlencode({'desk': key})}"))
        elif not count:
            panel.see_all.append((opts.verbose_name_plural, f"{changelist}?{urlencode({'desk': key})}"))
        for item in items:
            row = describe(item)
            row.title, row.kind = str(item), opts.verbose_name
            row.url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk])
            rows.append((row.when, row))
    return panel, rows


def merged(panel, rows, newest_first):
    """Both models' rows in one list, by the panel's time, cut to the panel's size."""
    rows.sort(key=lambda pair: pair[0].timestamp() if pair[0] else 0, reverse=newest_first)
    panel.rows = [row for _, row in rows[:PANEL_SIZE]]
    return panel


def permitted(user, permission):
    """
    The publishable models on which ``user`` holds ``change`` or ``publish``, and may
    see in the admin (``change`` implies it; a bare ``publish`` without ``view`` shows nothing).
    """
    check = {"change": lambda model: model.change_permission(), "publish": lambda model: model.publish_permission()}[permission]
    return [
        model for model in PUBLISHABLE_MODELS
        if user.has_perm(check(model))
        and (user.has_perm(model.change_permission()) or user.has_perm(f"releases.view_{model._meta.model_name}"))
    ]


def writer_panels(user, now):
    models = permitted(user, "change")
    if not models:
        return []

    def returned_row(item):
        return Row(
            title="", url="", kind="", when=item.last_action_at, age=timesince(item.last_action_at, now, depth=1),
            note=first_line(item.last_comment), returned=True, actor_id=item.last_actor_id,
        )

    def draft_row(item):
        returned = item.last_action == "return_to_draft"
        return Row(
            title="", url="", kind="", when=item.updated_at, age=timesince(item.updated_at, now, depth=1),
            returned=returned, note=first_line(item.last_comment) if returned else "",
            actor_id=item.last_actor_id if returned else None,
        )

    def in_review_row(item):
        sent = item.last_action_at or item.updated_at
        return Row(title="", url="", kind="", when=sent, age=timesince(sent, now, depth=1))

    def published_row(item):
        return Row(title="", url="", kind="", when=item.published_at, age=timesince(item.published_at, now, depth=1))

    returned = merged(*publishable_panel(
        "returned", _("Returned to me"), _("Nothing has been returned to you."), models,
        lambda model: returned_to(model.objects, user), returned_row,
    ), newest_first=True)
    drafts = publishable_panel(
        "drafts", _("My drafts"), _("You have no drafts."), models, lambda model: drafts_of(model.objects, user), draft_row,
    )
    # Returned drafts first, then the latest saved: the order the queries gave, kept across both models.
    drafts[1].sort(key=lambda pair: (not pair[1].returned, -(pair[0].timestamp() if pair[0] else 0)))
    drafts[0].rows = [row for _, row in drafts[1][:PANEL_SIZE]]
    in_review = merged(*publishable_panel(
        "in_review", _("Mine in review"), _("Nothing of yours is waiting for review."), models,
        lambda model: in_review_from(model.objects, user), in_review_row,
    ), newest_first=True)
    published = merged(*publishable_panel(
        "mine_published", _("Mine, recently published"), _("Nothing of yours has been published yet."), models,
        lambda model: published_by(model.objects, user, now), published_row, count=False,
    ), newest_first=True)
    return [returned, drafts[0], in_review, published]


def reviewer_panels(user, now):
    models = permitted(user, "publish")
    if not models:
        return []

    def waiting_row(item):
        sent = item.last_action_at or item.updated_at
        return Row(
            title="", url="", kind="", when=sent, age=timesince(sent, now, depth=1), actor_id=item.last_edited_by_id,
        )

    def scheduled_row(item):
        return Row(title="", url="", kind="", when=item.published_at, age=timeuntil(item.published_at, now, depth=1))

    def published_row(item):
        return Row(title="", url="", kind="", when=item.published_at, age=timesince(item.published_at, now, depth=1))

    waiting = merged(*publishable_panel(
        "waiting", _("Waiting for my review"), _("Nothing is waiting for you."), models,
        lambda model: waiting_for(model.objects, user), waiting_row,
    ), newest_first=False)
    waiting.url = reverse("review-queue")
    scheduled = merged(*publishable_panel(
        "scheduled_week", _("Scheduled in the next 7 days"), _("Nothing is scheduled for the next 7 days."), models,
        lambda model: scheduled_soon(model.objects, now), scheduled_row,
    ), newest_first=False)
    published = merged(*publishable_panel(
        "published", _("Recently published"), _("Nothing has been published yet."), models,
        lambda model: recently_published(model.objects, now), published_row, count=False,
    ), newest_first=True)
    return [waiting, scheduled, published]


def translation_panels(user, now):
    """In a newsroom with several languages: what translators have to do."""
    models = permitted(user, "change")
    if not models or not languages.multilingual():
        return []

    def row(item):
        return Row(
            title="", url="", kind="", when=item.updated_at, age=timesince(item.updated_at, now, depth=1),
            detail=languages.name(item.language),
        )

    waiting = merged(*publishable_panel(
        "translations_waiting", _("Translations being written or reviewed"), _("No translation is in the works."),
        models, lambda model: translations_waiting(model.objects), row,
    ), newest_first=False)
    outdated = merged(*publishable_panel(
        "translations_out_of_date", _("Translations whose original changed"),
        _("Every translation follows its original."), models,
        lambda model: translations_out_of_date(model.objects), row,
    ), newest_first=False)
    return [outdated, waiting]


def press_office_panels(user, now):
    models = [model for model in (Contact, Source) if user.has_perm(f"releases.change_{model._meta.model_name}")]
    if not models:
        return []
    panel = Panel(
        key="changed", title=_("Contacts and sources recently changed"),
        empty=_("No contact or source has changed in the last 7 days."), count=0,
    )
    since = now - CHANGED_SINCE
    rows = []
    for model in models:
        opts = model._meta
        recent = model.objects.filter(updated_at__gte=since)
        queryset = recent.order_by("-updated_at", "-pk")
        if model is Contact:
            queryset = queryset.select_related("source")
        items = list(queryset[:PANEL_SIZE])
        found = len(items) if len(items) < PANEL_SIZE else recent.order_by().count()
        panel.count += found
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if found:
            label = f"{found} {opts.verbose_name if found == 1 else opts.verbose_name_plural}"
            panel.see_all.append((label, f"{changelist}?{urlencode({'updated_at__gte': since.isoformat()})}"))
        for item in items:
            rows.append((item.updated_at, Row(
                title=item.name, kind=opts.verbose_name, when=item.updated_at,
                url=reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk]),
                age=timesince(item.updated_at, now, depth=1),
                detail=str(item.source) if model is Contact else "",
            )))
    return [merged(panel, rows, newest_first=True)]


@dataclass
class Section:
    role: str
    panels: list


def desk_for(user, now=None):
    """The sections of ``user``'s desk (writer, reviewer, press office), each a list of panels."""
    now = now or timezone.now()
    # A reviewer writes too, but what waits for their review comes first: someone else is waiting on it.
    sections = [
        Section(_("Reviewing"), reviewer_panels(user, now)),
        Section(_("Writing"), writer_panels(user, now)),
        Section(_("Translating"), translation_panels(user, now)),
        Section(_("Press office"), press_office_panels(user, now)),
    ]
    sections = [section for section in sections if section.panels]
    # The names of the people on the desk (who returned a draft, who wrote what waits), in one query.
    ids = {row.actor_id for section in sections for panel in section.panels for row in panel.rows} - {None}
    people = get_user_model().objects.in_bulk(ids) if ids else {}
    for section in sections:
        for panel in section.panels:
            for row in panel.rows:
                person = people.get(row.actor_id)
                if person is not None:
                    row.by = person.get_full_name() or person.get_username()
    return sections


def desk_view(request):
    """The admin's home page with the desk above the list of apps (the page Django's admin would show)."""
    return admin.site.index(request, extra_context={"desk": desk_for(request.user)})


# --- the same sets in the changelists --------------------------------------------------------


class DeskFilter(admin.SimpleListFilter):
    """The desk's panels as a changelist filter: each panel's "see all" shows this set."""

    title = _("desk")
    parameter_name = "desk"

    def lookups(self, request, model_admin):
        model, user = model_admin.model, request.user
        choices = []
        if user.has_perm(model.change_permission()):
            choices += [
                ("returned", _("Returned to me")), ("drafts", _("My drafts")), ("in_review", _("Mine in review")),
                ("mine_published", _("Mine, published")),
            ]
        if user.has_perm(model.change_permission()) and languages.multilingual():
            choices += [
                ("translations_waiting", _("Translations in the works")),
                ("translations_out_of_date", _("Translations whose original changed")),
            ]
        if user.has_perm(model.publish_permission()):
            choices += [
                ("waiting", _("Waiting for my review")), ("scheduled_week", _("Scheduled in the next 7 days")),
                ("published", _("Published")),
            ]
        return choices

    def queryset(self, request, queryset):
        user, now = request.user, timezone.now()
        select = {
            "returned": lambda: returned_to(queryset, user),
            "drafts": lambda: drafts_of(queryset, user),
            "in_review": lambda: in_review_from(queryset, user),
            "mine_published": lambda: published_by(queryset, user, now),
            "waiting": lambda: waiting_for(queryset, user),
            "scheduled_week": lambda: scheduled_soon(queryset, now),
            "published": lambda: recently_published(queryset, now),
            "translations_waiting": lambda: translations_waiting(queryset),
            "translations_out_of_date": lambda: translations_out_of_date(queryset),
        }.get(self.value())
        return select() if select is not None else queryset


@admin.display(description=_("review"))
def returned_marker(item):
    """
    The changelists' "Returned" marker with the reviewer's first line. Reads the
    ``with_last_move`` annotations the admin's queryset carries, so it costs no query.
    """
    if item.state != State.DRAFT or getattr(item, "last_action", None) != "return_to_draft":
        return ""
    return format_html(
        '<span class="nr-returned-marker"><strong>{}</strong> {}</span>', _("Returned"), first_line(item.last_comment),
    )
