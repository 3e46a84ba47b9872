"""
Differences between texts and between two editions of a release or advisory.

``word_diff`` marks the words of one text against another (the stale-save page
uses it). ``compare_editions`` goes through every field an editor can change:
title and summary word by word; the body block by block (paragraphs, headings,
list items, quotations, projected from the rendered ``body_html``, so it works
whatever the editors write in) and word by word inside each block; advisory
details as "old → new"; contacts and pictures as added, removed or changed.

Python's own ``difflib`` does the work: it aligns sequences of any tokens, so
the same matcher aligns words inside a block and blocks inside a body.
(``diff-match-patch`` diffs characters and needs its line-mode trick and a
semantic clean-up pass to reach whole words; it would add a dependency for
output we get here directly.)

Marks are ``<del>`` and ``<ins>`` with visually hidden "removed:"/"added:"
words, so the change is announced by screen readers and not told by colour only.
"""
import difflib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.contrib.contenttypes.models import ContentType
from django.db.models import prefetch_related_objects
from django.utils import formats
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .workflow import Transition

_TOKENS = re.compile(r"\s+|[^\s]+")
#: Words for comparing editions, each with the spaces after it: words with their inner punctuation
#: kept whole (17:30, e-mail, nato.int) and any other punctuation mark alone, so "Gotland" →
#: "Gotland, Sweden" adds ", Sweden". (Leading spaces are a token of their own.)
_WORDS = re.compile(r"\s+|\w+(?:[^\w\s]+\w+)*\s*|[^\w\s]\s*")


def word_diff(old, new):
    """HTML of ``new`` against ``old``: deleted words in <del>, inserted words in <ins>, the rest as is."""
    old_words, new_words = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(''.join(old_words[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(''.join(new_words[j1:j2]))}</ins>")
        if op == "equal":
            parts.append(escape("".join(old_words[i1:i2])))
    return mark_safe("".join(parts))


# --- marked text -------------------------------------------------------------------------


def _removed(text):
    return f'<del><span class="visually-hidden">{escape(_("removed:"))} </span>{escape(text)}</del>'


def _added(text):
    return f'<ins><span class="visually-hidden">{escape(_("added:"))} </span>{escape(text)}</ins>'


def _none():
    return f'<span class="nr-none">{escape(_("(none)"))}</span>'


#: Beyond this many words in the two texts together (about 5,000 a side), the matcher skips very
#: common words as anchors (difflib's "autojunk"): a little less exact, but a rewritten 10,000-word
#: text compares in a fraction of a second instead of over one (docs: the figures).
LONG_TEXT = 10_000


def _word_changes(old, new):
    """
    The two texts as runs ``(same, older text, newer text)``: ``same`` for shared
    words, otherwise a change. Words carry the spaces after them but are matched
    without them, so a change of several words in a row is one change (not a
    zipper of words and spaces), and a million spaces don't slow the matcher.
    """
    old_words, new_words = _WORDS.findall(old or ""), _WORDS.findall(new or "")
    matcher = difflib.SequenceMatcher(
        None, [word.rstrip() or word for word in old_words], [word.rstrip() or word for word in new_words],
        autojunk=len(old_words) + len(new_words) > LONG_TEXT,
    )
    return [
        (op == "equal", "".join(old_words[i1:i2]), "".join(new_words[j1:j2]))
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
    ]


def _edges(text):
    """(leading space, the rest, trailing space) of a changed run."""
    core = text.strip()
    if not core:
        return "", text, ""
    start = text.index(core)
    return text[:start], core, text[start + len(core):]


def marked_diff(old, new):
    """
    (older side, newer side, inline) HTML of a word-level diff: the older text
    with its removed words in <del>, the newer with its added words in <ins>,
    and both marks in one text.
    """
    before, after, inline = [], [], []
    for same, removed, added in _word_changes(old, new):
        if same:
            before.append(escape(removed))
            after.append(escape(added))
            inline.append(escape(added))
            continue
        # Spaces at the edge of a change stay outside its mark: "meet" → "meet in Mons" underlines "in Mons".
        if removed:
            lead, core, trail = _edges(removed)
            before.append(escape(lead) + _removed(core) + escape(trail))
            inline.append(escape(lead) + _removed(core) + ("" if added else escape(trail)))
        if added:
            lead, core, trail = _edges(added)
            after.append(escape(lead) + _added(core) + escape(trail))
            # A space between a removed and an added word, so "three four" doesn't read "threefour".
            inline.append((" " if removed else escape(lead)) + _added(core) + escape(trail))
    return tuple(mark_safe("".join(parts) or _none()) for parts in (before, after, inline))


# --- what a comparison is made of ----------------------------------------------------------


@dataclass
class Row:
    """One line of a field's difference: a text, a body block, a programme entry, a contact, a picture's detail."""

    status: str  # "changed", "added", "removed", "same", or "gap" (unchanged blocks left out)
    old: str = ""
    new: str = ""
    inline: str = ""
    #: What the row is: the body block's kind ("p", "h2", "li", "blockquote"…) or a picture detail's label.
    label: str = ""
    #: For a "gap": how many unchanged blocks it stands for.
    count: int = 0


@dataclass
class PictureChange:
    """A picture added, removed, or kept with its details (alt text, caption, credit, lead) changed."""

    status: str
    picture: object
    rows: list = field(default_factory=list)


@dataclass
class FieldChange:
    name: str
    label: str
    #: How it is shown: "text" (word diff), "value" (old → new), "blocks" (body, programme),
    #: "people" (contacts added or removed), "pictures".
    kind: str
    rows: list = field(default_factory=list)
    pictures: list = field(default_factory=list)


@dataclass
class Comparison:
    old: object
    new: object
    changes: list
    #: Labels of the fields that are the same in both editions.
    unchanged: list


# --- field kinds ----------------------------------------------------------------------------


def _text(old, new):
    if (old or "") == (new or ""):
        return []
    before, after, inline = marked_diff(old, new)
    return [Row("changed", before, after, inline)]


def _value(old, new):
    """Short values (a date, a place) as "old → new", the changed words marked on each side."""
    if old == new:
        return []
    before, after, _inline = marked_diff(old, new)
    if not old:
        before = mark_safe(_none())
    if not new:
        after = mark_safe(_none())
    inline = format_html(
        '{} <span aria-hidden="true">→</span><span class="visually-hidden">{}</span> {}', before, _("changed to"), after,
    )
    return [Row("changed", before, after, inline)]


#: How far ahead a replaced block looks for its new version (keeps a rewritten body linear).
_LOOKAHEAD = 8


#: Two blocks sharing this share of their words are one block edited, not one removed and another added.
SIMILAR = 0.4


def _similar(old, new):
    # Words only: every block shares its spaces with every other, which would make any two look alike.
    matcher = difflib.SequenceMatcher(None, old.split(), new.split(), autojunk=False)
    return matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR


def _pair(olds, news):
    """Within a stretch of changed blocks, pair each old block with the next new one like it; the rest were added or removed."""
    j = 0
    for old in olds:
        match = next((k for k in range(j, min(len(news), j + _LOOKAHEAD)) if _similar(old[1], news[k][1])), None)
        if match is None:
            yield old, None
            continue
        for k in range(j, match):
            yield None, news[k]
        yield old, news[match]
        j = match + 1
    for k in range(j, len(news)):
        yield None, news[k]


def _blocks(old_blocks, new_blocks, as_values=False, context=1):
    """
    Rows for two lists of (kind, text) blocks: aligned, changed blocks diffed word
    by word (or as "old → new"), added and removed ones whole, and unchanged ones
    kept only as ``context`` around a change, the rest counted in a "gap".
    """
    rows = []
    matcher = difflib.SequenceMatcher(None, old_blocks, new_blocks, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows.extend(Row("same", escape(text), escape(text), escape(text), kind) for kind, text in old_blocks[i1:i2])
            continue
        for old, new in _pair(old_blocks[i1:i2], new_blocks[j1:j2]):
            if old is None:
                rows.append(Row("added", "", mark_safe(_added(new[1])), mark_safe(_added(new[1])), new[0]))
            elif new is None:
                rows.append(Row("removed", mark_safe(_removed(old[1])), "", mark_safe(_removed(old[1])), old[0]))
            else:
                row = (_value if as_values else _text)(old[1], new[1])[0]
                row.label = new[0]
                rows.append(row)
    return _collapse(rows, context)


def _collapse(rows, context):
    """Unchanged rows more than ``context`` rows away from a change become one "gap" row."""
    if all(row.status == "same" for row in rows):
        return []
    near = set()
    for index, row in enumerate(rows):
        if row.status != "same":
            near.update(range(index - context, index + context + 1))
    collapsed = []
    for index, row in enumerate(rows):
        if row.status != "same" or index in near:
            collapsed.append(row)
        elif collapsed and collapsed[-1].status == "gap":
            collapsed[-1].count += 1
        else:
            collapsed.append(Row("gap", count=1))
    return collapsed


class _BlockText(HTMLParser):
    """Plain text of each block of sanitised body HTML: paragraphs, headings, list items, quotations."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "td", "th", "dt", "dd", "figcaption", "div"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.open, self.text = [], [], []

    def flush(self):
        text = " ".join("".join(self.text).split())
        if text:
            kind = next((tag for tag in ("blockquote", "li") if tag in self.open), self.open[-1] if self.open else "p")
            self.blocks.append((kind, text))
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.flush()
            self.open.append(tag)
        elif tag == "br":
            self.text.append(" ")
        elif tag == "hr":
            self.flush()
            self.blocks.append(("hr", "* * *"))

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.flush()
            if tag in self.open:
                del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]

    def handle_data(self, data):
        self.text.append(data)


def body_blocks(html):
    """The rendered body as (kind, plain text) blocks, one a paragraph, heading, list item or quotation."""
    parser = _BlockText()
    parser.feed(html or "")
    parser.close()
    parser.flush()
    return parser.blocks


def body_rows(old_html, new_html):
    """The rows of a body's comparison: its blocks aligned, changed ones diffed word by word, far context counted."""
    return _blocks(body_blocks(old_html), body_blocks(new_html))


def _display(edition, name):
    """A field's value as a reader would say it: a date in words, a time, a choice's label, a name."""
    value = getattr(edition, name)
    model_field = edition._meta.get_field(name)
    if value is None or value == "":
        return ""
    if model_field.choices:
        return str(getattr(edition, f"get_{name}_display")())
    if model_field.get_internal_type() == "DateField":
        return formats.date_format(value, "j F Y")
    if model_field.get_internal_type() == "TimeField":
        return value.strftime("%H:%M")
    return str(value)


def _programme(edition):
    return [("li", f"{entry.time:%H:%M} {entry.description}") for entry in edition.programme.all()]


def _contacts(old, new):
    before = {contact.pk: contact for contact in old.contacts.all()}
    after = {contact.pk: contact for contact in new.contacts.all()}
    rows = [Row("removed", mark_safe(_removed(_contact_name(c))), "", mark_safe(_removed(_contact_name(c)))) for pk, c in before.items() if pk not in after]
    rows += [Row("added", "", mark_safe(_added(_contact_name(c))), mark_safe(_added(_contact_name(c)))) for pk, c in after.items() if pk not in before]
    return rows


def _contact_name(contact):
    return f"{contact.name} ({contact.role})" if contact.role else contact.name


#: A picture's details that a comparison shows, with their labels.
PICTURE_DETAILS = (
    ("alt_text", gettext_lazy("Alt text")), ("caption", gettext_lazy("Caption")),
    ("credit", gettext_lazy("Credit")), ("is_lead", gettext_lazy("Lead picture")),
)


def _picture_detail(picture, name):
    value = getattr(picture, name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def _pictures(old, new):
    """Pictures match across editions by their stored file (a new edition shares its pictures' files)."""
    before = {picture.key: picture for picture in old.pictures.all()}
    after = {picture.key: picture for picture in new.pictures.all()}
    changes = [PictureChange("removed", picture) for key, picture in before.items() if key not in after]
    for key, picture in after.items():
        if key not in before:
            changes.append(PictureChange("added", picture))
            continue
        rows = []
        for name, label in PICTURE_DETAILS:
            for row in _value(_picture_detail(before[key], name), _picture_detail(picture, name)):
                row.label = label
                rows.append(row)
        if rows:
            changes.append(PictureChange("changed", picture, rows))
    return changes


# --- two editions ----------------------------------------------------------------------------

#: The fields compared, by model, in the order of the form, with how each is shown.
FIELDS = {
    "release": [
        ("title", "text"), ("summary", "text"), ("body", "blocks"), ("category", "value"), ("source", "value"),
        ("slug", "value"), ("original_url", "value"), ("contacts", "people"), ("pictures", "pictures"),
    ],
    "advisory": [
        ("title", "text"), ("summary", "text"), ("body", "blocks"),
        ("event_date", "value"), ("event_time", "value"), ("time_zone", "value"),
        ("venue", "value"), ("city", "value"), ("country", "value"), ("programme", "blocks"),
        ("accreditation", "value"), ("live_stream", "value"), ("video_download", "value"), ("transcript", "value"),
        ("source", "value"), ("slug", "value"), ("original_url", "value"), ("follow_up", "value"),
        ("contacts", "people"), ("pictures", "pictures"),
    ],
}

_LABELS = {
    "contacts": gettext_lazy("Contacts"), "pictures": gettext_lazy("Pictures"),
    "programme": gettext_lazy("Programme"), "slug": gettext_lazy("Address (slug)"),
}


def _label(model, name):
    if name in _LABELS:
        return str(_LABELS[name])
    return capfirst(str(model._meta.get_field(name).verbose_name))


def compare_editions(old, new):
    """Every field of ``new`` against ``old`` (two editions of one document): what changed and how, and what didn't."""
    relations = ["contacts", "pictures"] + (["programme"] if new.kind == "advisory" else [])
    prefetch_related_objects([old, new], *relations)
    changes, unchanged = [], []
    for name, kind in FIELDS[new.kind]:
        change = FieldChange(name, _label(type(new), name), kind)
        if name == "body":
            change.rows = body_rows(old.body_html, new.body_html)
        elif name == "programme":
            change.rows = _blocks(_programme(old), _programme(new), as_values=True, context=0)
        elif kind == "text":
            change.rows = _text(getattr(old, name), getattr(new, name))
        elif kind == "value":
            change.rows = _value(_display(old, name), _display(new, name))
        elif kind == "people":
            change.rows = _contacts(old, new)
        elif kind == "pictures":
            change.pictures = _pictures(old, new)
        if change.rows or change.pictures:
            changes.append(change)
        else:
            unchanged.append(change.label)
    return Comparison(old, new, changes, unchanged)


# --- which versions a reviewer compares by default ---------------------------------------------

REVIEWED = ("approve", "return_to_draft")


def default_baseline(edition, user):
    """
    The edition to compare ``edition`` with when nobody chose: the latest earlier
    version ``user`` reviewed (approved or returned); else the live edition, for
    a new edition of a published document; else the previous version. Returns
    (edition or None, why) — None when it is the only version.
    """
    reviewed = (
        Transition.objects.filter(
            content_type=ContentType.objects.get_for_model(type(edition)), document=edition.document,
            action__in=REVIEWED, actor=user, version__lt=edition.version,
        ).order_by("-version").values_list("version", flat=True).first()
    )
    if reviewed is not None:
        baseline = edition.editions().filter(version=reviewed).first()
        if baseline is not None:
            return baseline, _("changes since the version you last reviewed")
    live = edition.live_edition()
    if live is not None and live.pk != edition.pk:
        return live, _("changes since the live version")
    previous = edition.editions().filter(version__lt=edition.version).order_by("-version").first()
    if previous is not None:
        return previous, _("changes since the previous version")
    return None, ""
