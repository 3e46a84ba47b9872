"""
Body text: editors write Markdown (paragraphs, headings, lists, links,
quotations), which diffs line by line between editions. It is rendered to HTML
and sanitised with nh3 when saved, so templates only ever print the clean copy.
"""
import html
import re

import markdown
import nh3

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


def render_body(source):
    """Markdown source → sanitised HTML. Raw HTML in the source is escaped, never trusted."""
    if not source:
        return ""
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    # Raw HTML typed by an editor is shown as text, not interpreted.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # The page title is the only <h1>: an editor's top-level heading becomes a section heading.
    converted = re.sub(r"<(/?)h1>", r"<\1h2>", md.convert(source))
    return sanitise_html(converted)


def plain_text(source):
    """The body without markup, for search indexes and descriptions."""
    return html.unescape(nh3.clean(render_body(source), tags=set())).strip()
