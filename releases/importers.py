"""
Import a press digest: the plain-text round-up of releases and media
advisories that press offices send out (``demo/digest.txt`` is a real one).

Each item is a title line, a blank line, ``Source: NAME``, a blank line, then
body paragraphs up to the next item's title (the line two above the next
item's ``Source:`` line). A body paragraph may start with "Source:" too
("Source: Eurostat figures for 2023 show…"), so a ``Source:`` line starts an
item only where the layout says so (see ``_starts_item``). The digest is read
completely before anything is written, so a malformed digest is refused with
the line to fix and leaves the database untouched; the writing happens in one
transaction for the same reason.

Text is stored as the admin stores it (``releases.text.normalise_text``):
control characters are dropped, and the line breaks some editors put inside a
line (Word's manual line break, form feeds, U+2028) become line breaks in the
body and spaces in titles and names.

The importer takes from the text only what the text states. An advisory whose
time isn't given keeps an empty time (the admin flags it), one whose place
isn't given keeps an empty place, and a teaser keeps an empty body and no
original URL rather than an invented link.

New items enter the workflow through ``receive_import`` like any trusted
import: in review by default, published with ``publish=True``. Published items
carry the date they were first published, not the date they were loaded: the
file's date (``published_on``), or an item's own from a dates file (``dates``,
see ``parse_dates``); with neither, the import is today's digest, published now.
"""
import codecs
import itertools
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify

from . import languages
from .models import (
    EVENT_DATE_MAX, EVENT_DATE_MIN, HANDLE_RE, TEASER_END, Advisory, Contact, ProgrammeEntry, Release, Source,
)
from .localtime import newsroom_zone
from .text import markdown_to_html, normalise_text

SOURCE_PREFIX = "Source:"
#: How a sentence ends, and so neither a title (a headline may ask or exclaim) nor a source's name.
SENTENCE_ENDS = (".", "…", ":", ";", ",")
NAME_ENDS = (*SENTENCE_ENDS, "!", "?")
ADVISORY_HEADING = "Media advisory"
COVERAGE_HEADING = "Media coverage"
MORE_INFORMATION_RE = re.compile(r"^For more information:?$")
CONTACT_RE = re.compile(r"^Contact the (?P<name>.+?)\.?$")
FOLLOW_US_RE = re.compile(r"^Follow us\b")
BULLET_RE = re.compile(r"^\s*•\s*(?P<text>.*)$")
PROGRAMME_RE = re.compile(
    r"^\s*(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?:\s*\((?P<zone>[A-Z]{2,5})\))?\s+(?P<description>\S.*)$"
)
#: An opening paragraph in the future tense announces an event: "will meet with", "will attend".
ANNOUNCEMENT_RE = re.compile(r"\bwill (?:meet|attend|visit)\b")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
#: "8 November 2023", "31st October 2023", "26-27 October 2023".
DATE_RE = re.compile(
    r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?"
    r"(?:\s*[-–]\s*(?P<last_day>\d{1,2})(?:st|nd|rd|th)?)?"
    rf"\s+(?P<month>{'|'.join(MONTHS)})\s+(?P<year>\d{{4}})\b"
)
#: A named place after "at": "at NATO Headquarters".
VENUE_RE = re.compile(r"\bat (?:the )?(?P<venue>[A-Z][\w’'&-]*(?:\s+(?:(?:of|the)\s+)*[A-Z][\w’'&-]*)*)")

#: The cities an advisory may name, with their time zone and country. A city
#: not listed here is left for an editor to fill in rather than guessed.
CITIES = {
    "Brussels": ("Europe/Brussels", "Belgium"),
    "Oslo": ("Europe/Oslo", "Norway"),
    "Paris": ("Europe/Paris", "France"),
    "The Hague": ("Europe/Amsterdam", "Netherlands"),
}
CITY_RE = re.compile(
    rf"\bin (?P<city>{'|'.join(map(re.escape, CITIES))})\b(?:,\s+(?:the\s+)?(?P<country>[A-Z][^\W\d_]*))?"
)
#: Zone abbreviations in programme lines. Without a known city, a CET time is
#: read as the newsroom's home zone.
ZONE_ABBREVIATIONS = {"CET": "Europe/Brussels", "CEST": "Europe/Brussels"}
#: Media-coverage bullets and the advisory field each one fills, first match wins.
COVERAGE_FIELDS = (
    ("accreditation", re.compile(r"accredit", re.IGNORECASE)),
    ("live_stream", re.compile(r"live[- ]?stream", re.IGNORECASE)),
    ("video_download", re.compile(r"video.*download|download.*video", re.IGNORECASE)),
    ("transcript", re.compile(r"transcript", re.IGNORECASE)),
)
SLUG_LENGTH = Release._meta.get_field("slug").max_length
#: The time of day a dated item is published at, in the newsroom's zone: noon is the same calendar
#: day in every zone from UTC-11 to UTC+11, so the date shown is the date given wherever it is read.
PUBLICATION_TIME = time(12, 0)
#: A line of a dates file: "2023-11-08  The item's title".
DATES_LINE_RE = re.compile(r"^(?P<day>\d{4}-\d{2}-\d{2})\s+(?P<title>\S.*)$")


class DigestError(Exception):
    """A digest that can't be imported, with the line to fix."""

    where = "line"

    def __init__(self, line, message):
        super().__init__(f"{self.where} {line}: {message}")
        self.line = line
        self.message = message


class DatesError(DigestError):
    """A dates file (the digest's sidecar) that can't be used, with its line to fix."""

    where = "dates file line"


@dataclass
class ImportResult:
    """The items of one digest, in its order: the rows created and those already present."""

    created: list = field(default_factory=list)
    existing: list = field(default_factory=list)

    def __str__(self):
        return f"{len(self.created)} created, {len(self.existing)} already present."


@dataclass
class Entry:
    """One digest item, read and checked, ready to be written."""

    line: int
    model: type
    source_name: str
    title: str
    slug: str
    fields: dict
    text: str
    contacts: list = field(default_factory=list)
    handles: list = field(default_factory=list)
    programme: list = field(default_factory=list)
    follow_up: "Entry | None" = None

    @property
    def source_key(self):
        return self.source_name.casefold()


def import_digest(digest, publish=False, name=None, published_on=None, dates=None, language=None, translation_of=None):
    """
    Import a digest and return an ``ImportResult``; raise ``DigestError`` if it is malformed.

    ``digest`` is a path (a ``Path``, or a one-line string: no digest fits on
    one line), the raw bytes of a file, or its text. ``name`` is the file name
    recorded in the workflow history.

    With ``publish=True`` new items are published, a second apart in the
    digest's order (newest first), on the day they were first published: an
    item named in ``dates`` (a dates file, see ``parse_dates``) on its own day,
    any other on ``published_on`` (the digest's date), at noon in the
    newsroom's zone. Without either, the digest is today's and goes out now.

    ``language`` (a code of ``NEWSROOM_LANGUAGES``; default the site's) is the
    language of every new item. ``translation_of`` (a public address, an original
    URL or an id, see ``find_original``) links the digest's one item to its original
    as a translation. (A digest states no original URL, so nothing is linked unasked.)
    """
    if _is_path(digest):
        path = Path(digest)
        digest, name = path.read_bytes(), name or path.name
    entries = parse_digest(digest)
    item_dates = parse_dates(Path(dates).read_bytes() if _is_path(dates) else dates, entries) if dates else {}
    if (published_on or item_dates) and not publish:
        raise ValueError("Publication dates are given only with publish=True.")
    if published_on is not None:
        _check_publication_date(published_on, lambda message: ValueError(f"the digest's date: {message}"))
    elif item_dates and (undated := [entry.title for entry in entries if entry.title not in item_dates]):
        raise ValueError(
            f"the dates file doesn't date “{undated[0]}” (and {len(undated) - 1} more): give the digest's date too",
        )
    language = language or languages.default_language()
    if language not in languages.codes():
        raise ValueError(f"“{language}” is not one of the newsroom's languages ({', '.join(languages.codes())}).")
    for entry in entries:
        entry.fields["language"] = language
    if translation_of is not None and len(entries) != 1:
        raise ValueError("--translation-of links one item: the digest holds more than one.")
    with transaction.atomic():
        original = find_original(translation_of, entries[0].model) if translation_of is not None else None
        result = _write(entries, publish=publish, name=name or "digest", published_on=published_on, dates=item_dates)
        _link_translations(result.created, original)
    return result


def find_original(reference, model):
    """
    The item an imported translation translates, by ``reference``: its public address
    (full or a path, "/releases/<slug>/"), its original URL, or its admin id (a number).
    Its newest edition; ``ValueError`` when nothing or more than one document matches.
    """
    from django.urls import Resolver404, resolve

    reference = (reference or "").strip()
    candidates = model.objects.none()
    if reference.isdigit():
        candidates = model.objects.filter(pk=int(reference))
    else:
        path = urlsplit(reference).path or reference
        try:
            # A French item's address is /fr/releases/…: resolved as its page is, in its address's language.
            with translation.override(languages.django_language(languages.from_path(path))):
                match = resolve(path)
        except Resolver404:
            match = None
        if match is not None and match.url_name == f"{model.kind}-detail":
            candidates = model.objects.filter(slug=match.kwargs["slug"])
        if not candidates.exists():
            candidates = model.objects.filter(original_url=reference)
    documents = set(candidates.values_list("document", flat=True))
    if len(documents) != 1:
        raise ValueError(
            f"--translation-of “{reference}”: "
            + ("no " if not documents else "more than one ") + f"{model._meta.verbose_name} has that address or id."
        )
    return model.objects.filter(document=documents.pop()).order_by("-version").first()


def _link_translations(created, original):
    """Link the new item to the original named by ``--translation-of`` (none named: nothing to link)."""
    from .translations import TransitionError, link

    for row in created if original is not None else ():
        try:
            link(row, original)
        except TransitionError as error:
            raise ValueError(f"--translation-of: {error}") from error


def _is_path(value):
    return isinstance(value, os.PathLike) or (isinstance(value, str) and value and "\n" not in value)


def parse_dates(text, entries):
    """
    The items' own publication dates, from a dates file: {item title: date}.

    A dates file sits beside a digest when its items were published on
    different days: one line per item, the ISO date, spaces, then the item's
    title exactly as in the digest ("2023-11-08  NATO Secretary General meets
    with the President of Hungary"); blank lines and lines starting with "#"
    are ignored. Every title must be one of the digest's, once, and no date may
    lie in the future: a typo is refused (``DatesError``), never guessed at.
    """
    if isinstance(text, bytes):
        try:
            text = text.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        except UnicodeDecodeError:
            raise DatesError(1, "not UTF-8 text; save the dates file as UTF-8") from None
    titles = {}
    for entry in entries:
        titles.setdefault(entry.title, []).append(entry)
    dates = {}
    for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), 1):
        line = _one_line(line)
        if not line or line.startswith("#"):
            continue
        match = DATES_LINE_RE.match(line)
        if match is None:
            raise DatesError(number, "write the date as YYYY-MM-DD, then the item's title")
        try:
            day = date.fromisoformat(match["day"])
        except ValueError:
            raise DatesError(number, f"“{match['day']}” is not a date") from None
        _check_publication_date(day, lambda message: DatesError(number, message))
        title = match["title"].strip()
        if title not in titles:
            raise DatesError(number, f"the digest has no item titled “{title}”")
        if len(titles[title]) > 1:
            raise DatesError(number, f"the digest has {len(titles[title])} items titled “{title}”; date them apart")
        if title in dates:
            raise DatesError(number, f"“{title}” is dated twice")
        dates[title] = day
    return dates


def _check_publication_date(day, error):
    """A first publication lies between the bounds every zone can represent and today."""
    if not EVENT_DATE_MIN <= day <= timezone.localdate(timezone=newsroom_zone()):
        raise error(f"{day.isoformat()} is not a past publication date (from {EVENT_DATE_MIN.isoformat()} to today)")


def publication_time(day, position=0):
    """The instant an item first published on ``day`` is dated: noon in the newsroom's zone, a second per position."""
    return datetime.combine(day, PUBLICATION_TIME, tzinfo=newsroom_zone()) - timedelta(seconds=position)


def parse_digest(digest):
    """The digest's items as ``Entry`` objects, without touching the database."""
    items = [_read_item(*item) for item in _split_items(_lines(digest))]
    _link_follow_ups(items)
    return items


# --- reading the text -------------------------------------------------------

def _lines(digest):
    """
    The digest's lines, decoded one by one so that bytes that aren't UTF-8 are
    reported on their own line. Not str.splitlines(): it also breaks at
    characters editors don't show as line ends, and the numbers in errors must
    match the editor's.
    """
    if isinstance(digest, bytes):
        raw_lines = digest.removeprefix(codecs.BOM_UTF8).split(b"\n")
    else:
        raw_lines = digest.removeprefix("\ufeff").split("\n")
    lines = []
    for number, line in enumerate(raw_lines, 1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as error:
                raise DigestError(
                    number, f"not UTF-8 text (byte {line[error.start]:#04x} at position {error.start + 1}); "
                    "save the digest as UTF-8",
                ) from None
        if "\0" in line:
            raise DigestError(number, "contains a NUL byte; the file is not plain text")
        # After the split: a line break inside a line ("\x0b", "\u2028") becomes "\n" within
        # that line, so the numbering stays the editor's.
        lines.append(normalise_text(line.removesuffix("\r")))
    return lines


def _one_line(text):
    """A title or a name: one line, whatever breaks the digest put inside it."""
    return normalise_text(text, multiline=False).strip()


def _is_blank(line):
    return not line.strip()


def _starts_item(lines, index):
    """
    Whether line ``index`` is an item's ``Source: NAME`` line. It is when the
    layout of the real digests says so: the name reads as a name (it doesn't end
    like a sentence and fits the source's name field), the line is a paragraph
    of its own (a blank line above and below, or the end of the file below),
    and the paragraph above is a title (one line, not ending like a sentence).

    A ``Source:`` line whose text ends like a sentence is body text. One that
    reads as a name but breaks the layout is refused rather than guessed at:
    splitting it off would make a bogus item and a bogus source, and keeping it
    in the body could swallow a real item. The message says how to keep it as text.
    """
    line = lines[index]
    if not line.startswith(SOURCE_PREFIX):
        return False
    name = _one_line(line.removeprefix(SOURCE_PREFIX))
    if name.endswith(NAME_ENDS) or len(name) > Source._meta.get_field("name").max_length:
        return False
    title = lines[index - 2] if index >= 2 else ""
    if index < 2 or not _is_blank(lines[index - 1]) or _is_blank(title) or title.startswith(SOURCE_PREFIX):
        raise DigestError(index + 1, "`Source:` line has no title above it (a title, then a blank line)")
    if not name:
        raise DigestError(index + 1, "`Source:` line has no name")
    keep_as_text = "if this line is body text, end it with a full stop"
    if index >= 3 and not _is_blank(lines[index - 3]):
        raise DigestError(
            index + 1, f"the line two above this `Source:` line ends a paragraph rather than being a title on its "
            f"own (a blank line above the title is missing); {keep_as_text}",
        )
    if _one_line(title).endswith(SENTENCE_ENDS):
        raise DigestError(
            index + 1, f"the line two above this `Source:` line ends like a sentence, not a title; {keep_as_text}",
        )
    if index + 1 < len(lines) and not _is_blank(lines[index + 1]):
        raise DigestError(index + 1, f"an item's `Source:` line is followed by a blank line; {keep_as_text}")
    return True


def _split_items(lines):
    """Yield (title line number, title, source name, paragraphs) per item; paragraphs are [(number, line)]."""
    starts = [index for index in range(len(lines)) if _starts_item(lines, index)]
    if not starts:
        text_lines = [number for number, line in enumerate(lines, 1) if not _is_blank(line)]
        if not text_lines:
            raise DigestError(1, "the digest is empty")
        raise DigestError(
            text_lines[0], "no `Source:` line; each item needs a title, a blank line and `Source: NAME`",
        )
    for number, line in enumerate(lines[:starts[0] - 2], 1):
        if not _is_blank(line):
            raise DigestError(number, "text before the first item (is its `Source:` line missing?)")

    ends = [index - 2 for index in starts[1:]] + [len(lines)]
    for start, end in zip(starts, ends):
        title, source_name = _one_line(lines[start - 2]), _one_line(lines[start].removeprefix(SOURCE_PREFIX))
        paragraphs, paragraph = [], []
        for number, line in enumerate(lines[start + 1:end], start + 2):
            if _is_blank(line):
                paragraph = []
            else:
                if not paragraph:
                    paragraphs.append(paragraph)
                paragraph.append((number, line))
        if not paragraphs:
            raise DigestError(start - 1, f"“{title}” has no text below its `Source:` line")
        yield start - 1, title, source_name, paragraphs


def _read_item(line, title, source_name, paragraphs):
    """Make an item into a release or an advisory, taking only what its text states."""
    _check_length(Release, "title", title, line)
    _check_length(Source, "name", source_name, line + 2)
    slug = slugify(title)[:SLUG_LENGTH].rstrip("-")
    if not slug:
        raise DigestError(line, "the title has no letters or digits to make a web address from")
    if not slugify(source_name):
        raise DigestError(line + 2, "the source name has no letters or digits to make a web address from")

    advisory = _is_advisory(paragraphs)
    parts = _sort_lines(paragraphs, advisory)
    if not parts.paragraphs:
        raise DigestError(line, f"“{title}” has no text besides contacts and links")
    summary = _joined(parts.paragraphs[0])
    text = "\n".join([title, *(_joined(paragraph) for paragraph in paragraphs)])
    fields = {"title": title, "summary": summary, "body": markdown_to_html(_markdown(parts.paragraphs))}
    if len(parts.paragraphs) == 1 and summary.rstrip().endswith(TEASER_END) and not advisory:
        # A teaser: the digest gives the opening only, and not where the rest is.
        fields.update(body="", original_url="")
    if advisory:
        fields.update(_event_fields(line, parts))
    else:
        fields["category"] = Release.Category.PRESS_RELEASE
    for number, name in parts.contacts:
        _check_length(Contact, "name", name, number)
    return Entry(
        line=line,
        model=Advisory if advisory else Release,
        source_name=source_name,
        title=title,
        slug=slug,
        fields=fields,
        text=text,
        contacts=[name for _, name in parts.contacts],
        handles=parts.handles,
        programme=[(entry_time, description) for _, entry_time, _, description in parts.programme],
    )


def _is_advisory(paragraphs):
    """Marked "Media advisory", or opening with an announcement of a dated event."""
    if any(line.strip() == ADVISORY_HEADING for paragraph in paragraphs for _, line in paragraph):
        return True
    opening = _joined(paragraphs[0])
    return bool(ANNOUNCEMENT_RE.search(opening) and DATE_RE.search(opening))


@dataclass
class _Parts:
    paragraphs: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    handles: list = field(default_factory=list)
    programme: list = field(default_factory=list)
    coverage: dict = field(default_factory=dict)


def _sort_lines(paragraphs, advisory):
    """
    Take out the lines that are data rather than text and keep the rest,
    paragraph by paragraph: the contacts under "For more information:", the
    "Follow us" handles and, for an advisory, its programme and the media
    coverage notes. Anything not recognised stays in the text.
    """
    parts = _Parts()
    section = None
    for paragraph in paragraphs:
        kept = []
        for number, line in paragraph:
            stripped = line.strip()
            bullet = BULLET_RE.match(line)
            if section == "coverage" and not bullet:
                section = None
            if stripped == ADVISORY_HEADING:
                continue
            if MORE_INFORMATION_RE.match(stripped):
                section = "information"
            elif advisory and stripped == COVERAGE_HEADING:
                section = "coverage"
            elif section == "information" and (match := CONTACT_RE.match(stripped)):
                parts.contacts.append((number, _one_line(match["name"])))
            elif FOLLOW_US_RE.match(stripped):
                parts.handles.extend(HANDLE_RE.findall(stripped))
            elif advisory and (match := PROGRAMME_RE.match(line)):
                description = _one_line(match["description"])
                _check_length(ProgrammeEntry, "description", description, number)
                entry_time = time(int(match["hour"]), int(match["minute"]))
                parts.programme.append((number, entry_time, match["zone"], description))
            elif section == "coverage" and (name := _coverage_field(bullet["text"])):
                note = bullet["text"].strip()
                parts.coverage[name] = f"{parts.coverage[name]}\n{note}" if name in parts.coverage else note
            else:
                kept.append((number, line))
        if kept:
            parts.paragraphs.append(kept)
    return parts


def _coverage_field(text):
    return next((name for name, pattern in COVERAGE_FIELDS if pattern.search(text)), None)


def _event_fields(line, parts):
    """When and where, from the opening paragraph and the programme; what isn't stated stays empty."""
    opening = parts.paragraphs[0]
    event_date = _event_date(line, opening)
    opening_text = _joined(opening)
    city = country = ""
    if match := CITY_RE.search(opening_text):
        city = match["city"]
        # The country only as the text states it, and only if it is the city's.
        country = match["country"] if match["country"] == CITIES[city][1] else ""
    venue = VENUE_RE.search(opening_text)
    fields = {
        "event_date": event_date,
        "event_time": min((entry_time for _, entry_time, _, _ in parts.programme), default=None),
        "time_zone": _time_zone(city, parts.programme),
        "venue": _one_line(venue["venue"]) if venue else "",
        "city": city,
        "country": country,
        **parts.coverage,
    }
    _check_length(Advisory, "venue", fields["venue"], opening[0][0])
    return fields


def _event_date(line, opening):
    text = _joined(opening)
    match = DATE_RE.search(text)
    if match is None:
        raise DigestError(line, "the media advisory gives no date (such as “8 November 2023”) in its first paragraph")
    event_date = _date(match)
    if event_date is None:
        raise DigestError(_line_at(opening, match.start()), f"“{match[0]}” is not a date")
    if not EVENT_DATE_MIN <= event_date <= EVENT_DATE_MAX:
        raise DigestError(
            _line_at(opening, match.start()),
            f"“{match[0]}” is outside the dates an advisory may have "
            f"({_written(EVENT_DATE_MIN)} to {_written(EVENT_DATE_MAX)})",
        )
    return event_date


def _line_at(paragraph, offset):
    """The number of the line holding character ``offset`` of the joined paragraph (a line may hold "\n")."""
    for number, line in paragraph:
        if offset <= len(line):
            return number
        offset -= len(line) + 1
    return paragraph[-1][0]


def _written(day):
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _time_zone(city, programme):
    """The city's zone if the city is known, else the zone the programme names, else the model's default."""
    if city:
        return CITIES[city][0]
    for number, _, abbreviation, _ in programme:
        if abbreviation:
            if abbreviation not in ZONE_ABBREVIATIONS:
                raise DigestError(
                    number, f"unknown time zone “{abbreviation}”; name the city or give the time in CET/CEST",
                )
            return ZONE_ABBREVIATIONS[abbreviation]
    return Advisory._meta.get_field("time_zone").default


def _date(match):
    """The (first) day a ``DATE_RE`` match names, or None if there is no such day."""
    try:
        return date(int(match["year"]), MONTHS.index(match["month"]) + 1, int(match["day"]))
    except ValueError:
        return None


def _dates_in(text):
    """Every day the text names, counting each day of a range such as "26-27 October 2023"."""
    for match in DATE_RE.finditer(text):
        first = _date(match)
        if first is None:
            continue
        last_day = int(match["last_day"] or first.day)
        yield from (first + timedelta(days=n) for n in range(max(last_day - first.day, 0) + 1))


def _link_follow_ups(entries):
    """
    Link each advisory to the release that reports on its event: the one release
    of the same source in this digest that names the event's date and place.
    More than one candidate is ambiguous, so none is linked.
    """
    for advisory in (entry for entry in entries if entry.model is Advisory):
        place = advisory.fields["city"] or advisory.fields["venue"]
        if not place:
            continue
        candidates = [
            entry for entry in entries
            if entry.model is Release
            and entry.source_key == advisory.source_key
            and advisory.fields["event_date"] in set(_dates_in(entry.text))
            and re.search(rf"\b{re.escape(place)}\b", entry.text)
        ]
        if len(candidates) == 1:
            advisory.follow_up = candidates[0]


def _joined(paragraph):
    return "\n".join(line for _, line in paragraph)


def _markdown(paragraphs):
    """
    The paragraphs as Markdown, text unchanged except "•" bullets becoming list items.
    ``markdown_to_html`` turns it into the editor's HTML, exactly as bodies were shown
    when they were Markdown (and as the data migration converted them).
    """
    blocks = []
    for paragraph in paragraphs:
        lines, in_list = [], False
        for _, line in paragraph:
            bullet = BULLET_RE.match(line)
            if lines and bool(bullet) != in_list:
                lines.append("")  # Markdown needs a blank line between a list and a paragraph.
            in_list = bool(bullet)
            lines.append(f"- {bullet['text'].strip()}" if bullet else line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _check_length(model, field_name, value, line):
    limit = model._meta.get_field(field_name).max_length
    if len(value) > limit:
        label = model._meta.get_field(field_name).verbose_name
        raise DigestError(line, f"the {model._meta.verbose_name} {label} is longer than {limit} characters")


# --- writing ------------------------------------------------------------------

def _write(entries, publish, name, published_on=None, dates=None):
    """
    Create the new items as drafts, then hand each to the workflow in the
    digest's order. Releases are created first so that an advisory can point at
    its follow-up release when it is created.
    """
    result = ImportResult()
    rows = {}
    sources = {}
    with transaction.atomic():
        for entry in entries:
            source = sources.get(entry.source_key) or _source(entry.source_name)
            sources[entry.source_key] = source
            _add_handles(source, entry.handles)
        for entry in sorted(entries, key=lambda entry: entry.model is Advisory):
            rows[id(entry)] = _existing_or_new(entry, sources[entry.source_key], rows)
        now = timezone.now()
        for position, entry in enumerate(entries):
            row, created = rows[id(entry)]
            if not created:
                result.existing.append(row)
                continue
            # A second apart, so that newest-first lists keep the digest's order within a day.
            publish_at = None
            if publish:
                day = (dates or {}).get(entry.title, published_on)
                publish_at = now - timedelta(seconds=position)
                if day is not None:
                    # Today's noon may still be ahead: an item is never scheduled by its import.
                    publish_at = min(publication_time(day, position), publish_at)
            row.receive_import(publish_at=publish_at, comment=f"Imported from {name}")
            result.created.append(row)
    return result


def _source(name):
    """The source of that name, whatever its case, or a new one."""
    source = Source.objects.filter(name__iexact=name).first()
    if source is None:
        slug = _free_slug(Source, slugify(name))
        source = Source.objects.create(name=name, slug=slug)
    return source


def _free_slug(model, base):
    return next(slug for slug in _numbered(base, model) if not model.objects.filter(slug=slug).exists())


def _numbered(base, model):
    """base, base-2, base-3... each cut to fit the model's slug field."""
    limit = model._meta.get_field("slug").max_length
    yield base[:limit].rstrip("-")
    for n in itertools.count(2):
        suffix = f"-{n}"
        yield base[:limit - len(suffix)].rstrip("-") + suffix


def _present(entry, source):
    """
    An edition of the item if the source already has it, else None. The same
    item is the same title and text: an edition holding exactly what the import
    writes. Editions are snapshots, so the imported one still holds it after
    later editions; an edition changed in place before its first publication
    doesn't, and an imported item of that title whose first edition an editor
    changed is taken to be this one rather than imported twice. The same title
    with other text is another item ("Weekly update" of another week).
    """
    items = entry.model.objects.filter(source=source)
    same = items.filter(**entry.fields).order_by("pk").first()
    if same is not None:
        return same
    return items.filter(
        document__in=items.filter(title=entry.title).values("document"),
        version=1, created_by=None, last_edited_by__isnull=False,
    ).order_by("pk").first()


def _add_handles(source, handles):
    """Merge the handles into the source's, once each: @NATO and @nato are the same account."""
    merged = {}
    for handle in source.handles + handles:
        merged.setdefault(handle.casefold(), handle)
    social_handles = " ".join(merged.values())
    if HANDLE_RE.findall(social_handles) != source.handles:
        source.social_handles = social_handles
        source.save(update_fields=["social_handles"])


def _existing_or_new(entry, source, rows):
    """
    (row, created): the newest edition of the item if it is already present,
    else a new draft at the first free address (title, title-2, ...).
    """
    model = entry.model
    present = _present(entry, source)
    if present is not None:
        return model.objects.filter(document=present.document).order_by("-version").first(), False
    slug = _free_slug(model, entry.slug)
    extra = {}
    if entry.follow_up is not None:
        extra["follow_up"] = rows[id(entry.follow_up)][0]
    row = model.objects.create(source=source, slug=slug, created_by=None, **entry.fields, **extra)
    row.contacts.set([
        Contact.objects.get_or_create(
            source=source, name=contact, defaults={"kind": Contact.Kind.OFFICE, "is_public": True},
        )[0]
        for contact in dict.fromkeys(entry.contacts)
    ])
    for entry_time, description in entry.programme:
        row.programme.create(time=entry_time, description=description)
    return row, True
