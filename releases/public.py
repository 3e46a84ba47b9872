"""
"What the public sees has changed": one call, ``changed()``, and the few things that hang from it.

Below the workflow and the models: this module imports neither, so everything may import it. The
workflow calls it for every move that changes what the public sees or will see (approve, now or
scheduled; withdraw; unschedule; a published import), sources and contacts on every save and
deletion, ``rebuild_search_index`` after a rebuild. The listeners, in the order the releases app
connects them (``ReleasesConfig.ready``):

1. the search index brings the edition's document in line (``search.on_public_changed``), in the
   transaction, so a failed index write undoes the move;
2. the page cache and its validators are forgotten, now and again on commit
   (``caching.on_public_changed``);
3. the shared HTTP cache in front (Varnish) purges the surrogate keys on commit, and again when a
   scheduled edition's time comes (``purge.on_public_changed``);

and last, for an edition, ``signals.public_changed`` goes to the apps built on ``releases`` (a
delivery outbox), in the transaction.

Surrogate keys name what a response shows (see ``keys_for``): ``lists`` for every page listing
items (home, source pages, search, feeds, calendar, sitemap), the item (``release-<document>``),
its source (``source-<pk>``) and each contact (``contact-<pk>``); a document's move also names the
pages of its translation group's other documents (their language switch and ``hreflang`` show it or
not: ``Publishable._public_changed``); every public response also
carries ``newsroom`` (``ALL``), which a change that names nothing purges.
"""
from . import signals

LISTS = "lists"
#: Carried by every public response: ``changed()`` without an edition or keys purges everything.
ALL = "newsroom"

_listeners = []


def listen(listener):
    """Hang ``listener(edition=, action=, keys=)`` from ``changed``; once, however often it is called."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def edition_key(edition):
    return document_key(type(edition), edition.document)


def document_key(model, document):
    """The key of a document's page, whichever edition it shows."""
    return f"{model._meta.model_name}-{document}"


def source_key(source_id):
    return f"source-{source_id}"


def contact_key(contact_id):
    return f"contact-{contact_id}"


def keys_for(edition):
    """What an edition's change can alter: its own page, its source's page and every list."""
    return {LISTS, edition_key(edition), source_key(edition.source_id)}


def changed(*, edition=None, action="", keys=()):
    """
    Announce that what the public sees changed (or will, at a scheduled time): ``edition`` after a
    workflow move named ``action``, or ``keys`` for anything else (a source, a contact, the search
    index). Call it inside the transaction that makes the change.
    """
    keys = set(keys) | (keys_for(edition) if edition is not None else set()) or {ALL}
    for listener in _listeners:
        listener(edition=edition, action=action, keys=keys)
    if edition is not None:
        signals.public_changed.send(sender=type(edition), edition=edition, action=action)
