"""
Render each list entry once per edition, and reuse it across requests and workers.

A published edition never changes (an edit is a new edition, a new row), so the HTML of its list
entry can be kept in the configured cache (Redis in production) and fetched for a whole page in one
round trip (``get_many``), the misses rendered and stored in one more (``set_many``).

Nothing invalidates a fragment: its key names everything the entry's HTML depends on, so anything
that changes makes a new key and the old one just expires.

- the edition: model, row, version, revision, state, publication, withdrawal and ``updated_at``
  (every save of the row), so a withdrawal or a correction saved in place makes a new key;
- its source (the entry shows the source's name and link): row and ``updated_at``, so a rename
  shows at once;
- its lead picture (the thumbnail): row and the fields the thumbnail prints;
- an advisory's event label (upcoming, today, past: it changes as time passes, with no save): the
  status now, so the label is as fresh as an uncached render's;
- the zone and language dates are printed in;
- the templates and the translations (``template_version``: a digest of every template file and
  every catalogue under ``LOCALE_PATHS``, read once per process, so a deploy that changes a template
  or a translation renders afresh) and ``NEWSROOM_CACHE_VERSION``.

Search results carry highlighted titles and passages for the words searched: those entries are
rendered each time, never cached.
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


def entry_key(entry):
    source = entry.source
    picture = entry.lead_picture
    parts = [
        entry.kind, entry.pk, entry.version, entry.revision, entry.state, _stamp(entry.published_at),
        _stamp(entry.withdrawn_at), _stamp(entry.public_updated_at), _stamp(entry.updated_at),
        source.pk, _stamp(source.updated_at),
        timezone.get_current_timezone_name(), translation.get_language(),
    ]
    if picture is not None:
        parts += [picture.pk, picture.image.name, picture.width, picture.height, picture.alt_text,
                  repr(picture.renditions)]
    if entry.kind == "advisory":
        parts.append(entry.event_status().value)
    dependencies = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:24]
    return f"entry:{template_version()}:{entry.kind}:{entry.pk}:{dependencies}"


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
