"""
HTTP caching and the page cache of the public surfaces: lists, pages, feeds,
calendars, sitemap.

Every public surface is a function of a few facts: when the newest public
edition was approved, when the newest withdrawal happened, and which
advisories have left the "upcoming" windows. ``PublicState`` reads them with
small queries that each walk an index from one end (constant time however
large the archive), and turns them into an ``ETag`` and a ``Last-Modified``
for Django's ``condition`` decorator, which answers ``304 Not Modified`` to a
conditional request that still matches.

The facts change the moment anything public changes:
- a publication or an approved edit: a newer approval time (``revised_at``);
- a withdrawal: a newer withdrawal time;
- a source or contact edited (a name, a logo, a contact no longer public): a newer
  ``updated_at`` among sources or contacts; a deletion leaves no row to date it, so
  ``Source.delete`` and ``Contact.delete`` call ``public.changed`` (as their saves do, so
  that the state cached before the edit goes at once);
- a scheduled item's time arriving: nothing is written then, but the item
  enters ``public_or_withdrawn(now)`` and its approval time is its publication
  time, so the newest approval time moves at that very moment;
- an event's day starting or ending in its zone (its "upcoming", "today" or "past" label,
  and the "Upcoming media events" box), or an advisory leaving the calendar feed.

The state is computed once and kept in the shared cache (Redis in production,
so every gunicorn worker sees the same) until the next moment it can change by
itself (the next scheduled publication, the next event leaving a window), and
at most ``NEWSROOM_PAGE_CACHE_SECONDS``. The workflow forgets it on commit of
every transition that changes what the public sees (it hangs from ``public.changed``).

**Page cache.** Anonymous GET responses are stored in the same cache under
their URL with the ETag they were rendered under (``NEWSROOM_PAGE_CACHE``, on by
default), by ``newsroom.middleware.PageCacheMiddleware``, which also answers a
hit before sessions, authentication and CSRF run, with one round trip for the
state and the page together. A stored page is used only while its ETag is the
current state's: a publication, an approved edit or a withdrawal takes every
cached page out of use at once, in every worker; a due scheduled item does the
same at its time. Stored pages expire after ``NEWSROOM_PAGE_CACHE_SECONDS``
(default 60) in any case. Logged-in users (any session cookie) never read or fill
the page cache.

Cache-Control for anonymous responses: ``public, no-cache`` by default (any cache
may keep them but asks before each reuse, which costs a 304); with
``NEWSROOM_CACHE_MAX_AGE`` > 0, ``public, max-age=N`` with the same N always, so
a shared cache or a browser may show a publication, a withdrawal or any edit up
to N seconds late. N is never cut short before a scheduled publication: no
header may depend on a time the public must not know (an embargo). For the same
reason nothing here sends ``Expires`` or ``Age``, and the page cache's own expiry
and the state's lifetime stay inside the server. Logged-in users get
``private, no-cache``; the staff preview stays ``private, no-store``. With a shared
cache in front that Newsroom purges (``NEWSROOM_PURGE_URLS``, ``releases/purge.py``),
anonymous responses say ``public, max-age=<NEWSROOM_CACHE_MAX_AGE>, s-maxage=N`` with
N = ``NEWSROOM_SHARED_CACHE_SECONDS``, the same always, and name what they show in
``Surrogate-Key``.

A change made behind the models' back (a raw ``UPDATE`` in a database shell) moves
no validator: it shows within ``NEWSROOM_PAGE_CACHE_SECONDS``, with the next
change, or after a deploy with a new ``NEWSROOM_CACHE_VERSION``.
"""
import hashlib
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition

from newsroom.middleware import MARK as PAGE_MARK
from newsroom.middleware import PUBLIC as PAGE_PUBLIC
from newsroom.cache import cache_values
from newsroom.middleware import shareable_request

from . import events, public, purge
from .calendar import calendar_past
from .models import EVENT_DATE_MAX, Advisory, Contact, Release, Source
from .workflow import State

STATE_KEY = "newsroom:public-state"
#: Counts the changes announced by ``public.changed``; part of every ETag, so that a change the
#: database facts don't show (a rebuilt search index) still retires cached pages and validators.
GENERATION_KEY = "newsroom:public-generation"


def newest(queryset, field):
    """The largest value of ``field`` in ``queryset``, read from the end of its index."""
    return queryset.filter(**{f"{field}__isnull": False}).order_by(f"-{field}").values_list(field, flat=True).first()


def earliest(queryset, field):
    return queryset.filter(**{f"{field}__isnull": False}).order_by(field).values_list(field, flat=True).first()


class PublicState:
    """What the public can see, summed up at one instant."""

    def __init__(self, now=None):
        self.now = now = now or timezone.now()
        self.facts = [settings.NEWSROOM_CACHE_VERSION, cache.get(GENERATION_KEY, 0)]
        moments, coming = [], []
        for model in (Release, Advisory):
            live = model.objects.public_or_withdrawn(now)
            approved_at = newest(live, "revised_at")
            withdrawn_at = newest(live.filter(state=State.WITHDRAWN), "withdrawn_at")
            self.facts += [approved_at, withdrawn_at]
            moments += [approved_at, withdrawn_at]
            coming.append(earliest(model.objects.scheduled(now), "published_at"))
        # Sources and contacts carry their own time of change (``updated_at``, indexed): a renamed
        # source, a new logo, a contact no longer public. A deletion leaves no row to date it;
        # ``Source.delete`` and ``Contact.delete`` announce it through ``public.changed``.
        for model in (Source, Contact):
            changed_at = newest(model.objects.all(), "updated_at")
            self.facts.append(changed_at)
            moments.append(changed_at)
        advisories = Advisory.objects.published(now)
        # Upcoming, today or past, in each event's zone: pages, lists and the "Upcoming" box show it.
        statuses, changed_at, changes_at = events.status_facts(advisories, now)
        self.facts.append(statuses)
        moments.append(changed_at)
        coming.append(changes_at)
        window = calendar_past()
        # The calendar feed: the latest start that has left its window, and the next one to leave it.
        left = newest(advisories.filter(starts_at__lt=now - window), "starts_at")
        leaves = earliest(advisories.filter(starts_at__gte=now - window), "starts_at")
        self.facts.append(left)
        if left is not None:
            moments.append(left + window)
        if leaves is not None and leaves.date() <= EVENT_DATE_MAX:  # a row from before the bounds can't overflow
            coming.append(leaves + window)
        self.last_modified = max((moment for moment in moments if moment is not None), default=None)
        #: The next moment the state changes with nobody writing anything.
        self.changes_at = min((moment for moment in coming if moment is not None), default=None)
        self.etag_base = hashlib.sha256(repr(self.facts).encode()).hexdigest()[:32]

    @classmethod
    def current(cls):
        """The state now: from the shared cache while it holds, else read and stored."""
        now = timezone.now()
        state = cache_values([STATE_KEY], state_first=True)[0]  # on Redis, beside redis-py's client: cheaper
        if state is None or not state.now <= now < state.valid_until:
            state = cls(now)
            cache.set(STATE_KEY, state, timeout=max(1, int((state.valid_until - now).total_seconds()) + 1))
        return state

    @property
    def valid_until(self):
        bound = self.now + timedelta(seconds=settings.NEWSROOM_PAGE_CACHE_SECONDS)
        return min(bound, self.changes_at) if self.changes_at else bound

    def etag(self, *variant):
        digest = hashlib.sha256(repr([self.etag_base, *variant]).encode()).hexdigest()[:32]
        return f'"{digest}"'


def on_public_changed(**kwargs):
    """
    Hangs from ``public.changed``. The state is forgotten now, for the rest of this transaction,
    and again once it commits, in case another worker read the old rows in between: from then on
    every worker recomputes it.
    """
    def forget():
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.set(GENERATION_KEY, 1, timeout=None)
        cache.delete(STATE_KEY)

    forget()
    transaction.on_commit(forget)


def public_changed():
    """Everything public may have changed (kept for callers that name nothing): ``public.changed()``."""
    public.changed()


def public_cache(view):
    """
    Conditional GET, the page cache and a Cache-Control policy for a public view
    (a function, a ``View.as_view()``, a Feed instance, or ``dispatch`` via ``method_decorator``).
    """

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        state = PublicState.current()
        # What the page's fragments keyed by the public state read (``fragments.filters_key``).
        request.public_state = state
        authenticated = request.user.is_authenticated
        # A logged-in reader's copy is kept apart, in case pages ever differ for staff.
        etag = state.etag(authenticated)
        use_page_cache = not authenticated and shareable_request(request)
        # A shared cache in front that Newsroom purges (releases/purge.py) may keep anonymous pages.
        shared = not authenticated and purge.enabled()

        @condition(etag_func=lambda *a, **k: etag, last_modified_func=lambda *a, **k: state.last_modified)
        def respond(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if use_page_cache:
                # The page-cache middleware (newsroom/middleware.py) stores it on its way out.
                setattr(response, PAGE_MARK, etag)
            if shared and response.status_code == 200:
                response["Surrogate-Key"] = " ".join(sorted(purge.response_keys(response)))
            # Feeds and the sitemap date themselves by their newest entry, which a withdrawal
            # doesn't change: the newsroom's own time replaces it (``condition`` sets it).
            del response["Last-Modified"]
            return response

        response = respond(request, *args, **kwargs)
        if authenticated:
            patch_cache_control(response, private=True, no_cache=True)
        elif shared:
            # The shared cache keeps it until a purge (at most s-maxage, the same N always); browsers
            # revalidate (max-age 0) or keep it NEWSROOM_CACHE_MAX_AGE seconds, as without it.
            patch_cache_control(response, public=True, max_age=settings.NEWSROOM_CACHE_MAX_AGE,
                                s_maxage=settings.NEWSROOM_SHARED_CACHE_SECONDS)
        elif (max_age := settings.NEWSROOM_CACHE_MAX_AGE) > 0:
            # The same N whatever is scheduled: counting down to the next publication would tell
            # anyone reading the headers when an embargo lifts.
            patch_cache_control(response, public=True, max_age=max_age)
        else:
            # Kept, but revalidated before every use: a 304 costs a cache read.
            patch_cache_control(response, public=True, no_cache=True)
        return response

    setattr(cached_view, PAGE_PUBLIC, True)  # the page-cache middleware looks up only these views
    return cached_view
