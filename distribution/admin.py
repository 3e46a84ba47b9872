"""
The distribution of an item in its change form (a panel: media lists chosen,
recipients, sent, failed with the reason and a retry, pre-briefs and their opened
links), and the deliveries' own list for the press office.
"""
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from journalists.models import MediaList

from . import services
from .models import Delivery, EmbargoOpening, Publication


def may_see(user, edition):
    model = type(edition)
    return user.has_perm(model.change_permission()) or user.has_perm(model.publish_permission())


def who(delivery, addresses):
    """How the panel names a recipient: name and address for the press office, the name alone for others."""
    if not delivery.address:
        return "(erased address)"
    name = delivery.name or ("a subscriber" if delivery.via == Delivery.Via.SUBSCRIPTION else "a journalist")
    return f"{delivery.name} <{delivery.address}>".strip() if addresses else name


def distribution_panel(request, edition):
    """The change form's panel; nothing for someone who can't work on the item."""
    if edition is None or edition.pk is None or not may_see(request.user, edition):
        return None
    model = type(edition)
    content_type = ContentType.objects.get_for_model(model)
    distribution = services.distribution_for(model, edition.document)
    chosen = set(distribution.media_lists.values_list("pk", flat=True)) if distribution else set()
    publications = (
        Publication.objects.filter(content_type=content_type, document=edition.document)
        .annotate(
            recipients=Count("deliveries"),
            sent=Count("deliveries", filter=Q(deliveries__state=Delivery.State.SENT)),
            queued=Count("deliveries", filter=Q(deliveries__state__in=[Delivery.State.QUEUED, Delivery.State.SENDING])),
            failed=Count("deliveries", filter=Q(deliveries__state=Delivery.State.FAILED)),
            cancelled=Count("deliveries", filter=Q(deliveries__state=Delivery.State.CANCELLED)),
        )
    )
    # Addresses are the directory's personal data: shown to those who may read it (the press office);
    # writers and reviewers see a journalist's name, or "a subscriber", and the reason without the address.
    addresses = request.user.has_perm("journalists.view_journalist")
    failed = [
        (who(delivery, addresses), delivery.last_error if addresses else
         delivery.last_error.replace(delivery.address, "…") if delivery.address else delivery.last_error)
        for delivery in Delivery.objects.filter(publication__in=publications, state=Delivery.State.FAILED)[:50]
    ]
    openings = (
        EmbargoOpening.objects.filter(delivery__publication__in=publications)
        .select_related("delivery")[:100]
    )
    openings = [(who(opening.delivery, addresses), opening.at) for opening in openings]
    prebriefs = Delivery.objects.filter(
        publication__in=publications.filter(kind=Publication.Kind.PREBRIEF),
    ).annotate(opened=Count("openings")).order_by("pk")[:200]
    for delivery in prebriefs:
        delivery.who = who(delivery, addresses)
    return render_to_string("distribution/panel.html", {
        "edition": edition,
        "media_lists": MediaList.objects.all() if request.user.has_perm("journalists.view_medialist") else [],
        "chosen": chosen,
        "publications": publications,
        "failed": failed,
        "openings": openings,
        "may_prebrief": edition.is_scheduled and services.may_send_prebrief(request.user, edition),
        "may_retry": request.user.has_perm(model.publish_permission()),
        "prebriefs": prebriefs,
        "content_type": content_type,
    }, request=request)


def edition_or_404(request, content_type_id, pk):
    content_type = get_object_or_404(ContentType, pk=content_type_id, app_label="releases")
    edition = get_object_or_404(content_type.model_class(), pk=pk)
    return content_type, edition


def back(edition):
    meta = type(edition)._meta
    return redirect(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[edition.pk]) + "#distribution")


@require_POST
def choose_lists(request, content_type_id, pk):
    content_type, edition = edition_or_404(request, content_type_id, pk)
    if not (may_see(request.user, edition) and request.user.has_perm("journalists.view_medialist")):
        messages.error(request, "You may not choose media lists for this item.")
        return back(edition)
    lists = MediaList.objects.filter(pk__in=request.POST.getlist("media_lists"))
    services.distribution_for(type(edition), edition.document, create=True).media_lists.set(lists)
    messages.success(request, f"Media lists saved: {', '.join(str(x) for x in lists) or 'none'}.")
    return back(edition)


@require_POST
def prebrief(request, content_type_id, pk):
    content_type, edition = edition_or_404(request, content_type_id, pk)
    lists = MediaList.objects.filter(pk__in=request.POST.getlist("media_lists"))
    try:
        publication = services.send_prebrief(edition, request.user, lists)
    except services.PrebriefError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Embargoed pre-brief queued for {publication.deliveries.count()} journalists.")
    return back(edition)


@require_POST
def revoke(request, content_type_id, pk):
    content_type, edition = edition_or_404(request, content_type_id, pk)
    if not services.may_send_prebrief(request.user, edition):
        messages.error(request, "You may not revoke pre-brief links.")
        return back(edition)
    deliveries = Delivery.objects.filter(
        publication__content_type=content_type, publication__document=edition.document,
        publication__kind=Publication.Kind.PREBRIEF,
    )
    if request.POST.get("delivery"):
        deliveries = deliveries.filter(pk=request.POST["delivery"])
    count = services.revoke(deliveries)
    messages.success(request, f"{count} embargo link{'s' if count != 1 else ''} revoked.")
    return back(edition)


@require_POST
def retry(request, content_type_id, pk):
    content_type, edition = edition_or_404(request, content_type_id, pk)
    if not request.user.has_perm(type(edition).publish_permission()):
        messages.error(request, "You may not retry deliveries.")
        return back(edition)
    ids = Delivery.objects.filter(
        publication__content_type=content_type, publication__document=edition.document,
        state=Delivery.State.FAILED,
    ).values_list("pk", flat=True)
    if request.POST.get("delivery"):
        ids = ids.filter(pk=request.POST["delivery"])
    count = services.retry(list(ids))
    messages.success(request, f"{count} deliver{'ies' if count != 1 else 'y'} queued again.")
    return back(edition)


def site_view(view):
    """A panel form's view, behind the admin's login (staff only)."""
    return admin.site.admin_view(view)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["address", "publication", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "publication__kind"]
    search_fields = ["address"]
    list_select_related = ["publication__content_type"]
    readonly_fields = [field.name for field in Delivery._meta.fields if field.name != "token"]
    exclude = ["token"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
