"""
Public subscriptions: readers ask for mail about sources and kinds of item,
confirm by a signed link (double opt-in) and leave with one click.

The distribution app reads ``Subscription.objects.matching(edition)`` and puts
``headers(subscriber)`` and the links of ``subscriptions.links`` in every mail;
it calls ``suppress(address, "bounced")`` when a mail server refuses an address.
"""


def suppress(email, reason):
    """Never mail this address again by subscription until it subscribes afresh and confirms."""
    from .services import suppress as _suppress

    return _suppress(email, reason)


def headers(subscriber):
    """The RFC 2369 / RFC 8058 headers of a mail to ``subscriber``: one-click unsubscribe."""
    from .links import unsubscribe_url

    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
