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
