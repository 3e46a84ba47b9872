"""
Bodies become the rich-text editor's HTML. Every Markdown body (releases and
advisories, every edition, and advisory templates) is converted with the
renderer the public pages used until now, so what readers see doesn't change:
``body`` and ``body_html`` both hold that HTML afterwards.

The renderer is historical code: below the migration is a copy of
``releases.text.markdown_to_html`` and everything it calls (the Python-Markdown
configuration with its two 3.11 workarounds, the paste normaliser that links
bare addresses, the nh3 allow-list) as they were when this migration was
written. Nothing here imports ``releases``, so a later change to the live
renderer can't change what an old database becomes. Only Markdown and nh3
themselves are outside the copy.
``tests/test_rich_text.py::test_the_data_migration_renders_the_seed_exactly_as_before``
pins this copy's output on the seed.

Reversing keeps the HTML (a body can't be turned back into the Markdown it came
from): it is a no-op.
"""
import html
import re
from html.parser import HTMLParser

import markdown
import nh3
from django.db import migrations, models
from markdown.inlinepatterns import (
    DoubleTagInlineProcessor,
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    LINK_RE,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ShortImageReferenceInlineProcessor,
    SimpleTagInlineProcessor,
)

BODY_HELP = (
    "The text of the page. Paste it from Word or Google Docs, or type it; the toolbar sets headings, "
    "bold, italic, lists, quotations and links. Colours, fonts and pictures are left out: add pictures below."
)


def bodies_to_html(apps, schema_editor):
    for name, has_html in (("Release", True), ("Advisory", True), ("AdvisoryTemplate", False)):
        model = apps.get_model("releases", name)
        for pk, body in model.objects.exclude(body="").values_list("pk", "body").iterator():
            converted = markdown_to_html(body)
            fields = {"body": converted, "body_html": converted} if has_html else {"body": converted}
            # update(), not save(): no edition's revision, editor or timestamps move for a format change.
            model.objects.filter(pk=pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0008_writing_frictions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="advisory",
            name="body",
            field=models.TextField(blank=True, help_text=BODY_HELP),
        ),
        migrations.AlterField(
            model_name="release",
            name="body",
            field=models.TextField(blank=True, help_text=BODY_HELP),
        ),
        migrations.RunPython(bodies_to_html, migrations.RunPython.noop),
    ]


# --- Historical code: releases/text.py's Markdown renderer as of this migration ----------------
# Copied, not imported, and not to be edited to follow releases/text.py.

#: The editor's schema when bodies became HTML.
ALLOWED_TAGS = {"p", "br", "h2", "h3", "ul", "ol", "li", "blockquote", "a", "strong", "em"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def sanitise_html(html):
    """nh3 with the editor's allow-list: any other tag, attribute or URL scheme is removed."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


class _LinkInlineProcessor(LinkInlineProcessor):
    """
    ``[text](url)``, refusing what Python-Markdown's ``getLink`` can't end: a title opened
    with a quote that never closes and holding a "(" (``[a](u" x="y(1))``) comes back as
    "handled" with the end at index -1, which swallows the rest of the paragraph and cuts
    an internal placeholder in half. Refused, the brackets stay literal text.
    """

    def getLink(self, data, index):
        href, title, end, handled = super().getLink(data, index)
        return href, title, end, handled and end > index


class _ImageAsAltText:
    """Pictures don't belong in a body (``img`` isn't allowed): ``![alt](url)`` reads as its alt text."""

    def handleMatch(self, m, data):
        element, start, end = super().handleMatch(m, data)
        if element is None:
            return element, start, end
        return element.get("alt", ""), start, end


class _ImageInlineProcessor(_ImageAsAltText, ImageInlineProcessor, _LinkInlineProcessor):
    pass


class _ImageReferenceInlineProcessor(_ImageAsAltText, ImageReferenceInlineProcessor):
    pass


class _ShortImageReferenceInlineProcessor(_ImageAsAltText, ShortImageReferenceInlineProcessor):
    pass


#: Emphasis by plain patterns, each returning exactly the span it matched. Python-Markdown
#: 3.11's delimiter-run processor (``em_strong``) can end a span one character late: in
#: ``*a**b*xyz`` the "x" is lost, and when that character opens an internal placeholder
#: (code, an entity, a link) the placeholder's text is printed ("klzzwxh:0000").
_EMPHASIS = [
    (DoubleTagInlineProcessor(r"(\*{3})(.+?)\1", "strong,em"), "strong_em"),
    (SimpleTagInlineProcessor(r"(\*{2})(.+?)\1", "strong"), "strong"),
    (SimpleTagInlineProcessor(r"(?<!\w)(_{2})(?!_)(.+?)(?<!_)\1(?!\w)", "strong"), "strong_underscore"),
    (SimpleTagInlineProcessor(r"(\*)([^*]+)\1", "em"), "emphasis"),
    (SimpleTagInlineProcessor(r"(?<!\w)(_)(?!_)(.+?)(?<!_)\1(?!\w)", "em"), "emphasis_underscore"),
]


def body_markdown():
    """The Markdown converter for bodies: no raw HTML, pictures as alt text, links and emphasis that keep every character."""
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    # Raw HTML typed by an editor is shown as text, not interpreted.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # Same names and priorities as Python-Markdown's own (markdown.inlinepatterns.build_inlinepatterns).
    md.inlinePatterns.register(_LinkInlineProcessor(LINK_RE, md), "link", 160)
    md.inlinePatterns.register(_ImageInlineProcessor(IMAGE_LINK_RE, md), "image_link", 150)
    md.inlinePatterns.register(_ImageReferenceInlineProcessor(IMAGE_REFERENCE_RE, md), "image_reference", 140)
    md.inlinePatterns.register(_ShortImageReferenceInlineProcessor(IMAGE_REFERENCE_RE, md), "short_image_ref", 125)
    md.inlinePatterns.deregister("em_strong")
    for priority, (processor, name) in zip(range(60, 50, -2), _EMPHASIS):
        md.inlinePatterns.register(processor, name, priority)
    return md


def markdown_to_html(source):
    """
    Markdown source → sanitised HTML, as bodies were rendered before the rich-text
    editor. Raw HTML in the source is escaped, never trusted.
    """
    if not source:
        return ""
    # The page title is the only <h1>: an editor's top-level heading becomes a section heading.
    converted = re.sub(r"<(/?)h1>", r"<\1h2>", body_markdown().convert(source))
    return render_body(converted)


def render_body(source):
    """The body's HTML (from the editor, a paste, a forged POST) → the clean HTML stored and printed."""
    if not source or not source.strip():
        return ""
    return sanitise_html(normalise_body(sanitise_html_keeping_hints(_strip_office_markup(source))))


# --- pasted structure: Word, Google Docs, web pages ----------------------------------------

#: What Word and Google Docs put in a paste that is never text a reader wrote: conditional
#: comments, Word's XML islands and style sheets, comment anchors and the comments themselves,
#: deleted text of tracked changes.
_OFFICE_NOISE = [
    re.compile(r"<!--\[if[^\]]*\]>.*?<!\[endif\]-->", re.S | re.I),
    re.compile(r"<!--.*?-->", re.S),
    re.compile(r"<(xml|style|script|del|s)\b[^>]*>.*?</\1\s*>", re.S | re.I),
    re.compile(r"<(o|w|v|m):[^>]*>.*?</\1:[^>]*>", re.S | re.I),
    re.compile(r"<span[^>]*class=\"?MsoCommentReference[^>]*>.*?</span>\s*</span>|<span[^>]*class=\"?MsoCommentReference[^>]*>.*?</span>", re.S | re.I),
    re.compile(r"<div[^>]*mso-element:\s*comment-list.*?</div>\s*</div>\s*</div>|<div[^>]*mso-element:\s*comment.*?</div>", re.S | re.I),
    re.compile(r"<a[^>]*(?:_msoanchor|_msocom)[^>]*>.*?</a>", re.S | re.I),
    re.compile(r"<span[^>]*mso-list:\s*Ignore[^>]*>(.*?)</span>\s*(?:</span>)?", re.S | re.I),
]


def _strip_office_markup(source):
    for pattern in _OFFICE_NOISE[:-1]:
        source = pattern.sub("", source)
    # Word's list marker ("·", "1.") is kept as a [[marker]] the normaliser reads, then drops.
    return _OFFICE_NOISE[-1].sub(lambda m: "\ue000" + nh3.clean(m[1], tags=set()).replace("&nbsp;", " ").strip() + "\ue001", source)


_BLOCKS = {"p", "h2", "h3", "ul", "ol", "li", "blockquote"}
#: Blocks outside the schema whose content is kept as paragraphs of its own (a table cell, a caption).
_CONTAINERS = {"div", "section", "article", "table", "tr", "td", "th", "figure", "figcaption", "dl", "dt", "dd"}
#: A bullet typed (or pasted as text) before an item: "• ", "· ", "◦ ".
_BULLET = re.compile(r"^\s*[•·●▪◦‣∙]\s+")
_NUMBER = re.compile(r"^\s*(\d{1,3}|[a-zA-Z]|[ivxlcdm]{1,6})[.)]\s+")
_MARKER = re.compile("\ue000([^\ue001]*)\ue001")
_LINKABLE = re.compile(
    r"(?P<url>\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]'’”])"
    r"|(?P<www>\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[^\s<>\"]*[^\s<>\".,;:!?)\]'’”])?)"
    r"|(?P<email>\b[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b)",
    re.I,
)


class _Node:
    def __init__(self, tag, attrs=None, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs or {}, parent, []


class _TreeBuilder(HTMLParser):
    """A small tree of what nh3 kept (``sanitise_html_keeping_hints``): enough to move blocks around."""

    VOID = {"br"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = _Node(None)

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def sanitise_html_keeping_hints(source):
    """Pasted HTML cut to the tags that carry structure, with the style and class hints the normaliser reads."""
    return nh3.clean(
        source,
        tags=ALLOWED_TAGS | {"h1", "h4", "h5", "h6", "b", "i", "span", *_CONTAINERS},
        clean_content_tags={"script", "style", "template", "svg", "math", "title"},
        attributes={"*": {"style", "class", "id"}, "a": {"href"}},
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=None,
    )


def normalise_body(source):
    """HTML cut to the editor's schema, blocks one per line (see ``render_body``)."""
    builder = _TreeBuilder()
    builder.feed(source)
    builder.close()
    blocks = _blocks(builder.root.children, _heading_shift(builder.root))
    return "\n".join(blocks)


def _heading_shift(root):
    """The page title is the only <h1>: a paste that has one moves every heading down a level."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.tag == "h1":
            return 1
        stack.extend(child for child in node.children if isinstance(child, _Node))
    return 0


def _style(node):
    return re.sub(r"\s+", "", node.attrs.get("style", "")).lower()


def _inline(children, in_link=False):
    """Inline content as HTML: bold and italic kept however they were spelled, bare addresses linked."""
    out = []
    for child in children:
        if isinstance(child, str):
            text = _MARKER.sub("", child)
            out.append(html.escape(text, quote=False) if in_link else _linkify(text))
            continue
        inner = _inline(child.children, in_link or child.tag == "a")
        style = _style(child)
        if child.tag == "br":
            out.append("<br>")
        elif child.tag == "a":
            out.append(f'<a href="{html.escape(child.attrs.get("href", ""))}">{inner}</a>' if child.attrs.get("href") else inner)
        elif child.tag == "b" and ("font-weight:normal" in style or child.attrs.get("id", "").startswith("docs-internal-guid")):
            out.append(inner)  # Google Docs wraps a whole paste in a <b> that isn't bold
        elif child.tag in ("strong", "b") or re.search(r"font-weight:(bold|[6-9]00)", style):
            out.append(f"<strong>{inner}</strong>" if inner.strip() else inner)
        elif child.tag in ("em", "i") or "font-style:italic" in style:
            out.append(f"<em>{inner}</em>" if inner.strip() else inner)
        else:
            out.append(inner)
    return "".join(out).replace("</strong><strong>", "").replace("</em><em>", "")


def _linkify(text):
    def link(match):
        address = match[0]
        href = address if match["url"] else f"https://{address}" if match["www"] else f"mailto:{address}"
        return f'<a href="{html.escape(href)}">{html.escape(address, quote=False)}</a>'

    pieces, last = [], 0
    for match in _LINKABLE.finditer(text):
        pieces.append(html.escape(text[last:match.start()], quote=False))
        pieces.append(link(match))
        last = match.end()
    pieces.append(html.escape(text[last:], quote=False))
    return "".join(pieces)


_BLOCK_TAGS = _BLOCKS | {"h1", "h4", "h5", "h6", *_CONTAINERS}


def _is_inline(child):
    """Text, or an inline element holding no block (Google Docs wraps whole paragraphs in a <b>)."""
    if isinstance(child, str):
        return True
    return child.tag not in _BLOCK_TAGS and all(_is_inline(c) for c in child.children)


def _list_marker(node):
    """"ul" or "ol" if this paragraph is a list item in disguise (Word's mso-list, a typed "•"), else None."""
    text = "".join(_texts(node))
    marker = _MARKER.search(text)
    if marker or "mso-list" in _style(node) or "msolistparagraph" in node.attrs.get("class", "").lower():
        label = marker[1] if marker else ""
        return "ol" if _NUMBER.match(label + " ") else "ul"
    if _BULLET.match(text):
        return "ul"
    return None


def _texts(node):
    for child in node.children:
        if isinstance(child, str):
            yield child
        else:
            yield from _texts(child)


def _drop_typed_bullet(node):
    """Remove the "• " a paste typed before an item's text (the first text in the item)."""
    for index, child in enumerate(node.children):
        if isinstance(child, str):
            stripped = _MARKER.sub("", child)
            if stripped.strip():
                node.children[index] = _BULLET.sub("", stripped, count=1)
                return
            node.children[index] = stripped
        elif _drop_typed_bullet(child) is None and "".join(_texts(child)).strip():
            return


def _content(children):
    """
    A block's inline HTML, without the layout whitespace around it; "" if nothing visible is
    left (Word's <p>&nbsp;</p>). A no-break space an author typed at an end stays.
    """
    content = _inline(children).strip(" \t\n\r\f")
    return content if content.replace("<br>", "").strip() else ""


def _blocks(children, shift, depth=0):
    """Block-level HTML lines for ``children``: loose inline content becomes a paragraph, empty blocks go."""
    lines, run, items, kind = [], [], [], None

    def flush_run():
        content = _content(run)
        if content:
            lines.append(f"<p>{content}</p>")
        run.clear()

    def flush_items():
        if items:
            lines.append(f"<{kind}>\n" + "\n".join(items) + f"\n</{kind}>")
            items.clear()

    for child in children:
        if _is_inline(child):
            if isinstance(child, str) and not child.strip() and not run:
                continue
            flush_items()
            run.append(child)
            continue
        flush_run()
        tag = child.tag
        marker = _list_marker(child) if tag in ("p", "div") or tag.startswith("h") else None
        if marker:
            if items and marker != kind:
                flush_items()
            kind = marker
            _drop_typed_bullet(child)
            content = _content(child.children)
            if content:
                items.append(f"<li>{content}</li>")
            continue
        flush_items()
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            level = 2 if int(tag[1]) + shift <= 2 else 3
            content = _content(child.children)
            if content:
                lines.append(f"<h{level}>{content}</h{level}>")
        elif tag in ("ul", "ol"):
            entries = []
            for item in child.children:
                if isinstance(item, str) and not item.strip():
                    continue
                inner = item.children if isinstance(item, _Node) and item.tag == "li" else [item]
                # The editor writes every item as <li><p>…</p></li>: one paragraph is a tight item.
                solid = [c for c in inner if not (isinstance(c, str) and not c.strip())]
                if len(solid) == 1 and isinstance(solid[0], _Node) and solid[0].tag == "p":
                    inner = solid[0].children
                if all(_is_inline(c) for c in inner):
                    content = _content(inner)
                    if content:
                        entries.append(f"<li>{content}</li>")
                else:
                    body = "\n".join(_blocks(inner, shift, depth + 1))
                    if body:
                        entries.append(f"<li>\n{body}\n</li>")
            if entries:
                lines.append(f"<{tag}>\n" + "\n".join(entries) + f"\n</{tag}>")
        elif tag == "blockquote":
            body = "\n".join(_blocks(child.children, shift, depth + 1))
            if body:
                lines.append(f"<blockquote>\n{body}\n</blockquote>")
        elif tag == "p":
            run.extend(child.children)
            flush_run()
        else:  # div, section, li out of a list: their content, as blocks
            lines.extend(_blocks(child.children, shift, depth + 1))
    flush_run()
    flush_items()
    return lines
