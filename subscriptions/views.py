"""
The public side of subscriptions.

None of these views uses a cookie, a session or a login: the subscribe form
asks for nothing but a confirmation mail, and the other views act on a signed
link, which is the authority. CSRF protection guards ambient credentials a
forged cross-site request would carry; there are none here, so the views are
csrf-exempt. That is what lets the subscribe form sit on pages served from the
page cache (no per-visitor token in them) and what lets a mail client's one-click
unsubscribe (RFC 8058: a POST with no cookie) work. A forged subscribe request can
at worst send one confirmation mail, rate-limited, that the address's owner ignores.
"""
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from newsroom.clients import client_ip
from releases.models import Source

from . import links, services
from .forms import SubscribeForm
from .models import Suppression


def page(request, template, context=None, status=200):
    response = render(request, f"subscriptions/{template}", context or {}, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request):
    if request.method == "GET":
        source = Source.objects.filter(slug=request.GET.get("source", "")[:100]).first()
        form = SubscribeForm(initial={"sources": [source] if source else []})
        return page(request, "subscribe.html", {"form": form})
    if request.POST.get("website"):
        return page(request, "sent.html")  # a bot: the usual answer, and nothing done
    if services.client_limited(client_ip(request)):
        return page(request, "limited.html", status=429)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return page(request, "subscribe.html", {"form": form}, status=400)
    data = form.cleaned_data
    if services.address_limited(data["email"]):
        return page(request, "limited.html", status=429)
    services.request_subscription(data["email"], data["sources"], data["kinds"], data["frequency"])
    return page(request, "sent.html")


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    asked = links.read_confirmation(token)
    if asked is None:
        return page(request, "invalid.html", status=400)
    if request.method == "GET":
        # Mail scanners follow links: only the button (a POST) subscribes.
        return page(request, "confirm.html", {"email": asked["e"]})
    subscriber = services.confirm(asked)
    if subscriber is None:
        return page(request, "invalid.html", {"superseded": True}, status=400)
    return page(request, "confirmed.html", {"manage_url": links.manage_url(subscriber)})


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    subscriber = links.read_subscriber(token, links.UNSUBSCRIBE_SALT)
    if subscriber is None:
        return page(request, "invalid.html", status=400)
    if request.method == "GET":
        return page(request, "unsubscribe.html", {"email": subscriber.email, "already": subscriber.unsubscribed_at})
    # RFC 8058: a POST with "List-Unsubscribe=One-Click" (or our own button) is enough.
    services.unsubscribe(subscriber)
    return page(request, "unsubscribed.html")


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def stop(request, token):
    """The one-click stop of a mail to a journalist on a media list (no subscriber row): the address is suppressed."""
    address = links.read_address(token)
    if address is None:
        return page(request, "invalid.html", status=400)
    if request.method == "GET":
        return page(request, "unsubscribe.html", {"email": address, "already": Suppression.holds(address)})
    services.stop(address)
    return page(request, "unsubscribed.html")


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def manage(request, token):
    subscriber = links.read_subscriber(token, links.MANAGE_SALT)
    if subscriber is None:
        return page(request, "invalid.html", status=400)
    if request.method == "POST":
        if request.POST.get("action") == "unsubscribe":
            services.unsubscribe(subscriber)
            return page(request, "unsubscribed.html")
        stop = request.POST.get("stop", "")
        if stop.isdigit():
            subscriber.subscriptions.filter(pk=int(stop)).delete()
    subscriptions = subscriber.subscriptions.prefetch_related("sources")
    return page(request, "manage.html", {"subscriber": subscriber, "subscriptions": subscriptions})
