"""
Paging through the public lists without OFFSET scans or COUNT(*).

A newest-first list is paged by *cursor* (keyset pagination): "Older" links
carry the position of the page's last item, ``?before=<cursor>``, and the next
page is the rows strictly after it in the list's order, read straight from the
``(published_at, id)`` index however deep the reader goes. "Newer" links carry
``?after=<cursor>`` of the page's first item. There is no total count and no
page number, as in any large archive's "Older / Newer" navigation.

The list's order is (published_at, kind, pk), newest first; the cursor holds
those three values, so ties between items published at the same instant are
broken the same way on every page.

Search results are ordered by relevance, which has no usable index order: they
are paged by number, without a total count, and only so deep
(``MAX_SEARCH_PAGES``): a reader who needs page 51 needs a narrower search.
"""
from datetime import datetime, timezone

from django.db.models import Q

MAX_SEARCH_PAGES = 50
KINDS = {"a": "advisory", "r": "release"}


def encode_cursor(item):
    """``<microseconds since epoch>.<a|r><pk>``: short, opaque enough, and URL-safe."""
    moment = item.published_at.astimezone(timezone.utc)
    micros = int(moment.timestamp()) * 1_000_000 + moment.microsecond
    return f"{micros}.{item.kind[0]}{item.pk}"


def decode_cursor(value):
    """(published_at, kind, pk), or None when the value isn't a cursor we made."""
    try:
        micros, key = value.split(".")
        kind, pk = KINDS[key[0]], int(key[1:])
        moment = datetime.fromtimestamp(int(micros) // 1_000_000, tz=timezone.utc).replace(
            microsecond=int(micros) % 1_000_000
        )
    except (AttributeError, ValueError, KeyError, IndexError, OverflowError, OSError):
        return None
    if pk <= 0:
        return None
    return moment, kind, pk


def beyond(queryset, cursor, older):
    """The rows of ``queryset`` after ``cursor`` in newest-first order (``older``) or before it."""
    moment, kind, pk = cursor
    own = queryset.model.kind
    # Written as "at or before the moment, and ..." so that the database walks the
    # (published_at, id) index from the moment on instead of collecting every older row.
    if older:
        if own < kind:
            return queryset.filter(published_at__lte=moment)
        if own > kind:
            return queryset.filter(published_at__lt=moment)
        return queryset.filter(Q(published_at__lte=moment) & (Q(published_at__lt=moment) | Q(pk__lt=pk)))
    if own > kind:
        return queryset.filter(published_at__gte=moment)
    if own < kind:
        return queryset.filter(published_at__gt=moment)
    return queryset.filter(Q(published_at__gte=moment) & (Q(published_at__gt=moment) | Q(pk__gt=pk)))


class CursorPage:
    """One page of a newest-first list, with the cursors of its neighbours (the template's ``page_obj``)."""

    def __init__(self, entries, newer, older):
        self.object_list = entries
        self.newer_cursor = encode_cursor(entries[0]) if newer and entries else None
        self.older_cursor = encode_cursor(entries[-1]) if older and entries else None

    def has_next(self):
        return self.older_cursor is not None

    def has_previous(self):
        return self.newer_cursor is not None

    def has_other_pages(self):
        return self.has_next() or self.has_previous()


def cursor_page(merge, releases, advisories, size, before=None, after=None):
    """
    A page of ``merge(releases, advisories)`` (a newest-first merged list) of
    ``size`` entries, starting after ``before`` or ending before ``after``.
    """
    cursor = decode_cursor(before or after or "")
    if cursor is None:
        entries = merge(releases, advisories)[: size + 1]
        return CursorPage(entries[:size], newer=False, older=len(entries) > size)
    if before:
        entries = merge(beyond(releases, cursor, older=True), beyond(advisories, cursor, older=True))[: size + 1]
        return CursorPage(entries[:size], newer=True, older=len(entries) > size)
    entries = merge(
        beyond(releases, cursor, older=False), beyond(advisories, cursor, older=False), oldest_first=True,
    )[: size + 1]
    newer = len(entries) > size
    return CursorPage(list(reversed(entries[:size])), newer=newer, older=True)


class NumberedPage:
    """A page of search results (or of past events) by number, without a total count."""

    def __init__(self, merged, number, size):
        self.number, self.size = number, size
        # One read, whether ``merged`` slices into a list or into a queryset.
        entries = list(merged[(number - 1) * size: number * size + 1])
        self.object_list = entries[:size]
        #: More results follow this page (even on the last page one may go to).
        self.has_more = len(entries) > size
        self.next_page_number = number + 1 if self.has_more and number < MAX_SEARCH_PAGES else None
        self.previous_page_number = number - 1 if number > 1 else None

    def has_next(self):
        return self.next_page_number is not None

    def has_previous(self):
        return self.previous_page_number is not None

    def has_other_pages(self):
        return self.has_next() or self.has_previous()


def page_number(value):
    """A page number from the query string; anything else is page 1, anything too deep the last allowed."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_SEARCH_PAGES)
