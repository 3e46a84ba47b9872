import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, models, transaction
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import admin_panels, languages, localtime, presence, translations
from .compare_views import CompareView, compare_link
from .desk import DeskFilter, returned_marker
from .documents import DocumentField
from .forms import EditionForm, NormalisedTextForm, PublicationTimeForm
from .models import Advisory, AdvisoryTemplate, Contact, Document, Picture, ProgrammeEntry, Release, Source, Topic
from .pictures import PictureField
from .text import normalise_text
from .workflow import LIVE_STATES, TRANSITIONS, WORKING_STATES, StaleEdit, State, TransitionError


#: A web address typed without a scheme is taken as https (Django 6's default, chosen now).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class TransitionForm(PublicationTimeForm):
    """
    Input for a workflow action: a comment (required to return or withdraw), a
    publication time in the newsroom's zone (see ``PublicationTimeForm``), and for
    an approval that replaces what readers have seen, whether the change is major
    (with its public note) or minor.
    """

    MAJOR, MINOR = "major", "minor"
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    change = forms.ChoiceField(required=False, choices=[(MAJOR, _("Major change")), (MINOR, _("Minor change"))])
    note = forms.CharField(required=False, max_length=500)


class EditionFilter(admin.SimpleListFilter):
    """By default, hide editions that a newer approved edition replaced."""

    title = _("editions")
    parameter_name = "editions"

    def lookups(self, request, model_admin):
        return [("all", _("All, including superseded"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Current"),
        }
        yield from super().choices(changelist)

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.exclude(state=State.SUPERSEDED)


class ReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("mine", _("Waiting for my review")), ("scheduled", _("Scheduled"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.awaiting_review_by(request.user)
        if self.value() == "scheduled":
            return queryset.filter(state=State.PUBLISHED, published_at__gt=timezone.now())
        return queryset


#: Said to the editor on a teaser (``Teaser.teaser_without_url``) whose full text the page can't link.
TEASER_WITHOUT_URL = _(
    "The summary ends in “…”, so this is a teaser, but no original URL says where the full text is: "
    "add it, and the page and the lists will link readers to it."
)


class LanguageFilter(admin.SimpleListFilter):
    """By the item's language; absent while the newsroom has only one (``lookups`` empty hides it)."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return languages.languages() if languages.multilingual() else []

    def queryset(self, request, queryset):
        if self.value() in languages.codes():
            return queryset.filter(language=self.value())
        return queryset


class DeletesOneByOne:
    """Bulk deletion through each object's own delete(), which removes its pictures' files too."""

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                obj.delete()


class EstimatedCountPaginator(Paginator):
    """
    The admin's paginator for large archives: an exact COUNT(*) only when the
    planner expects a small result; otherwise PostgreSQL's own row estimate, so
    that opening a changelist doesn't scan a million rows to print a number.
    """

    exact_below = 10_000

    @cached_property
    def count(self):
        if connection.vendor == "postgresql":
            sql, params = self.object_list.order_by().values("pk").query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            estimate = int(plan[0]["Plan"]["Plan Rows"])
            if estimate >= self.exact_below:
                return estimate
        return super().count


class TranslatedChangeList(ChangeList):
    """The changelist, with each row's translations read for the whole page in two queries, not per row."""

    def get_results(self, request):
        super().get_results(request)
        if languages.multilingual():
            found = translations.translations_of_many(self.result_list)
            for obj in self.result_list:
                obj._translations = found.get(obj.document, [])


class PublishableAdmin(DeletesOneByOne, admin.ModelAdmin):
    """The editors' tool for any publishable model: editions, transition buttons, history, preview."""

    change_form_template = "admin/releases/publishable_change_form.html"
    form = EditionForm
    list_display = ["title", "source", "state_label", returned_marker, "version", "publication_time", "saved_time", "last_edited_by"]
    list_filter = [EditionFilter, DeskFilter, ReviewFilter, LanguageFilter, "state", "source", "published_at"]
    list_select_related = ["source", "last_edited_by"]
    search_fields = ["title", "summary", "slug"]
    autocomplete_fields = ["contacts"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["state_label", "version", "publication_time", "approval_time", "created_by", "last_edited_by"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    formfield_overrides = URL_FIELDS

    def get_queryset(self, request):
        # Each row's latest move, for the "Returned" marker (one indexed subquery per row shown).
        return super().get_queryset(request).with_last_move()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "topics":
            # A choice among the press office's topics, checked on the server: django-taggit's own
            # field is free text that creates any tag typed into it. No "+": writers don't add topics.
            return forms.ModelMultipleChoiceField(
                Topic.objects.all(), required=False, label=_("Topics"), help_text=db_field.help_text,
                # Check boxes: a curated list is short, and the admin's two-list filter widget puts ARIA
                # attributes on its labels that axe-core flags (aria-prohibited-attr).
                widget=forms.CheckboxSelectMultiple,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("state"), ordering="state")
    def state_label(self, obj):
        return obj.display_state

    @admin.display(description=_("publication time"), ordering="published_at", empty_value="—")
    def publication_time(self, obj):
        """In the newsroom's time, with its zone: "Wed 8 Nov 2023 at 17:30 CET"."""
        return localtime.describe(obj.published_at) if obj.published_at else None

    @admin.display(description=_("last saved"), ordering="updated_at")
    def saved_time(self, obj):
        return localtime.describe(obj.updated_at)

    @admin.display(description=_("last approved"), ordering="revised_at", empty_value="—")
    def approval_time(self, obj):
        return localtime.describe(obj.revised_at) if obj.revised_at else None

    def get_changelist(self, request, **kwargs):
        return TranslatedChangeList

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        if languages.multilingual():
            shown[1:1] = ["language_label", "translations_column"]
        return shown

    @admin.display(description=_("language"), ordering="language")
    def language_label(self, obj):
        return languages.name(obj.language)

    @admin.display(description=_("translations"), empty_value="—")
    def translations_column(self, obj):
        # Read for the whole page at once (``TranslatedChangeList``); only in a newsroom with several languages.
        pairs = obj._translations if hasattr(obj, "_translations") else translations.translations_of(obj)
        if not pairs:
            return None
        opts = self.opts
        return format_html(
            "<ul class=\"nr-translations\">{}</ul>",
            mark_safe("".join(
                format_html(
                    '<li><a href="{}" lang="{}">{}</a>: {}{}</li>',
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[edition.pk]), row.language,
                    languages.name(row.language), edition.display_state,
                    format_html(" — <strong>{}</strong>", _("original changed")) if row.original_changed else "",
                )
                for row, edition in pairs if edition is not None
            )),
        )

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None and obj.slug_locked:
            return {}
        return super().get_prepopulated_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.slug_locked:
            fields.append("slug")
        if obj is not None and not obj.editable:
            fields.append("rendered_body")
        if obj is not None and languages.multilingual() and obj.language_fixed():
            fields.append("language")
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not languages.multilingual():
            # One language: the field isn't shown and every item takes the default.
            fieldsets = [
                (name, {**options, "fields": [field for field in options["fields"] if field != "language"]})
                for name, options in fieldsets
            ]
        if obj is None or obj.editable:
            return fieldsets
        # A version that can't be edited shows its body as readers see it, not its HTML source.
        return [
            (name, {**options, "fields": ["rendered_body" if field == "body" else field for field in options["fields"]]})
            for name, options in fieldsets
        ]

    @admin.display(description=_("Body"))
    def rendered_body(self, obj):
        # body_html is the nh3-sanitised copy the public page prints (releases.text.render_body).
        return format_html('<div class="nr-rendered-body">{}</div>', mark_safe(obj.body_html))

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.editable:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Only an edition still being written can be deleted (a new draft of a published item
        # included: the live edition stays). Something that has been public is withdrawn, never
        # deleted, so the audit trail stays whole.
        if obj is not None and (obj.state not in WORKING_STATES or obj.published_at is not None):
            return False
        return super().has_delete_permission(request, obj)

    def get_view_on_site_url(self, obj=None):
        if obj is None or not obj.is_public:
            return None
        return obj.get_absolute_url()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = obj.last_edited_by = request.user
            super().save_model(request, obj, form, change)
        # A change is written by save_related, once it is known whether anything changed at all.

    def save_related(self, request, form, formsets, change):
        """
        An edit is written through ``save_edit``: content columns only, and only
        if the edition is unchanged since the form was opened. Only a real change
        (of a field, a contact, a picture or a programme entry) makes the user the
        last editor, which four eyes then keeps from approving it.
        """
        if change and (form.has_changed() or any(formset.has_changed() for formset in formsets)):
            form.instance.save_edit(request.user, form.cleaned_data["revision"], form.changed_data)
        super().save_related(request, form, formsets, change)
        # Saved and leaving the form ("Save", "Save and add another"): told now. Back on the form
        # ("Save and continue", a move), its GET says it, once.
        if form.instance.teaser_without_url and not {"_continue", "_transition"} & set(request.POST):
            messages.warning(request, TEASER_WITHOUT_URL)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """An edit posted for an edition that is no longer a draft gets the conflict page, not a 403."""
        if request.method == "POST" and object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and not obj.editable and super().has_change_permission(request):
                return self.stale_edit_response(request, obj)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleEdit:
            # The UPDATE's own check refused it (the transaction was rolled back): the same page.
            return self.stale_edit_response(request, self.get_object(request, unquote(object_id)))

    def stale_edit_response(self, request, obj):
        """
        409: the editor's save came after someone moved or changed the edition. Their
        text is shown with the differences from the saved version, so nothing is lost.
        """
        form = self.get_form(request, obj)(instance=obj)
        posted = {name: request.POST.get(form.add_prefix(name)) for name in form.fields}
        who, when, what = obj.last_change()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Your changes were not saved"),
            "opts": self.opts,
            "item": obj,
            "who": who,
            "when": when,
            "what": what,
            "differences": form.differences(obj, posted),
            "current_url": self.change_url(obj),
        }
        return TemplateResponse(request, "admin/releases/stale_edit.html", context, status=409)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The title's address preview (static/js/newsroom-writing.js): the public address up to the slug.
        example = request.build_absolute_uri(reverse(f"releases:{self.model.kind}-detail", args=["slug"]))
        context["address_prefix"] = example[: -len("slug/")]
        if request.method == "POST":
            # Here only with errors (a valid form is saved and redirected). A browser can't put a
            # chosen file back into a file input, so say which ones must be chosen again.
            context["files_to_choose_again"] = [
                upload.name for key, upload in request.FILES.items() if key.startswith("pictures-")
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if obj is not None and obj.teaser_without_url and request.method == "GET":
            messages.warning(request, TEASER_WITHOUT_URL)
        if obj is not None:
            if obj.editable and request.method == "GET" and self.has_change_permission(request, obj):
                presence.mark_editing(obj, request.user)
            transitions = obj.available_transitions(request.user)
            extra_context.update(
                # Moves out of a draft go through the edit form, so that unsaved edits are saved first.
                form_transitions=[action for action in transitions if obj.editable and action.name != "start_new_draft"],
                transitions=[action for action in transitions if not obj.editable or action.name == "start_new_draft"],
                transition_form=self._transition_form(request, obj),
                conversation=obj.history(),
                returned=type(obj).objects.returned().filter(pk=obj.pk).first(),
                others_editing=presence.others_editing(obj, request.user),
                presence_url=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_presence", args=[obj.pk]),
                comment_url=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_comment", args=[obj.pk]),
                panels=admin_panels.render(request, obj),
                editions=obj.editions().order_by("-version"),
                preview_url=reverse("releases:preview", args=[obj.kind, obj.pk]),
                compare=compare_link(obj, request.user),
                duplicate_url=(
                    reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_duplicate", args=[obj.pk])
                    if self.has_add_permission(request) else None
                ),
                blocked_transitions=obj.blocked_transitions(request.user),
                item=obj,
                **self._translation_context(request, obj),
            )
            if obj.state in LIVE_STATES and obj.working_edition():
                extra_context["working_edition"] = obj.working_edition()
            if obj.state in WORKING_STATES:
                extra_context["live_edition"] = obj.live_edition()
        return super().change_view(request, object_id, form_url, extra_context)

    def _translation_context(self, request, obj):
        """The change form's translation box: the group, the out-of-date flag with its diff, "Translate into"."""
        if not languages.multilingual():
            return {}
        opts = self.opts
        context = {
            "item_language": languages.name(obj.language),
            "item_translations": [(row, languages.name(row.language), edition) for row, edition in translations.translations_of(obj)],
        }
        if translations.can_translate(obj, request.user) and self.has_add_permission(request):
            context["translate_url"] = reverse(f"admin:{opts.app_label}_{opts.model_name}_translate", args=[obj.pk])
            context["translate_languages"] = translations.missing_languages(obj)
        row = translations.Translation.objects.filter(document=obj.document, original__isnull=False).first()
        if row is not None:
            original = row.current_original()
            context["translated_from"] = original  # not "original": the admin calls the item itself that
            if row.original_changed and original is not None:
                context["original_changed"] = True
                context["original_diff_url"] = (
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_compare", args=[original.pk])
                    + f"?from={row.original_version}&to={original.version}"
                )
                context["acknowledge_url"] = reverse(f"admin:{opts.app_label}_{opts.model_name}_acknowledge", args=[obj.pk])
        return context

    def change_url(self, item):
        """The admin address of ``item``'s change form (where every move and copy sends the editor)."""
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[item.pk])

    def posted_item(self, request, object_id, adding=False):
        """
        The item a POST-only action of its form acts on: 404 for no such item, 403 for a user who
        can't see it or, for an action that makes a new document (``adding``), can't add one.
        """
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj) or (adding and not self.has_add_permission(request)):
            raise PermissionDenied
        return obj

    def translate_view(self, request, object_id):
        """"Translate into French": a new draft in that language, from this edition (``translations.translate``)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.posted_item(request, object_id, adding=True)
        language = request.POST.get("language", "")
        try:
            draft = translations.translate(obj, language, request.user)
        except TransitionError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(self.change_url(obj))
        messages.success(request, _(
            "This is a new draft in %(language)s, prefilled with the text of “%(item)s”: translate the title, summary "
            "and body (and the address, “%(slug)s”) before submitting it."
        ) % {"language": languages.name(language), "item": obj, "slug": draft.slug})
        return HttpResponseRedirect(self.change_url(draft))

    def acknowledge_view(self, request, object_id):
        """A translator has seen what changed in the original: the out-of-date flag goes."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.posted_item(request, object_id)
        try:
            translations.acknowledge(obj, request.user, normalise_text(request.POST.get("comment", "")))
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Marked as following the original's latest version."))
        return HttpResponseRedirect(self.change_url(obj))

    def _transition_form(self, request, obj):
        """The workflow actions' inputs: empty, or as last typed when a move was refused for them (once)."""
        typed = request.session.pop(self._transition_input_key(obj), None) if request.method == "GET" else None
        if typed is None:
            return TransitionForm()
        form = TransitionForm(typed)
        form.is_valid()  # the errors, shown beside the inputs
        return form

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="%s_%s_transition" % info,
            ),
            path(
                "<path:object_id>/compare/",
                self.admin_site.admin_view(CompareView.as_view(model_admin=self)),
                name="%s_%s_compare" % info,
            ),
            path("<path:object_id>/comment/", self.admin_site.admin_view(self.comment_view), name="%s_%s_comment" % info),
            path("<path:object_id>/presence/", self.admin_site.admin_view(self.presence_view), name="%s_%s_presence" % info),
            path("<path:object_id>/autosave/", self.admin_site.admin_view(self.autosave_view), name="%s_%s_autosave" % info),
            path(
                "<path:object_id>/duplicate/", self.admin_site.admin_view(self.duplicate_view),
                name="%s_%s_duplicate" % info,
            ),
            path(
                "<path:object_id>/translate/", self.admin_site.admin_view(self.translate_view),
                name="%s_%s_translate" % info,
            ),
            path(
                "<path:object_id>/acknowledge/", self.admin_site.admin_view(self.acknowledge_view),
                name="%s_%s_acknowledge" % info,
            ),
        ] + super().get_urls()

    def duplicate_view(self, request, object_id):
        """"Duplicate as new draft": a new document from this edition (see ``Publishable.duplicate``)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.posted_item(request, object_id, adding=True)
        try:
            copy = obj.duplicate(request.user, with_pictures=bool(request.POST.get("with_pictures")))
        except TransitionError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(self.change_url(obj))
        messages.success(request, _(
            "This is a new draft, duplicated from “%(item)s”, at the address “%(slug)s”: change the title and the "
            "address before submitting it."
        ) % {"item": obj, "slug": copy.slug})
        return HttpResponseRedirect(self.change_url(copy))

    def comment_view(self, request, object_id):
        """A remark in the item's conversation: it moves nothing and anyone on the desk may answer."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.posted_item(request, object_id)
        try:
            obj.add_comment(request.user, normalise_text(request.POST.get("comment", "")))
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your comment is in the conversation."))
        return HttpResponseRedirect(self.change_url(obj) + "#nr-conversation")

    def presence_view(self, request, object_id):
        """The open form's heartbeat (POST): who else is editing, as JSON."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_change_permission(request, obj):
            raise Http404
        presence.mark_editing(obj, request.user)
        others = [
            {"name": name, "since": timezone.localtime(since).strftime("%H:%M")}
            for name, since in presence.others_editing(obj, request.user)
        ]
        return JsonResponse({"others": others})

    def autosave_view(self, request, object_id):
        """
        The open form, saved in the background after a few seconds without typing
        (static/js/newsroom-autosave.js), as JSON. Only a draft, only through
        ``save_edit`` with the revision the form holds, so it never overwrites
        someone else's save (409, and the page stops autosaving) and never touches
        a version that has moved on. Nothing changed is nothing written: the editor
        doesn't become the last editor by opening a form. Contacts and pictures are
        saved by the Save button only.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        if not super().has_change_permission(request, obj):
            raise PermissionDenied
        if obj.state != State.DRAFT:
            return JsonResponse({"status": "conflict", "message": str(_(
                "This version is no longer a draft, so it isn't saved automatically. Reload the page."
            ))}, status=409)
        with transaction.atomic():
            form = self.get_form(request, obj, change=True)(request.POST, instance=obj)
            if not form.is_valid():
                if form.conflict is not None:
                    return JsonResponse({"status": "conflict", "message": " ".join(form.non_field_errors())}, status=409)
                return JsonResponse({"status": "invalid", "message": str(_(
                    "Not saved automatically: some fields need attention. Save the form to see which."
                ))}, status=400)
            content = {f.name for f in self.model._meta.concrete_fields if f.editable}
            changed = [name for name in form.changed_data if name in content]
            if not changed:
                return JsonResponse({"status": "unchanged", "revision": obj.revision})
            try:
                form.instance.save_edit(request.user, form.cleaned_data["revision"], changed)
            except StaleEdit as error:
                return JsonResponse({"status": "conflict", "message": str(error)}, status=409)
        return JsonResponse({
            "status": "saved", "revision": form.instance.revision,
            "saved_at": localtime.local(timezone.now()).strftime("%H:%M"),
        })

    def response_change(self, request, obj):
        """
        A move out of a draft posted with the edit form ("Submit for review"): the
        form has been validated and saved in this same transaction; now the move.
        With form errors Django never gets here, so nothing moves and the errors show.
        """
        action = request.POST.get("_transition")
        if action is None:
            if "_continue" not in request.POST:
                presence.stop_editing(obj, request.user)  # saved and left the form
            return super().response_change(request, obj)
        change_url = self.change_url(obj)
        if action not in TRANSITIONS:
            raise Http404
        try:
            getattr(obj, action)(request.user, normalise_text(request.POST.get("_transition_comment", "")))
        except TransitionError as error:
            messages.warning(request, _("Your changes were saved, but: %(error)s") % {"error": error})
            return HttpResponseRedirect(change_url)
        presence.stop_editing(obj, request.user)
        messages.success(
            request, _("Saved, and “%(item)s” is now %(state)s.") % {"item": obj, "state": str(obj.display_state).lower()},
        )
        return HttpResponseRedirect(change_url)

    def transition_view(self, request, object_id, action):
        """Run one workflow transition. The model checks state and permission; this only relays."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))  # None for an id that isn't one: 404
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        form = TransitionForm(request.POST)
        change_url = self.change_url(obj)
        if action not in TRANSITIONS:
            raise Http404
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            # The change form shows the inputs again, as typed, with their errors beside them.
            request.session[self._transition_input_key(obj)] = {
                name: request.POST.get(name, "") for name in TransitionForm.base_fields
            }
            return HttpResponseRedirect(change_url)
        extra = {"publish_at": form.cleaned_data["publish_at"]} if TRANSITIONS[action].takes_time else {}
        if TRANSITIONS[action].takes_change_note and obj.replaces_public_edition:
            if not form.cleaned_data["change"]:
                messages.error(request, _("Say whether this is a major change (with a public note) or a minor one."))
                return HttpResponseRedirect(change_url)
            extra.update(major=form.cleaned_data["change"] == TransitionForm.MAJOR, note=form.cleaned_data["note"])
        try:
            result = getattr(obj, action)(request.user, form.cleaned_data["comment"], **extra)
        except TransitionError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(change_url)
        if isinstance(result, type(obj)):  # a new edition (start_new_draft): go to it
            obj = result
            change_url = self.change_url(obj)
        if obj.is_scheduled:
            messages.success(request, _("“%(item)s” is now scheduled: it goes public on %(when)s.") % {
                "item": obj, "when": localtime.describe(obj.published_at),
            })
        else:
            messages.success(request, _("“%(item)s” is now %(state)s.") % {"item": obj, "state": str(obj.display_state).lower()})
        return HttpResponseRedirect(change_url)

    def _transition_input_key(self, obj):
        return f"nr-transition-input-{self.opts.label_lower}-{obj.pk}"


def template_from(request):
    """The advisory template a "New advisory from template" link names (``?template=<id>``), if any."""
    pk = request.GET.get("template", "")
    return AdvisoryTemplate.objects.filter(pk=pk).first() if pk.isdigit() else None


class ProgrammeEntryInline(admin.TabularInline):
    model = ProgrammeEntry
    form = NormalisedTextForm
    extra = 1

    def get_extra(self, request, obj=None, **kwargs):
        template = template_from(request) if obj is None and request.method == "GET" else None
        return len(template.programme) if template is not None and template.programme else self.extra

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.editable

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class PictureForm(NormalisedTextForm):
    """A picture's upload is checked and cleaned by its content (see ``pictures``) before anything is stored."""

    image = PictureField(label=_("Image"))

    class Meta:
        model = Picture
        fields = ["image", "alt_text", "caption", "credit", "is_lead", "position"]


class PictureFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        leads = [
            form for form in self.forms
            if getattr(form, "cleaned_data", {}).get("is_lead") and not form.cleaned_data.get("DELETE")
        ]
        if len(leads) > 1:
            raise ValidationError(_("Only one picture can be the lead picture."))


class PictureInline(admin.StackedInline):
    """The pictures of one edition: editable while it is a draft, like the rest of it."""

    model = Picture
    form = PictureForm
    formset = PictureFormSet
    extra = 0
    fields = ["preview", "image", "alt_text", "caption", "credit", "is_lead", "position"]
    readonly_fields = ["preview"]

    @admin.display(description=_("current picture"))
    def preview(self, picture):
        if not picture.pk:
            return "—"
        # Through the checking view, which lets staff see a draft's pictures, never a storage URL.
        return format_html(
            '<a href="{}"><img src="{}" alt="" width="160"></a> {}×{} px',
            picture.original_url, picture.smallest_url, picture.width, picture.height,
        )

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not obj.editable:
            # Read-only, the upload field would link to the storage URL; the preview is enough.
            return [name for name in fields if name != "image"]
        return fields

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.editable) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return (obj is None or obj.editable) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.editable) and super().has_delete_permission(request, obj)


class DocumentForm(NormalisedTextForm):
    """A document's upload is checked by its content (see ``documents``) before anything is stored."""

    file = DocumentField(label=_("File"))

    class Meta:
        model = Document
        fields = ["file", "title", "language", "position"]


class DocumentInline(PictureInline):
    """The media kit's documents of one edition: editable while it is a draft, like its pictures."""

    model = Document
    form = DocumentForm
    formset = forms.BaseInlineFormSet
    fields = ["current", "file", "title", "language", "position"]
    readonly_fields = ["current"]
    verbose_name = _("media-kit document")

    @admin.display(description=_("current file"))
    def current(self, document):
        if not document.pk:
            return "—"
        # Through the checking view, which lets staff fetch a draft's documents, never a storage URL.
        return format_html('<a href="{}">{}</a> ({}, {})', document.get_absolute_url(), document.filename,
                           document.kind_label, filesizeformat(document.size))

    def get_fields(self, request, obj=None):
        fields = admin.StackedInline.get_fields(self, request, obj)
        return [name for name in fields if name != "file"] if obj is not None and not obj.editable else fields


class LogoInline(admin.StackedInline):
    model = Picture
    fk_name = "source"
    form = PictureForm
    fields = ["preview", "image", "alt_text", "credit"]
    readonly_fields = ["preview"]
    verbose_name = verbose_name_plural = _("logo")
    preview = PictureInline.preview


@admin.register(Release)
class ReleaseAdmin(PublishableAdmin):
    inlines = [PictureInline, DocumentInline]
    list_filter = PublishableAdmin.list_filter + ["category"]
    fieldsets = [
        (None, {"fields": ["source", "category", "language", "title", "slug", "summary", "body", "original_url", "contacts", "topics"]}),
        (_("Workflow"), {"fields": ["state_label", "version", "publication_time", "approval_time", "created_by", "last_edited_by"]}),
    ]


@admin.register(Advisory)
class AdvisoryAdmin(PublishableAdmin):
    list_display = PublishableAdmin.list_display[:2] + ["event_start", "needs_attention"] + PublishableAdmin.list_display[2:]
    inlines = [ProgrammeEntryInline, PictureInline, DocumentInline]
    autocomplete_fields = ["contacts", "follow_up"]
    fieldsets = [
        (None, {"fields": ["source", "language", "title", "slug", "summary", "body", "original_url"]}),
        (_("Event"), {
            "fields": ["event_date", "event_time", "duration", "time_zone", "venue", "city", "country"],
            "description": _("The local date and time at the event, in the event's own time zone."),
        }),
        (_("Media coverage"), {"fields": ["accreditation", "live_stream", "video_download", "transcript"]}),
        (None, {"fields": ["contacts", "topics", "follow_up"]}),
        (_("Workflow"), {"fields": ["state_label", "version", "publication_time", "approval_time", "created_by", "last_edited_by"]}),
    ]

    def get_urls(self):
        return [
            path(
                "<path:object_id>/save-as-template/", self.admin_site.admin_view(self.save_as_template_view),
                name="releases_advisory_save_as_template",
            ),
        ] + super().get_urls()

    def save_as_template_view(self, request, object_id):
        """Keep this advisory's recurring parts as a named template (the weekly briefing)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj) or not request.user.has_perm("releases.add_advisorytemplate"):
            raise PermissionDenied
        name = normalise_text(request.POST.get("name", "")).strip()[:200]
        change_url = reverse("admin:releases_advisory_change", args=[obj.pk])
        if not name:
            messages.error(request, _("Give the template a name, such as “Weekly press briefing”."))
            return HttpResponseRedirect(change_url)
        if AdvisoryTemplate.objects.filter(name=name).exists():
            messages.error(request, _("A template called “%(name)s” already exists: choose another name.") % {"name": name})
            return HttpResponseRedirect(change_url)
        template = AdvisoryTemplate.from_advisory(obj, name, request.user)
        messages.success(request, _(
            "Saved as the template “%(name)s”. Templates are never public; start the next advisory from it."
        ) % {"name": template.name})
        return HttpResponseRedirect(reverse("admin:releases_advisorytemplate_change", args=[template.pk]))

    def get_changeform_initial_data(self, request):
        template = template_from(request)
        if template is None:
            return super().get_changeform_initial_data(request)
        return template.initial()

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        template = template_from(request) if request.method == "GET" and obj.pk is None else None
        if template is not None and isinstance(inline, ProgrammeEntryInline):
            kwargs["initial"] = [{"time": entry["time"], "description": entry["description"]} for entry in template.programme]
        return kwargs

    def add_view(self, request, form_url="", extra_context=None):
        template = template_from(request) if request.method == "GET" else None
        if template is not None:
            messages.info(request, _(
                "Started from the template “%(name)s”: give the date and the address, check the rest, then save."
            ) % {"name": template.name})
        return super().add_view(request, form_url, extra_context)

    @admin.display(description=_("event"), ordering="starts_at")
    def event_start(self, obj):
        local = obj.local_start
        if obj.time_known:
            return f"{local:%d %b %Y %H:%M} {local.tzname()}"
        return f"{local:%d %b %Y}, time not stated"

    @admin.display(description=_("needs attention"))
    def needs_attention(self, obj):
        if not obj.missing_details:
            return ""
        return format_html('<span class="nr-flag">⚠ {}</span>', "; ".join(str(m) for m in obj.missing_details))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.missing_details and request.method == "GET":
            messages.warning(
                request,
                _("Not stated in the source, to be filled in: %s.") % "; ".join(str(m) for m in obj.missing_details),
            )
        if obj is not None and request.user.has_perm("releases.add_advisorytemplate"):
            extra_context = {**(extra_context or {}), "save_as_template_url": reverse(
                "admin:releases_advisory_save_as_template", args=[obj.pk],
            )}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AdvisoryTemplate)
class AdvisoryTemplateAdmin(admin.ModelAdmin):
    """Recurring advisories' starting points: edited here, never public, started from with one link."""

    form = NormalisedTextForm
    list_display = ["name", "source", "title", "venue", "start_link"]
    list_select_related = ["source"]
    search_fields = ["name", "title"]
    autocomplete_fields = ["contacts"]
    readonly_fields = ["start_link", "programme_entries"]
    formfield_overrides = URL_FIELDS
    fieldsets = [
        (None, {"fields": ["start_link", "name", "source", "title", "summary", "body", "original_url"]}),
        (_("Usual time and place"), {"fields": ["event_time", "time_zone", "venue", "city", "country"]}),
        (_("Media coverage"), {"fields": ["accreditation", "live_stream", "video_download", "transcript"]}),
        (None, {"fields": ["contacts", "programme_entries"]}),
    ]

    @admin.display(description=_("start"))
    def start_link(self, template):
        if not template.pk:
            return "—"
        return format_html(
            '<a class="button" href="{}?template={}">{}</a>',
            reverse("admin:releases_advisory_add"), template.pk, _("New advisory from this template"),
        )

    @admin.display(description=_("programme"))
    def programme_entries(self, template):
        return "; ".join(f"{entry['time']} {entry['description']}" for entry in template.programme) or "—"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Source)
class SourceAdmin(DeletesOneByOne, admin.ModelAdmin):
    form = NormalisedTextForm
    inlines = [LogoInline]
    list_display = ["name", "slug", "website", "social_handles"]
    formfield_overrides = URL_FIELDS
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class TopicForm(NormalisedTextForm):
    class Meta:
        model = Topic
        fields = ["name", "slug", "description"]
        help_texts = {"slug": _("The end of the topic page's address. Left empty, it is made from the name.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("slug") and cleaned_data.get("name"):
            base = self.instance.slugify(cleaned_data["name"])
            taken = set(Topic.objects.exclude(pk=self.instance.pk).filter(slug__startswith=base).values_list("slug", flat=True))
            cleaned_data["slug"] = next(
                slug for slug in (base, *(f"{base}-{n}" for n in range(2, 10_000))) if slug not in taken
            )
        return cleaned_data


@admin.register(Topic)
class TopicAdmin(DeletesOneByOne, admin.ModelAdmin):
    """The press office's list of topics (Press office role: see roles.py); writers only pick from it."""

    form = TopicForm
    list_display = ["name", "slug", "description"]
    search_fields = ["name", "slug"]


@admin.register(Contact)
class ContactAdmin(DeletesOneByOne, admin.ModelAdmin):
    form = NormalisedTextForm
    list_display = ["name", "kind", "role", "source", "email", "phone", "is_public"]
    list_filter = ["kind", "is_public", "source"]
    list_select_related = ["source"]
    search_fields = ["name", "role", "email", "source__name"]

    def get_view_on_site_url(self, obj=None):
        # "View on site" is the contact's vCard, which only a public contact has.
        if obj is None or not obj.is_public:
            return None
        return super().get_view_on_site_url(obj)


def review_queue(request):
    """Everything in review that the current user may approve: not their own last edit."""
    sections = []
    for model in (Release, Advisory):
        if not request.user.has_perm(model.publish_permission()):
            continue
        items = model.objects.awaiting_review_by(request.user).select_related("source", "last_edited_by").order_by("updated_at")
        sections.append({"opts": model._meta, "items": items})
    context = {
        **admin.site.each_context(request),
        "title": _("Waiting for my review"),
        "sections": sections,
        "is_reviewer": bool(sections),
    }
    return TemplateResponse(request, "admin/releases/review_queue.html", context)
