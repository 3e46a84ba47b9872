"""
The media directory as CSV: import with a report by line, export that imports again.

Import is two steps, like the digest importer: ``parse_journalists`` reads the
whole file and checks every row against the directory without writing anything
(an ``ImportPreview``: the rows and the problems, each with its line number);
``write_journalists`` writes a preview without problems in one transaction, all
of it or nothing.

The columns are ``COLUMNS``; ``name``, ``email``, ``basis`` and ``basis_date``
must be there, the others may be left out. ``languages`` (codes or English
names) and ``sources`` (names as in the admin) hold several values separated by
``;``. An address already in the directory updates that journalist: the columns
the file has replace what is held, the columns it lacks are left as they are.
The separator is a comma, or a semicolon when the header has no comma (as
spreadsheets save CSV in much of Europe). A file must be UTF-8 (a BOM is fine);
a line that isn't is reported, with how it reads as Windows-1252. An unknown
column is an error, not silently dropped data.

Export writes the same columns in UTF-8 with a BOM, so that Excel reads the
accents, and puts a ``'`` before a value starting with ``= + - @`` (or a tab or
carriage return) so that a spreadsheet shows it as text instead of running it
as a formula; import takes that ``'`` off again, so a file round-trips.
"""
import codecs
import csv
import difflib
import io
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from releases.models import Source
from releases.text import normalise_text

from .models import Journalist, Kinds, Language, MediaList, normalise_email

COLUMNS = ["name", "outlet", "email", "languages", "sources", "kinds", "basis", "basis_date", "notes"]
REQUIRED = ["name", "email", "basis", "basis_date"]
SEPARATOR = ";"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Rows beyond this many are refused (split the file): a preview must stay readable and a write short.
MAX_ROWS = getattr(settings, "JOURNALISTS_IMPORT_MAX_ROWS", 10_000)
#: The file is kept in the session between preview and confirmation, so it is capped.
MAX_BYTES = getattr(settings, "JOURNALISTS_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
FIELD_LIMITS = {name: Journalist._meta.get_field(name).max_length for name in ("name", "outlet", "email")}


@dataclass
class Problem:
    """What is wrong, and on which line of the file (None: the file as a whole)."""

    line: int | None
    message: str


@dataclass
class Row:
    """One journalist read from the file: the values of the columns it has, and what it does to the directory."""

    line: int
    email: str
    values: dict
    languages: list | None = None  # Language codes, or None if the file has no such column
    sources: list | None = None  # Source pks, likewise
    existing: Journalist | None = None
    changes: list = field(default_factory=list)  # for an existing journalist: the columns that change


@dataclass
class ImportPreview:
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    columns: list = field(default_factory=list)

    @property
    def ok(self):
        return bool(self.rows) and not self.problems

    @property
    def new(self):
        return [row for row in self.rows if row.existing is None]

    @property
    def updated(self):
        return [row for row in self.rows if row.existing is not None and row.changes]

    @property
    def unchanged(self):
        return [row for row in self.rows if row.existing is not None and not row.changes]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    added_to_list: int = 0

    def __str__(self):
        text = f"{self.created} added, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f"; {self.added_to_list} added to the list." if self.added_to_list else ".")


class ImportConflict(Exception):
    """The directory changed between the check and the write (someone added one of the addresses)."""


# --- reading ------------------------------------------------------------------

def parse_journalists(data):
    """An ``ImportPreview`` of the file (bytes or text); reads the directory, writes nothing."""
    preview = ImportPreview()
    text = _decode(data, preview.problems)
    if text is None:
        return preview
    delimiter = ";" if "," not in text.split("\n", 1)[0] and ";" in text.split("\n", 1)[0] else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = []
    last_line = 0
    try:
        header = next(reader, None)
        last_line = reader.line_num
        for record in reader:
            records.append((last_line + 1, record))
            last_line = reader.line_num
            if len(records) > MAX_ROWS:
                break
    except csv.Error as error:
        # Reported where the record began: an unclosed quote swallows the lines after it.
        preview.problems.append(Problem(last_line + 1, f"the CSV is malformed from here ({error}); check the quotes"))
        return preview
    if not header or not any(cell.strip() for cell in header):
        preview.problems.append(Problem(1, "the file is empty; the first line must name the columns"))
        return preview
    records = [(line, record) for line, record in records if any(cell.strip() for cell in record)]
    if len(records) > MAX_ROWS:
        preview.problems.append(Problem(
            None, f"the file has more than {MAX_ROWS:,} journalists; split it and import the parts one by one",
        ))
        return preview
    columns = _columns(header, preview.problems)
    if columns is None:
        return preview
    preview.columns = columns
    if not records:
        preview.problems.append(Problem(None, "the file names its columns but has no journalists"))
        return preview
    _read_rows(records, columns, preview)
    return preview


def _decode(data, problems):
    """The file's text, or None with the problems: not UTF-8 (by line), a NUL byte, too large."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BYTES:
        problems.append(Problem(None, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it"))
        return None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        problems.append(Problem(1, "the file is UTF-16 (“Unicode text”); save it as “CSV UTF-8” instead"))
        return None
    data = data.removeprefix(codecs.BOM_UTF8)
    lines = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        if b"\0" in raw:
            problems.append(Problem(number, "contains a NUL byte; this is not a CSV text file"))
            continue
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            guess = raw.decode("cp1252", errors="replace").strip()
            problems.append(Problem(number, (
                f"not UTF-8 (byte {raw[error.start]:#04x} at position {error.start + 1}); read as Windows-1252 "
                f"(Latin-1) it says “{guess[:80]}”. Save the file as “CSV UTF-8”"
            )))
    return None if problems else "\n".join(lines)


def _columns(header, problems):
    """The header's column names in order, or None with the problems: unknown, repeated or missing columns."""
    columns = []
    for cell in header:
        name = cell.strip().lower().replace(" ", "_").replace("-", "_")
        if name in ("e_mail", "mail"):
            name = "email"
        columns.append(name)
    for position, name in enumerate(columns, 1):
        if name not in COLUMNS:
            hint = difflib.get_close_matches(name, COLUMNS, n=1)
            problems.append(Problem(1, (
                f"unknown column “{header[position - 1].strip()}” (column {position})"
                + (f"; did you mean “{hint[0]}”?" if hint else "")
                + f" The columns are: {', '.join(COLUMNS)}"
            )))
        elif name in columns[:position - 1]:
            problems.append(Problem(1, f"the column “{name}” appears twice"))
    for name in REQUIRED:
        if name not in columns:
            problems.append(Problem(1, f"the required column “{name}” is missing"))
    return None if problems else columns


def _read_rows(records, columns, preview):
    sources = {source.name.casefold(): source.pk for source in Source.objects.all()}
    languages = {}
    for language in Language.objects.all():
        languages[language.code.casefold()] = language.code
        languages[language.name.casefold()] = language.code
    accepted = {"kinds": _accepted(Kinds), "basis": _accepted(Journalist.Basis)}
    seen = {}
    for line, record in records:
        if len(record) != len(columns):
            preview.problems.append(Problem(
                line, f"has {len(record)} fields where the header names {len(columns)} (a missing or extra separator?)",
            ))
            continue
        cells = {name: _unescape(value) for name, value in zip(columns, record)}
        row = _read_row(line, cells, sources, languages, accepted, preview.problems)
        if row is None:
            continue
        if row.email in seen:
            preview.problems.append(Problem(line, f"{row.email} is already on line {seen[row.email]}"))
            continue
        seen[row.email] = line
        preview.rows.append(row)
    _match_directory(preview.rows)


def _unescape(value):
    """Undo the export's guard against formulas: "'=x" was "=x"."""
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START else value


def _read_row(line, cells, sources, languages, accepted, problems):
    """A ``Row``, or None after adding each of the row's problems."""
    found = []
    values = {}
    for name in ("name", "outlet"):
        if name in cells:
            values[name] = normalise_text(cells[name], multiline=False).strip()
    if not values["name"]:
        found.append("the name is empty")
    for name in ("name", "outlet"):
        if name in values and len(values[name]) > FIELD_LIMITS[name]:
            found.append(f"the {name} is longer than {FIELD_LIMITS[name]} characters")

    email = normalise_email(cells["email"])
    if not email:
        found.append("the e-mail address is empty")
    else:
        try:
            validate_email(email)
            if len(email) > FIELD_LIMITS["email"]:
                raise ValidationError("too long")
        except ValidationError:
            found.append(f"“{cells['email'].strip()[:100]}” is not a valid e-mail address")

    row = Row(line=line, email=email, values=values)
    if "languages" in cells:
        row.languages = []
        for value in _values(cells["languages"], separators=";,"):
            if value.casefold() in languages:
                row.languages.append(languages[value.casefold()])
            else:
                found.append(f"unknown language “{value[:40]}” (use a code such as en, fr, de)")
    if "sources" in cells:
        row.sources = []
        for value in _values(cells["sources"], separators=";"):
            if value.casefold() in sources:
                row.sources.append(sources[value.casefold()])
            else:
                found.append(f"unknown source “{value[:80]}” (add it in the admin first, or check its spelling)")
    if "kinds" in cells:
        values["kinds"] = _choice(cells["kinds"], accepted["kinds"], "kinds", found, default=Kinds.BOTH)
    values["basis"] = _choice(cells["basis"], accepted["basis"], "basis", found)
    values["basis_date"] = _date(cells["basis_date"], found)
    if "notes" in cells:
        values["notes"] = normalise_text(cells["notes"], multiline=True).strip()

    for message in found:
        problems.append(Problem(line, message))
    return None if found else row


def _values(cell, separators):
    for separator in separators[1:]:
        cell = cell.replace(separator, separators[0])
    return list(dict.fromkeys(value.strip() for value in cell.split(separators[0]) if value.strip()))


def _choice(cell, accepted, column, found, default=None):
    value = cell.strip().casefold()
    if not value and default is not None:
        return default
    if value in accepted:
        return accepted[value]
    allowed = ", ".join(dict.fromkeys(accepted.values()))
    found.append(f"{column} “{cell.strip()[:40]}” is not one of: {allowed}" if value else f"the {column} is empty")
    return None


def _accepted(choices):
    """What a cell may say for each choice: its value or its label, in any case."""
    return {
        **{str(choice.label).casefold(): choice.value for choice in choices},
        **{choice.value.casefold(): choice.value for choice in choices},
    }


def _date(cell, found):
    value = cell.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        found.append(f"basis_date “{value[:20]}” is not a date written like 2023-11-08" if value else "the basis_date is empty")
        return None
    if day > timezone.localdate():
        found.append(f"basis_date {day.isoformat()} is in the future")
    return day


def _match_directory(rows):
    """Find the journalists already in the directory and what the file would change about them."""
    by_email = {}
    emails = [row.email for row in rows]
    for start in range(0, len(emails), 500):
        chunk = Journalist.objects.filter(email__in=emails[start:start + 500])
        by_email.update((journalist.email, journalist) for journalist in chunk)
    held_languages = _related_ids("languages", "language_id", [journalist.pk for journalist in by_email.values()])
    held_sources = _related_ids("sources", "source_id", [journalist.pk for journalist in by_email.values()])
    for row in rows:
        journalist = by_email.get(row.email)
        if journalist is None:
            continue
        row.existing = journalist
        row.changes = [name for name, value in row.values.items() if getattr(journalist, name) != value]
        if row.languages is not None and set(row.languages) != held_languages.get(journalist.pk, set()):
            row.changes.append("languages")
        if row.sources is not None and set(row.sources) != held_sources.get(journalist.pk, set()):
            row.changes.append("sources")


def _related_ids(name, column, journalist_ids):
    """{journalist pk: {language codes or source pks}}, read from the link table in chunks (no model per link)."""
    through = getattr(Journalist, name).through
    held = {}
    for start in range(0, len(journalist_ids), 500):
        links = through.objects.filter(journalist_id__in=journalist_ids[start:start + 500])
        for journalist_id, value in links.values_list("journalist_id", column):
            held.setdefault(journalist_id, set()).add(value)
    return held


# --- writing ------------------------------------------------------------------

def write_journalists(preview, user=None, media_list=None, file_name="CSV"):
    """
    Write a checked preview in one transaction and return an ``ImportResult``;
    with ``media_list`` (a static list) everyone in the file is added to it.
    Raises ``ImportConflict`` if an address was added meanwhile (nothing written).
    """
    if not preview.ok:
        raise ValueError("a preview with problems can't be written")
    if media_list is not None and media_list.kind != MediaList.Kind.STATIC:
        raise ValueError("journalists are added to static lists only")
    new_rows, updated_rows = preview.new, preview.updated
    result = ImportResult(unchanged=len(preview.unchanged))
    now = timezone.now()
    try:
        with transaction.atomic():
            created = [Journalist(email=row.email, **row.values) for row in new_rows]
            Journalist.objects.bulk_create(created, batch_size=500)
            for row, journalist in zip(new_rows, created):
                row.existing = journalist
            updated = []
            for row in updated_rows:
                for name, value in row.values.items():
                    setattr(row.existing, name, value)
                row.existing.updated_at = now
                updated.append(row.existing)
            fields = sorted({name for row in updated_rows for name in row.values} | {"updated_at"})
            Journalist.objects.bulk_update(updated, fields, batch_size=500)
            changed_rows = new_rows + updated_rows
            _set_related(changed_rows, "languages", "language_id")
            _set_related(changed_rows, "sources", "source_id")
            if media_list is not None:
                through = MediaList.journalists.through
                before = through.objects.filter(medialist=media_list).count()
                through.objects.bulk_create(
                    [through(medialist=media_list, journalist=row.existing) for row in preview.rows],
                    batch_size=500, ignore_conflicts=True,
                )
                result.added_to_list = through.objects.filter(medialist=media_list).count() - before
            if user is not None:
                LogEntry.objects.log_actions(user.pk, created, ADDITION, f"Imported from {file_name}")
                LogEntry.objects.log_actions(user.pk, updated, CHANGE, f"Updated from {file_name}")
    except IntegrityError as error:
        raise ImportConflict(str(error)) from error
    result.created, result.updated = len(created), len(updated)
    return result


def _set_related(rows, name, column):
    """Replace the rows' languages or sources with the file's, for the rows whose file has that column."""
    rows = [row for row in rows if getattr(row, name) is not None]
    through = getattr(Journalist, name).through
    ids = [row.existing.pk for row in rows]
    for start in range(0, len(ids), 500):
        through.objects.filter(journalist_id__in=ids[start:start + 500]).delete()
    through.objects.bulk_create(
        [through(journalist_id=row.existing.pk, **{column: value}) for row in rows for value in getattr(row, name)],
        batch_size=500,
    )


# --- export -------------------------------------------------------------------

class _Line:
    """A file-like object that hands back what the csv writer writes, for streaming."""

    def write(self, value):
        return value


def export_journalists(queryset):
    """The journalists as CSV lines (a generator of str), the first carrying the BOM and the header."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(COLUMNS)
    source_names = dict(Source.objects.values_list("pk", "name"))
    journalists = queryset.order_by("name", "email")
    for start in range(0, 10**9, 1000):
        # Keyset-free chunks by position are fine here: an export reads, it doesn't edit as it goes.
        chunk = list(journalists[start:start + 1000])
        if not chunk:
            break
        ids = [journalist.pk for journalist in chunk]
        languages, sources = _related_ids("languages", "language_id", ids), _related_ids("sources", "source_id", ids)
        for journalist in chunk:
            yield writer.writerow([_escape(value) for value in (
                journalist.name,
                journalist.outlet,
                journalist.email,
                SEPARATOR.join(sorted(languages.get(journalist.pk, ()))),
                SEPARATOR.join(sorted(source_names[pk] for pk in sources.get(journalist.pk, ()))),
                journalist.kinds,
                journalist.basis,
                journalist.basis_date.isoformat(),
                journalist.notes,
            )])


def _escape(value):
    return f"'{value}" if value.startswith(FORMULA_START) else value
