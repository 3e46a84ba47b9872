"""Body Markdown (the renderer migrated bodies and the digest importer go through): every character an editor typed reaches the page, no internal placeholder ever does."""
import pytest
from django.urls import reverse

from releases.text import markdown_to_html as render_body, normalise_text, plain_text

from .factories import make_release, publish

#: Python-Markdown's internal markers: STX "klzzwxh:0000" ETX (inline stash) and "wzxhzdk" (HTML stash).
PLACEHOLDER_TRACES = ("\x02", "\x03", "klzzwxh", "wzxhzdk")


def assert_no_placeholder(html):
    for trace in PLACEHOLDER_TRACES:
        assert trace not in html, html


def test_broken_image_title_keeps_the_rest_of_the_paragraph():
    """An image whose title quote never closes (the reported attack) no longer swallows the paragraph."""
    html = render_body('Before ![a](https://x/a.png" onerror="alert(1)) after text here.')
    assert_no_placeholder(html)
    assert "after text here." in html
    assert "Before" in html
    assert "<img" not in html


def test_broken_link_title_keeps_the_rest_of_the_paragraph():
    """The same unclosed title on a plain link stays literal text, with the paragraph after it."""
    html = render_body('See [the page](https://x/a" b="(1)) for the agenda.')
    assert_no_placeholder(html)
    assert "for the agenda." in html
    assert "[the page](" in html  # no link made of the broken syntax (the bare address is linked)


def test_broken_link_over_code_prints_no_placeholder():
    """A link target running into `code` used to cut the code's placeholder in half and print it."""
    html = render_body('\\*[b](<http://x>"![a](\\*`c`')
    assert_no_placeholder(html)
    assert html.endswith("(*c</p>")  # code is plain text in the editor's schema


@pytest.mark.parametrize("source, kept", [
    ("*e**e*xyz", "xyz"),
    ("x *e**e*`code`", "</em>code</p>"),
    ("x *e**e*&amp; more", "&amp; more"),
    ('"onerror=)]*e**e*&amp;', "&amp;"),
])
def test_emphasis_runs_keep_the_next_character(source, kept):
    """Python-Markdown 3.11's emphasis dropped the character after "*e**e*", or printed a placeholder there."""
    html = render_body(source)
    assert_no_placeholder(html)
    assert kept in html


def test_picture_in_the_body_reads_as_its_alt_text():
    """The body allows no pictures: ![alt](url) shows its alt text, escaped, and no <img>."""
    assert render_body("Ministers ![at the table](https://x/a.png) today") == "<p>Ministers at the table today</p>"
    assert render_body("![<script>x</script>](u)") == "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    assert render_body("![logo][1] here\n\n[1]: https://x/logo.png") == "<p>logo here</p>"


def test_ordinary_markdown_still_renders():
    """Emphasis, strong, links, lists, headings and Unicode come out as before."""
    html = render_body(
        "# Chișinău\n\n**Mrs Katalin Novák** met *the “Council”* — see [the page](https://example.org \"T\").\n\n"
        "- one\n- two\n\n__strong__ and _em_ but snake_case_name stays"
    )
    assert "<h2>Chișinău</h2>" in html
    assert "<strong>Mrs Katalin Novák</strong>" in html
    assert "<em>the “Council”</em>" in html
    # Titles aren't in the rich-text editor's schema, so the migrated body keeps the link without one.
    assert '<a href="https://example.org" rel="noopener noreferrer">the page</a>' in html
    assert "<li>one</li>" in html
    assert "<strong>strong</strong> and <em>em</em> but snake_case_name stays" in html


def test_plain_text_has_no_placeholder():
    """Search indexes and descriptions read plain_text: the broken image's paragraph is all there."""
    text = plain_text(render_body('Before ![a](https://x/a.png" onerror="alert(1)) after text here.'))
    assert text.endswith("after text here.")
    assert_no_placeholder(text)


def test_release_page_shows_the_whole_paragraph(client, writer, reviewer):
    """What a reader sees: the published body keeps the words after the broken image."""
    release = make_release(author=writer, body=render_body('Before ![a](https://x/a.png" onerror="alert(1)) after text here.'))
    publish(release, reviewer)
    response = client.get(reverse("releases:release-detail", args=[release.slug]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "after text here." in content
    assert_no_placeholder(content)


def test_normalise_text_turns_every_line_break_into_newline():
    """The shared normaliser: Word's manual break, CR LF, U+2028 → "\\n"; a space in a one-line field."""
    assert normalise_text("a\x0bb\r\nc\u2028d\re") == "a\nb\nc\nd\ne"
    assert normalise_text("a\x0bb\r\nc", multiline=False) == "a b c"
    assert normalise_text("Chi\x00și\x1bnău\ufffe “x”\x7f") == "Chișinău “x”"
