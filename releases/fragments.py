"""
Render each list entry, and the body of each detail page, once per edition; reuse them across
requests and workers.

A published edition never changes (an edit is a new edition, a new row), so the HTML of its list
entry and of its page's body can be kept in the configured cache (Redis in production). A list
fetches its page of entries in one round trip (``get_many``), the misses rendered and stored in one
more (``set_many``); a detail page fetches its body in one ``get``.

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
- and what each fragment shows besides: an entry its lead picture (``entry_key``); a body every
  picture, document, public contact, programme entry and an advisory's public follow-up release,
  each by every stored value of its row (``body_key``), all of them already fetched by the view.

Search results carry highlighted titles and passages for the words searched: those entries are
rendered each time, never cached. A staff preview, and any edition not public right now, is
rendered each time and never stored.
"""
import hashlib
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as default_cache
from django.template import engines
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

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


def body_key(item):
    """The body shows the pictures, documents, public contacts, programme and public follow-up release."""
    shows = [_row(row) for row in [*item.pictures.all(), *item.documents.all(), *item.contacts.all()]]
    if item.kind == "advisory":
        shows += [_row(entry) for entry in item.programme.all()]
        follow_up = item.public_follow_up
        shows.append(_row(follow_up) if follow_up is not None else "no follow-up")
    return edition_key("body", item, *shows)


def is_cacheable(entry):
    """Not a search result: its highlighting depends on the words searched."""
    return not (getattr(entry, "title_html", "") or getattr(entry, "snippet_html", ""))


def render_entry(entry):
    return get_template(ENTRY_TEMPLATE).render({"entry": entry})


def rendered_entries(entries, cache=default_cache):
    """The HTML of each entry, in order: cached ones in one round trip, the rest rendered and stored in one."""
    entries = list(entries)
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


def rendered_body(context, template_name, cache=default_cache):
    """
    The body of ``context["item"]``'s page, ``template_name`` rendered in the page's context: from
    the cache when its key is there, else rendered and stored; rendered each time, and never
    stored, in a staff preview and for an edition the public can't see right now.
    """
    item = context["item"]
    template = context.template.engine.get_template(template_name)
    if context.get("preview") or not item.is_public:
        return template.render(context)
    key = body_key(item)
    html = cache.get(key)
    if html is None:
        html = str(template.render(context))
        cache.set(key, html, TIMEOUT)
    # Stored HTML, escaped once when it was rendered: safe as it is, never escaped again.
    return mark_safe(html)
