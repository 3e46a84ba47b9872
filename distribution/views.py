"""
The embargo page: a pre-brief's personal link shows the item before its time.

Only with a valid link: signed (a forged one is a 404 before any lookup of
content), not revoked, and while the item is still scheduled. At the publication
time the link redirects to the public page; revoked, unscheduled or withdrawn, it
answers 410 with nothing of the item. Never cached, never indexed.
"""
from django.http import FileResponse, Http404, HttpResponseGone, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control

from releases import documents, pictures

from . import services
from .models import EmbargoOpening


def no_store(response):
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def valid_delivery(signed):
    """(delivery, edition) for a link that may show the item now; else an HttpResponse to answer with."""
    delivery = services.delivery_for_link(signed)
    if delivery is None:
        raise Http404
    edition = services.live_edition(delivery.publication)
    if edition is not None and edition.is_public:
        return no_store(HttpResponseRedirect(edition.get_absolute_url())), None
    if delivery.revoked_at is not None or edition is None:
        return no_store(HttpResponseGone("This link no longer works.", content_type="text/plain")), None
    return delivery, edition


def embargo(request, signed):
    delivery, edition = valid_delivery(signed)
    if edition is None:
        return delivery
    EmbargoOpening.objects.create(delivery=delivery)
    pictures_ = [
        (picture, services.embargo_picture_path(signed, picture, picture.largest["name"]))
        for picture in edition.pictures.order_by("-is_lead", "pk")
    ]
    response = render(request, "distribution/embargo.html", {
        "item": edition,
        "kind": edition.kind_label,
        "embargo_until": services.embargo_until_text(edition.published_at),
        "pictures": pictures_,
        "documents": services.embargo_documents(signed, edition),
        "contacts": edition.contacts.public(),
    })
    return no_store(response)


def embargo_picture(request, signed, key, name):
    """A picture of the embargoed item, through the link only."""
    delivery, edition = valid_delivery(signed)
    if edition is None:
        raise Http404
    picture = edition.pictures.filter(key=key).first()
    stored_name = picture and picture.stored_names().get(name)
    if not stored_name:
        raise Http404
    try:
        stored = picture.image.storage.open(stored_name, "rb")
    except OSError:
        raise Http404 from None
    return no_store(FileResponse(stored, content_type=pictures.CONTENT_TYPES[stored_name.rsplit(".", 1)[-1]]))


def embargo_document(request, signed, key):
    """A media-kit document of the embargoed item, through the link only."""
    delivery, edition = valid_delivery(signed)
    if edition is None:
        raise Http404
    document = edition.documents.filter(key=key).first()
    if document is None:
        raise Http404
    return no_store(documents.file_response(document))
