"""
HTTP caching of the public surfaces: lists, pages, feeds, calendars, sitemap.

Every public surface is a function of the same few facts: which editions are
public and when they were last approved, which were withdrawn and when, and
which advisories have left the "upcoming" windows. ``PublicState`` reads them
with one aggregate query per model, and ``public_cache`` turns them into an
``ETag`` and a ``Last-Modified`` for Django's ``condition`` decorator, which
answers ``304 Not Modified`` to a conditional request that still matches.

The validators change the moment anything public changes:
- publication (the count of public editions grows, and its approval time is the newest),
- approval of an edit (a newer approval time),
- withdrawal (a withdrawal time, and one public edition fewer),
- a scheduled item's time arriving: nothing is written then, but the item
  enters ``public_or_withdrawn(now)``, and its approval time is its publication
  time, so both validators move at that very moment,
- an advisory leaving the home page's "upcoming" box or the calendar feed.

Cache-Control for anonymous responses: ``public, no-cache`` by default (any cache
may keep them but asks before each reuse, which costs a 304 and the aggregate
queries); with ``NEWSROOM_CACHE_MAX_AGE`` > 0, ``public, max-age=N``, N cut short
so that no cache holds a response past the next scheduled publication. Logged-in
users get ``private, no-cache``; the staff preview stays ``private, no-store``.

Edits of sources and contacts do not move the validators (those rows carry no
timestamps): they show with the next publication, approval or withdrawal, or
after a deploy with a new ``NEWSROOM_CACHE_VERSION``.
"""
import hashlib
from functools import wraps

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition

from .calendar import UPCOMING_GRACE, calendar_past
from .models import Advisory, Release
from .workflow import State


class PublicState:
    """What the public can see, summed up at one instant."""

    def __init__(self, now=None):
        self.now = now = now or timezone.now()
        self.facts = [settings.NEWSROOM_CACHE_VERSION]
        moments, self.coming = [], []
        windows = (UPCOMING_GRACE, calendar_past())
        for model in (Release, Advisory):
            aggregates = {
                "public": Count("pk", filter=Q(state=State.PUBLISHED)),
                "withdrawn": Count("pk", filter=Q(state=State.WITHDRAWN)),
                "approved_at": Max("revised_at"),
                "withdrawn_at": Max("withdrawn_at"),
            }
            if model is Advisory:
                for number, window in enumerate(windows):
                    public_event = Q(state=State.PUBLISHED)
                    # The latest start that has left the window, and the next one to leave it.
                    aggregates[f"left_{number}"] = Max("starts_at", filter=public_event & Q(starts_at__lt=now - window))
                    aggregates[f"leaves_{number}"] = Min("starts_at", filter=public_event & Q(starts_at__gte=now - window))
            stats = model.objects.public_or_withdrawn(now).aggregate(**aggregates)
            self.facts.append(sorted((name, value) for name, value in stats.items() if not name.startswith("leaves_")))
            moments += [stats["approved_at"], stats["withdrawn_at"]]
            for number, window in enumerate(windows):
                if stats.get(f"left_{number}") is not None:
                    moments.append(stats[f"left_{number}"] + window)
                if stats.get(f"leaves_{number}") is not None:
                    self.coming.append(stats[f"leaves_{number}"] + window)
        self.last_modified = max((moment for moment in moments if moment is not None), default=None)

    def etag(self, *variant):
        digest = hashlib.sha256(repr([*self.facts, *variant]).encode()).hexdigest()[:32]
        return f'"{digest}"'

    def max_age(self):
        """
        How long a cache may reuse a response without asking: ``NEWSROOM_CACHE_MAX_AGE``, cut
        short so that no cache holds a page past the next scheduled publication (an embargo
        lifts on time) or the next event leaving a list. 0 means "ask every time".
        """
        limit = settings.NEWSROOM_CACHE_MAX_AGE
        if limit <= 0:
            return 0
        coming = self.coming + [
            model.objects.scheduled(self.now).aggregate(next=Min("published_at"))["next"] for model in (Release, Advisory)
        ]
        until = [int((moment - self.now).total_seconds()) for moment in coming if moment is not None]
        return max(0, min([limit, *until]))


def public_cache(view):
    """
    Conditional GET and a Cache-Control policy for a public view (a function,
    a ``View.as_view()``, a Feed instance, or ``dispatch`` via ``method_decorator``).
    """

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        state = PublicState()
        authenticated = request.user.is_authenticated
        # A logged-in reader's copy is kept apart, in case pages ever differ for staff.
        etag = state.etag(authenticated)

        @condition(etag_func=lambda *a, **k: etag, last_modified_func=lambda *a, **k: state.last_modified)
        def respond(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            # Feeds and the sitemap date themselves by their newest entry, which a withdrawal
            # doesn't change: the newsroom's own time replaces it (``condition`` sets it).
            del response["Last-Modified"]
            return response

        response = respond(request, *args, **kwargs)
        if authenticated:
            patch_cache_control(response, private=True, no_cache=True)
        elif max_age := state.max_age():
            patch_cache_control(response, public=True, max_age=max_age)
        else:
            # Kept, but revalidated before every use: a 304 costs one aggregate query per model.
            patch_cache_control(response, public=True, no_cache=True)
        return response

    return cached_view
