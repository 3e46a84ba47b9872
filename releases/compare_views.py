"""
The admin's compare view: two editions of one release or advisory, field by
field, with a Restore button for a superseded one. Registered by
``PublishableAdmin.get_urls`` as ``<object_id>/compare/?from=<version>&to=<version>``.
"""
import re

from django.contrib.admin.utils import unquote
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from .compare import compare_editions, default_baseline
from .workflow import TRANSITIONS, State

_VERSION = re.compile(r"[1-9][0-9]{0,8}")
LAYOUTS = ("inline", "side")


def _version(value):
    """A version number from the query string, None when absent; anything else is a bad request."""
    if value is None or value == "":
        return None
    if not _VERSION.fullmatch(value):
        raise BadRequest("A version is a positive whole number.")
    return int(value)


class CompareView(View):
    """Any two editions of the document side by side or inline; by default, the changes a reviewer hasn't seen."""

    model_admin = None
    template_name = "admin/releases/compare.html"

    def get(self, request, object_id):
        model_admin = self.model_admin
        opts = model_admin.opts
        edition = model_admin.get_object(request, unquote(object_id))
        if edition is None:
            raise Http404
        if not model_admin.has_view_permission(request, edition):
            raise PermissionDenied
        first, second = _version(request.GET.get("from")), _version(request.GET.get("to"))
        layout = request.GET.get("layout") or LAYOUTS[0]
        if layout not in LAYOUTS:
            raise BadRequest("Unknown layout.")

        editions = edition.editions()
        target = edition if second in (None, edition.version) else editions.filter(version=second).first()
        why = ""
        if first is None:
            baseline, why = default_baseline(target, request.user) if target is not None else (None, "")
        else:
            baseline = editions.filter(version=first).first()
            if baseline is None:
                raise Http404
        if target is None:
            raise Http404

        context = {
            **model_admin.admin_site.each_context(request),
            "opts": opts,
            "item": edition,
            "title": _("Compare versions of “%(item)s”") % {"item": edition},
            "change_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[edition.pk]),
            "compare_url": request.path,
            "versions": [(version, State(state).label) for version, state in editions.order_by("version").values_list("version", "state")],
            "layout": layout,
            "why": why,
            "target": target,
        }
        if baseline is not None:
            # The older edition always on the left (or first), whichever order they were asked in.
            old, new = sorted((baseline, target), key=lambda e: e.version)
            context.update(old=old, new=new, comparison=compare_editions(old, new))
            if old.state == State.SUPERSEDED and old.can("restore", request.user):
                context["restore_action"] = TRANSITIONS["restore"]
                context["restore_url"] = reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_transition", args=[old.pk, "restore"],
                )
            context["other_layout_query"] = f"from={old.version}&to={new.version}&layout={'side' if layout == 'inline' else 'inline'}"
        return TemplateResponse(request, self.template_name, context)


def compare_link(edition, user):
    """
    For the change form: the compare view's address and, when there is one, the
    version a reviewer would compare this one with (and why), as ``url``, ``baseline``, ``why``.
    """
    opts = edition._meta
    baseline, why = default_baseline(edition, user)
    return {
        "url": reverse(f"admin:{opts.app_label}_{opts.model_name}_compare", args=[edition.pk]),
        "baseline": baseline,
        "why": why,
    }
