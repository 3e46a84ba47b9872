"""
Render each list entry once per edition, and the parts of each detail page once per edition and
public state; reuse them across requests and workers.

A published edition never changes (an edit is a new edition, a new row), so the HTML of its list
entry can be kept in the configured cache (Redis in production). A list fetches its page of entries
in one round trip (``get_many``), the misses rendered and stored in one more (``set_many``).

Nothing invalidates a fragment: its key (``edition_key``, the one builder) names everything the
HTML depends on, so anything that changes makes a new key and the old one just expires.

- the edition: model, row, version, revision, state, publication, withdrawal and ``updated_at``
  (every save of the row), so a withdrawal or a correction saved in place makes a new key;
- its source (both show the source's name and link): row and ``updated_at``, so a rename
  shows at once;
- an advisory's event label (upcoming, today, past: it changes as time passes, with no save): the
  status now, so the label is as fresh as an uncached render's;
- the zone and language dates and labels are printed in;
- the templates and the translations (``template_version``: a digest of every template file and
  every catalogue under ``LOCALE_PATHS``, read once per process, so a deploy that changes a template
  or a translation renders afresh) and ``NEWSROOM_CACHE_VERSION``;
- and what each fragment shows besides: an entry its lead picture (``entry_key``); a detail page's
  head and article (``PageFragments``) the public state, which moves with every change to what they
  show of other rows (pictures, documents, programme, contacts, topics, follow-up, related items:
  ``models`` announces a change to an edition's parts made in place), and the address asked (the
  page prints absolute URLs). A detail page whose parts are kept reads its edition's row and
  nothing else; on a miss it reads the rest and renders.

A list page (home, a source's, a topic's) need not read its editions at all when their entries are
in the cache: the list's key query reads, beside each entry's place in the list, what its key
depends on (``STAMP_FIELDS``; ``Stamp``), one more query reads the page's lead pictures, and only
an entry whose HTML is missing has its edition read in full (``listed_entries``).

Search results carry highlighted titles and passages for the words searched: those entries are
rendered each time, never cached. A staff preview, and any edition not public right now, is
rendered each time and never stored.
"""
import hashlib
from functools import cache
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache as default_cache
from django.db.models import Q
from django.template import engines
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from newsroom.cache import cache_values

ENTRY_TEMPLATE = "releases/includes/entry.html"

#: How long an entry's HTML is kept; a week without a request for it, it is rendered again.
TIMEOUT = 7 * 24 * 3600


def templates_digest(directories):
    """A digest of the names and contents of every file under ``directories``."""
    digest = hashlib.sha256()
    for directory in directories:
        for path in sorted(Path(directory).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(directory)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def template_version():
    """The templates this process renders with: read at the first use, so once per worker."""
    directories = []
    for engine in engines.all():
        directories.extend(getattr(engine, "template_dirs", ()))
    directories.extend(settings.LOCALE_PATHS)  # a new translation renders afresh too
    return f"{templates_digest(directories)}{settings.NEWSROOM_CACHE_VERSION}"


def _stamp(value):
    return value.isoformat() if value is not None else "-"


def _row(row):
    """Every stored value of a row: a row changed in place (a caption, a contact's phone) changes it."""
    return tuple(getattr(row, field.attname) for field in row._meta.concrete_fields)


def edition_key(fragment, edition, *shows):
    """
    THE key of a fragment of ``edition``'s HTML: what every fragment of an edition depends on (see
    above), and ``shows``, what this fragment shows besides; a new value of any makes a new key.
    """
    source = edition.source
    parts = [
        edition.kind, edition.pk, edition.version, edition.revision, edition.state, _stamp(edition.published_at),
        _stamp(edition.withdrawn_at), _stamp(edition.public_updated_at), _stamp(edition.updated_at),
        source.pk, _stamp(source.updated_at),
        timezone.get_current_timezone_name(), translation.get_language(),
    ]
    if edition.kind == "advisory":
        parts.append(edition.event_status().value)
    parts.extend(shows)
    dependencies = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:24]
    return f"{fragment}:{template_version()}:{edition.kind}:{edition.pk}:{dependencies}"


def entry_key(entry):
    picture = entry.lead_picture
    shows = []
    if picture is not None:
        shows += [picture.pk, picture.image.name, picture.width, picture.height, picture.alt_text,
                  repr(picture.renditions)]
    return edition_key("entry", entry, *shows)


#: What ``edition_key`` reads of an edition besides its place in a list (``published_at``, pk), per kind: a
#: list's key query reads these too (``views.ListedNewestFirst``), so a cached entry needs no other read.
STAMP_FIELDS = {
    "release": (
        "version", "revision", "state", "withdrawn_at", "public_updated_at", "updated_at", "source_id",
        "source__updated_at",
    ),
}
STAMP_FIELDS["advisory"] = (*STAMP_FIELDS["release"], "event_date", "time_zone")


class Stamp:
    """
    An edition as its entry's key sees it, read as values in the list's key query rather than as a
    model instance: ``entry_key(stamp)`` is ``entry_key(edition)`` (``tests/test_fragments.py``). It
    also has what a list's cursors read (``paging.encode_cursor``), and, once resolved, ``html``.
    """

    def __init__(self, kind, pk, published_at, values, lead_picture):
        self.kind, self.pk, self.published_at, self.lead_picture = kind, pk, published_at, lead_picture
        stamps = dict(zip(STAMP_FIELDS[kind], values))
        self.version, self.revision, self.state = stamps["version"], stamps["revision"], stamps["state"]
        self.withdrawn_at, self.public_updated_at = stamps["withdrawn_at"], stamps["public_updated_at"]
        self.updated_at = stamps["updated_at"]
        self.source = SimpleNamespace(pk=stamps["source_id"], updated_at=stamps["source__updated_at"])
        self.event_date, self.time_zone = stamps.get("event_date"), stamps.get("time_zone")
        self.html = None

    def event_status(self, now=None):
        from .models import event_status

        return event_status(self.event_date, self.time_zone, now)


def lead_pictures(keys):
    """The lead picture of each (kind, pk) in ``keys``, in one query (``models.lead_picture_of``, as an edition picks it)."""
    from .models import Picture, lead_picture_of

    wanted = Q(pk__in=[])
    for kind in ("release", "advisory"):
        pks = [pk for key_kind, pk in keys if key_kind == kind]
        if pks:
            wanted |= Q(**{f"{kind}_id__in": pks})
    pictures = {}
    for picture in Picture.objects.filter(wanted, is_lead=True):  # in the pictures' own order, as the prefetch
        key = ("release", picture.release_id) if picture.release_id else ("advisory", picture.advisory_id)
        pictures.setdefault(key, []).append(picture)
    return {key: lead_picture_of(found) for key, found in pictures.items()}


def listed_entries(rows, fetch, cache=default_cache):
    """
    A list page's entries, each a ``Stamp`` with its ``html``, in order, from the list's key rows
    ``(kind, pk, published_at, stamp values)``: the entries found in one ``get_many``; for the others
    ``fetch(kind, pks)`` reads their editions in full (a dict by pk: one query per kind, the public
    querysets), which are rendered and stored in one ``set_many``. An edition gone from ``fetch``'s
    answer (withdrawn in between) is left out.
    """
    pictures = lead_pictures([(kind, pk) for kind, pk, *_ in rows]) if rows else {}
    stamps = [Stamp(kind, pk, published_at, values, pictures.get((kind, pk))) for kind, pk, published_at, values in rows]
    keys = [entry_key(stamp) for stamp in stamps]
    found = cache.get_many(keys) if keys else {}
    missing = [stamp for stamp, key in zip(stamps, keys) if key not in found]
    editions = {}
    for kind in {stamp.kind for stamp in missing}:
        fetched = fetch(kind, [stamp.pk for stamp in missing if stamp.kind == kind])
        editions.update({(kind, pk): edition for pk, edition in fetched.items()})
    rendered = {}
    for stamp, key in zip(stamps, keys):
        if key in found:
            stamp.html = found[key]
        elif (stamp.kind, stamp.pk) in editions:
            edition = editions[stamp.kind, stamp.pk]
            stamp.html = str(render_entry(edition))
            # Stored under the key of the edition as read and rendered, should it have changed since the key query.
            rendered[entry_key(edition)] = stamp.html
    if rendered:
        cache.set_many(rendered, TIMEOUT)
    # Stored HTML, escaped once when it was rendered: safe as it is, never escaped again.
    entries = [stamp for stamp in stamps if stamp.html is not None]
    for stamp in entries:
        stamp.html = mark_safe(stamp.html)
    return entries


def state_key(request, *parts):
    """
    The key of a fragment that is a function of what the public sees as a whole (``parts`` name
    the fragment and what else it depends on): the public state's ETag (``caching.PublicState``,
    which moves with every publication, withdrawal, source or contact change and event status, as
    the page cache's does), the language, the zone and the templates. "" outside
    ``caching.public_cache``, where there is no state: render it.
    """
    state = getattr(request, "public_state", None)
    if state is None:
        return ""
    return ":".join(map(str, (
        template_version(), state.etag_base, translation.get_language(), timezone.get_current_timezone_name(), *parts,
    )))


def filters_key(request, filterset, page_source=None):
    """
    The cache key of a list's filter form while it shows no filter (``includes/filters.html``), or
    "" where it must be rendered: a form with any filter given (a search, a source chosen, a wrong
    date: its values and errors are the visitor's, and kept they would let anyone fill the cache).
    The form is otherwise a function of the sources (the choices: among the public state's facts,
    which a rename or a deletion moves), the form's class and the page's source (a source's page
    leaves its own field out).
    """
    if filterset is None or not filterset.unfiltered:
        return ""
    return state_key(request, "filters", type(filterset).__name__, page_source.pk if page_source else "-")


def is_cacheable(entry):
    """Not a search result: its highlighting depends on the words searched."""
    return not (getattr(entry, "title_html", "") or getattr(entry, "snippet_html", ""))


def render_entry(entry):
    return get_template(ENTRY_TEMPLATE).render({"entry": entry})


def rendered_entries(entries, cache=default_cache):
    """The HTML of each entry, in order: cached ones in one round trip, the rest rendered and stored in one."""
    entries = list(entries)
    if all(isinstance(entry, Stamp) for entry in entries):
        return [entry.html for entry in entries]  # a list page's, resolved by ``listed_entries``
    keys = {index: entry_key(entry) for index, entry in enumerate(entries) if is_cacheable(entry)}
    found = cache.get_many(keys.values()) if keys else {}
    html, missing = [], {}
    for index, entry in enumerate(entries):
        key = keys.get(index)
        fragment = found.get(key) if key else None
        if fragment is None:
            fragment = render_entry(entry)
            if key:
                missing[key] = str(fragment)
        # Stored HTML, escaped once when it was rendered: safe as it is, never escaped again.
        html.append(mark_safe(fragment))
    if missing:
        cache.set_many(missing, TIMEOUT)
    return html


#: The parts of a detail page kept whole (``{% page_fragment %}`` in its template): its head's metadata and its article.
PAGE_PARTS = ("head", "article")

#: How long a part of a page is kept: keyed by the public state too, it is unused after the next change anyway.
PAGE_TIMEOUT = 24 * 3600


class PageFragments:
    """
    The parts of ``item``'s public page (``PAGE_PARTS``), fetched together in one round trip: each
    is a function of the edition (``edition_key``), of what the public sees as a whole (the public
    state's ETag: what the page shows of other rows, its contacts, topics, follow-up and related
    items, which every change to them moves) and of the address it was asked at (the page prints
    absolute URLs). Nothing is kept for an edition the public can't see right now, nor outside
    ``caching.public_cache``; then ``complete`` is False and each part is rendered.
    """

    def __init__(self, request, item):
        self.keys, self.found = {}, {}
        state = getattr(request, "public_state", None)
        if state is None or not item.is_public:
            return
        for part in PAGE_PARTS:
            self.keys[part] = edition_key(f"page-{part}", item, state.etag_base, request.scheme, request.get_host())
        keys = list(self.keys.values())
        found = cache_values(keys)  # on Redis one MGET beside redis-py's client (newsroom.cache)
        self.found = {key: html for key, html in zip(keys, found) if html is not None}

    @property
    def complete(self):
        """Every part found: the page needs nothing of the edition but its row."""
        return bool(self.keys) and len(self.found) == len(self.keys)

    def render(self, part, render):
        """``part``'s HTML: from the cache, or ``render()`` and stored."""
        key = self.keys.get(part)
        if key is None:
            return render()
        html = self.found.get(key)
        if html is None:
            html = str(render())
            default_cache.set(key, html, PAGE_TIMEOUT)
        # Stored HTML, escaped once when it was rendered: safe as it is, never escaped again.
        return mark_safe(html)
