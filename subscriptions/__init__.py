"""
Public subscriptions: readers ask for mail about sources and kinds of item,
confirm by a signed link (double opt-in) and leave with one click.

The distribution app reads ``Subscription.objects.matching(edition)`` and puts
``headers(subscriber)`` and the links of ``subscriptions.links`` in every mail to a
subscriber, and ``stop_headers(address)`` in every mail to a media list's member; it
calls ``suppress(address, "bounced")`` when a mail server refuses an address and
leaves out every address ``models.suppressed`` names.
"""


def suppress(email, reason):
    """Never mail this address again by subscription until it subscribes afresh and confirms."""
    from .services import suppress as _suppress

    return _suppress(email, reason)


def lift_bounce(email):
    """The press office says a bounced address works again: its suppression goes if a bounce was its reason."""
    from .models import Suppression, address_hash

    Suppression.objects.filter(address_hash=address_hash(email), reason=Suppression.Reason.BOUNCED).delete()


def headers(subscriber):
    """The RFC 2369 / RFC 8058 headers of a mail to ``subscriber``: one-click unsubscribe."""
    from .links import unsubscribe_url

    return one_click(unsubscribe_url(subscriber))


def stop_headers(address):
    """The same for an address that is no subscriber (a journalist on a media list): one click stops all mail."""
    from .links import stop_url

    return one_click(stop_url(address))


def one_click(url):
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
