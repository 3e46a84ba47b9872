"""
The shared HTTP cache in front of the newsroom (Varnish with the xkey module, or a CDN that purges
by surrogate key), kept exact by purges (see docs/operations.md and deploy/varnish/newsroom.vcl).

Public responses name what they show in ``Surrogate-Key`` (``releases/public.py``); with
``NEWSROOM_PURGE_URLS`` set they also carry ``s-maxage=NEWSROOM_SHARED_CACHE_SECONDS``, and every
change the public must see at once purges its keys:

- on commit of the change (a publication, an approved edit, a withdrawal, an unschedule, a source or
  contact edited or deleted), straight from the process that made it: one ``PURGE`` to each URL,
  a few milliseconds on a local network, so a withdrawn item is gone before the reviewer's page
  reloads. A task queue would add the worker's polling delay to every withdrawal;
- when a scheduled edition's time comes, from the task worker (``tasks.purge_keys``, enqueued at the
  publication time, never before): nothing is written then, and no header may count down to an
  embargo, so the shared cache can't know the time by itself. The item appears within the worker's
  polling interval (``db_worker --interval``, 1 s by default);
- a purge that fails (the cache restarting, a timeout) never undoes the change: it is logged and
  retried by the task worker with growing delays.
"""
import logging
import urllib.request

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import public

logger = logging.getLogger(__name__)

#: Seconds to wait for the cache to answer a purge before leaving it to the task worker.
TIMEOUT = 2


def enabled():
    return bool(settings.NEWSROOM_PURGE_URLS)


def response_keys(response):
    """The surrogate keys of a public response: what it shows (see ``releases/public.py``)."""
    from .models import Source
    from .workflow import Publishable

    keys = {public.ALL}
    shown = (getattr(response, "context_data", None) or {}).get("object")
    if isinstance(shown, Publishable):
        # Its own page: the item, its source and every contact attached (public or not: ticking
        # "public" must bring the contact onto the page).
        keys |= {public.edition_key(shown), public.source_key(shown.source_id)}
        keys |= {public.contact_key(pk) for pk in shown.contacts.values_list("pk", flat=True)}
    elif isinstance(shown, Source):
        keys |= {public.LISTS, public.source_key(shown.pk)}
    else:
        keys.add(public.LISTS)  # a list, a feed, the calendar, the sitemap, search: anything else
    return keys


def send(keys):
    """Purge ``keys`` from every shared cache; the URLs that failed, logged."""
    failed = []
    header = " ".join(sorted(keys))
    for url in settings.NEWSROOM_PURGE_URLS:
        request = urllib.request.Request(url, method="PURGE", headers={"xkey-purge": header})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
        except OSError as error:  # URLError, HTTPError (a 403 from the ACL), timeouts
            logger.warning("Purging %s from %s failed: %s", header, url, error)
            failed.append(url)
    return failed


def purge_now(keys):
    """Purge at once; what fails goes to the task worker, which retries."""
    if send(keys):
        from .tasks import purge_keys

        purge_keys.enqueue(sorted(keys), 1)


def on_public_changed(edition, keys, **kwargs):
    """Hangs from ``public.changed``: purge on commit, and again at a scheduled edition's time."""
    if not enabled():
        return
    keys = sorted(keys)
    transaction.on_commit(lambda: purge_now(keys))
    if edition is not None and edition.state == "published" and edition.published_at > timezone.now():
        from newsroom.tasks import enqueue_at

        from .tasks import purge_keys

        due_at = edition.published_at
        transaction.on_commit(lambda: enqueue_at(purge_keys, due_at, keys, 0))
