"""
Body text: editors write Markdown (paragraphs, headings, lists, links,
quotations), which diffs line by line between editions. It is rendered to HTML
and sanitised with nh3 when saved, so templates only ever print the clean copy.
"""
import html
import re

import markdown
import nh3
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

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "a", "strong", "em", "code", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


#: Characters that end a line in some editor but aren't "\n": Word's manual line break (VT),
#: form feed, the information separators, NEL and the Unicode line and paragraph separators.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
#: What no text field keeps: C0 and C1 controls other than tab and newline, DEL, lone
#: surrogates and the noncharacters U+FFFE/U+FFFF. XML 1.0 (feeds, sitemap) forbids all of
#: them, iCalendar forbids the controls, and none of them is visible to a reader.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def normalise_text(value, multiline=True):
    """
    Text as every input path stores it (admin forms, the digest importer): line
    breaks of any kind become "\n" (a space in a one-line field such as a title),
    and control characters are dropped. Everything a reader can see, Unicode
    letters, curly quotes and dashes included, is kept exactly.
    """
    if not value:
        return value
    value = _LINE_BREAKS.sub("\n", value)
    value = _INVISIBLE.sub("", value)
    if not multiline:
        value = " ".join(value.replace("\t", " ").split("\n"))
    return value


def has_invisible_characters(value):
    """True if ``normalise_text`` would change ``value`` other than by its line breaks."""
    return bool(value) and bool(_INVISIBLE.search(value))


def sanitise_html(html):
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
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


def render_body(source):
    """Markdown source → sanitised HTML. Raw HTML in the source is escaped, never trusted."""
    if not source:
        return ""
    # The page title is the only <h1>: an editor's top-level heading becomes a section heading.
    converted = re.sub(r"<(/?)h1>", r"<\1h2>", body_markdown().convert(source))
    return sanitise_html(converted)


def plain_text(source):
    """The body without markup, for search indexes and descriptions."""
    return html.unescape(nh3.clean(render_body(source), tags=set())).strip()
