"""
The media directory in the admin. The Press office reads and manages
journalists; writers and reviewers see media lists (names, criteria, sizes) but
none of their members, and every journalist page answers them 403: the
permissions are checked by the views, not by hiding links.
"""
import hashlib
import json
from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _, ngettext
from django.views.decorators.http import require_POST

from . import csv_io, personal_data
from .forms import AddressForm, ImportForm, JournalistForm, MediaListForm
from .models import Journalist, MediaList

SESSION_KEY = "journalists_import"
#: A basis older than this is worth confirming again (the filter "Basis to review").
BASIS_REVIEW_AFTER = timedelta(days=2 * 365)


def csv_response(lines, name):
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


class MediaListFilter(admin.SimpleListFilter):
    """Journalists on one list, static or by criteria: the same ``members()`` the mailing uses."""

    title = _("media list")
    parameter_name = "media_list"

    def lookups(self, request, model_admin):
        return [(str(media_list.pk), media_list.name) for media_list in MediaList.objects.all()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        media_list = MediaList.objects.filter(pk=self.value()).first() if self.value().isdigit() else None
        if media_list is None:
            return queryset.none()
        return queryset.filter(pk__in=media_list.members().values("pk"))


class BasisAgeFilter(admin.SimpleListFilter):
    title = _("basis recorded")
    parameter_name = "basis_age"

    def lookups(self, request, model_admin):
        return [("recent", _("in the last two years")), ("review", _("more than two years ago: to review"))]

    def queryset(self, request, queryset):
        limit = timezone.localdate() - BASIS_REVIEW_AFTER
        if self.value() == "recent":
            return queryset.filter(basis_date__gte=limit)
        if self.value() == "review":
            return queryset.filter(basis_date__lt=limit)
        return queryset


@admin.register(Journalist)
class JournalistAdmin(admin.ModelAdmin):
    form = JournalistForm
    list_display = ["name", "outlet", "email", "kinds", "basis", "basis_date"]
    list_filter = [MediaListFilter, "kinds", "basis", BasisAgeFilter, "languages", "sources"]
    search_fields = ["name", "outlet", "email"]
    filter_horizontal = ["languages", "sources"]
    readonly_fields = ["created_at", "updated_at", "lists"]
    fieldsets = [
        (None, {"fields": ["name", "outlet", "email"]}),
        (_("Beat"), {"fields": ["sources", "kinds", "languages"]}),
        (_("Basis for writing to them (GDPR)"), {"fields": ["basis", "basis_date"]}),
        (None, {"fields": ["notes", "lists", "created_at", "updated_at"]}),
    ]
    actions = ["export_csv"]

    @admin.display(description=_("static lists"))
    def lists(self, journalist):
        if journalist.pk is None:
            return "—"
        return ", ".join(media_list.name for media_list in journalist.media_lists.all()) or "—"

    @admin.action(description=_("Export selected journalists as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return csv_response(csv_io.export_journalists(queryset), "journalists.csv")

    def may_import(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": self.may_import(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="%s_%s_import" % info),
            path("import/confirm/", view(require_POST(self.confirm_import_view)), name="%s_%s_import_confirm" % info),
            path("export/", view(self.export_view), name="%s_%s_export" % info),
            path("personal-data/", view(self.personal_data_view), name="%s_%s_personal_data" % info),
        ] + super().get_urls()

    def context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    # --- CSV ------------------------------------------------------------------

    def export_view(self, request):
        """Every journalist, or a list's members with ?list=<pk>, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset, name = Journalist.objects.all(), "journalists.csv"
        if list_id := request.GET.get("list"):
            media_list = MediaList.objects.filter(pk=list_id).first() if list_id.isdigit() else None
            if media_list is None:
                return HttpResponse(_("No such list."), status=404, content_type="text/plain; charset=utf-8")
            queryset, name = media_list.members(), f"media-list-{media_list.pk}.csv"
        return csv_response(csv_io.export_journalists(queryset), name)

    def import_view(self, request):
        """Upload a file: its report by line, and a Confirm button if nothing is wrong. Nothing is written here."""
        if not self.may_import(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data["file"].read()
            preview = csv_io.parse_journalists(data)
            request.session.pop(SESSION_KEY, None)
            if preview.ok:
                # The file waits in the session (server-side, capped by MAX_BYTES), not in a temporary file;
                # Confirm must name this exact file, so a second tab's preview can't be confirmed by this one.
                text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
                media_list = form.cleaned_data["media_list"]
                request.session[SESSION_KEY] = {
                    "text": text,
                    "digest": hashlib.sha256(data).hexdigest(),
                    "name": form.cleaned_data["file"].name[:100],
                    "list": media_list.pk if media_list else None,
                }
        return TemplateResponse(request, "admin/journalists/import.html", self.context(
            request, _("Import journalists from CSV"), form=form, preview=preview,
            pending=request.session.get(SESSION_KEY), columns=csv_io.COLUMNS, required=csv_io.REQUIRED,
            max_rows=csv_io.MAX_ROWS,
        ))

    def confirm_import_view(self, request):
        if not self.may_import(request):
            raise PermissionDenied
        pending = request.session.get(SESSION_KEY)
        if not pending or request.POST.get("digest") != pending["digest"]:
            messages.error(request, _(
                "That preview is no longer waiting (it was confirmed, or another file was previewed since). "
                "Nothing was written; upload the file again."
            ))
            return HttpResponseRedirect(reverse("admin:journalists_journalist_import"))
        media_list = MediaList.objects.filter(pk=pending["list"], kind=MediaList.Kind.STATIC).first()
        # Checked again: the directory may have changed since the preview.
        preview = csv_io.parse_journalists(pending["text"])
        if pending["list"] and media_list is None:
            preview.problems.append(csv_io.Problem(None, _("the chosen list was deleted or changed meanwhile")))
        if not preview.ok:
            request.session.pop(SESSION_KEY, None)
            messages.error(request, _("The directory changed since the preview; nothing was written."))
            return TemplateResponse(request, "admin/journalists/import.html", self.context(
                request, _("Import journalists from CSV"), form=ImportForm(), preview=preview, pending=None,
                columns=csv_io.COLUMNS, required=csv_io.REQUIRED, max_rows=csv_io.MAX_ROWS,
            ))
        try:
            result = csv_io.write_journalists(preview, user=request.user, media_list=media_list, file_name=pending["name"])
        except csv_io.ImportConflict:
            messages.error(request, _(
                "Someone added one of these addresses while you were importing; nothing was written. "
                "Upload the file again to see the new report."
            ))
            return HttpResponseRedirect(reverse("admin:journalists_journalist_import"))
        request.session.pop(SESSION_KEY, None)
        messages.success(request, _("Imported %(name)s: %(result)s") % {"name": pending["name"], "result": result})
        return HttpResponseRedirect(reverse("admin:journalists_journalist_changelist"))

    # --- personal data (GDPR Art. 15 and 17) ----------------------------------

    def personal_data_view(self, request):
        """
        Everything held about one address, in every app that registered its part:
        shown, downloaded as JSON, or erased after a confirmation.
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else (request.GET if "email" in request.GET else None)
        form = AddressForm(data)
        if not form.is_valid():
            return TemplateResponse(request, "admin/journalists/personal_data.html", self.context(
                request, _("Everything about an address"), form=form,
            ))
        address = form.cleaned_data["email"]
        action = request.POST.get("action") if request.method == "POST" else None
        if action in ("erase", "confirm-erase") and not self.has_delete_permission(request):
            raise PermissionDenied
        if action == "confirm-erase":
            done = personal_data.erase(address)
            if done:
                messages.success(request, _("Erased %(address)s: %(done)s.") % {
                    "address": address, "done": "; ".join(f"{section}: {what}" for section, what in done.items()),
                })
            else:
                messages.info(request, _("Nothing was held about %(address)s.") % {"address": address})
            return HttpResponseRedirect(reverse("admin:journalists_journalist_personal_data"))
        held = personal_data.export(address)
        if request.GET.get("format") == "json":
            response = HttpResponse(
                json.dumps(held, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8",
            )
            response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
            response["Cache-Control"] = "no-store"
            return response
        return TemplateResponse(request, "admin/journalists/personal_data.html", self.context(
            request, _("Everything about %(address)s") % {"address": address}, form=form, address=address,
            held=held, pretty=json.dumps(held["sections"], ensure_ascii=False, indent=2),
            confirm_erase=action == "erase", can_erase=self.has_delete_permission(request),
        ))


@admin.register(MediaList)
class MediaListAdmin(admin.ModelAdmin):
    form = MediaListForm
    list_display = ["name", "kind", "criteria", "size"]
    list_filter = ["kind"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["journalists"]
    filter_horizontal = ["sources", "languages"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sources", "languages")

    @admin.display(description=_("criteria"))
    def criteria(self, media_list):
        return media_list.criteria() or "—"

    @admin.display(description=_("members"))
    def size(self, media_list):
        if media_list.pk is None:
            return "—"
        count = media_list.members().count()
        return ngettext("%(count)s journalist", "%(count)s journalists", count) % {"count": count}

    @admin.display(description=_("in the directory"))
    def member_links(self, media_list):
        if media_list.pk is None:
            return "—"
        return format_html(
            '<a href="{}?media_list={}">{}</a> · <a href="{}?list={}">{}</a>',
            reverse("admin:journalists_journalist_changelist"), media_list.pk, _("See the members"),
            reverse("admin:journalists_journalist_export"), media_list.pk, _("Export them as CSV"),
        )

    def may_read_directory(self, request):
        return request.user.has_perm("journalists.view_journalist")

    def get_fieldsets(self, request, obj=None):
        about = ["name", "description", "kind", "size"]
        criteria = (_("Criteria (for a criteria list)"), {"fields": ["sources", "kinds", "languages"]})
        if not self.may_read_directory(request):
            # Names, criteria and sizes only: who is on a list is the directory's personal data.
            return [(None, {"fields": about}), criteria]
        return [
            (None, {"fields": [*about, "member_links"]}),
            (_("Chosen journalists (for a static list)"), {"fields": ["journalists"]}),
            criteria,
        ]

    def get_readonly_fields(self, request, obj=None):
        return ["size", "member_links"]
