"""
The rich-text body: pasted Word, Google Docs and web HTML comes out as the editor's
structure; the server keeps only that structure whatever a browser sends; bodies
that were Markdown read exactly as before once migrated; the digest importer
writes the same HTML.
"""
import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse

from releases.importers import import_digest
from releases.management.commands.load_demo import DIGEST
from releases.models import Advisory, AdvisoryTemplate, Release
from releases.text import markdown_to_html, plain_text, render_body

from .factories import make_release, make_source

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASTE = FIXTURES / "paste"
#: Every seed item's Markdown body and the HTML the public pages printed for it, recorded
#: with the Markdown renderer before the editor came (releases/demo/digest.txt).
BEFORE = json.loads((FIXTURES / "seed_bodies_before_rich_text.json").read_text())


def paste(name):
    return render_body((PASTE / name).read_text())


def test_word_paste_becomes_headings_lists_and_paragraphs():
    """Word's mso-list paragraphs become lists (bullets and numbers), its Heading 1 a section heading."""
    assert paste("word.html") == (
        "<h2>Allies agree to protect undersea cables</h2>\n"
        "<p>NATO Allies agreed <strong>three steps</strong> to protect <em>undersea cables</em> on\n"
        "Wednesday in Brussels.</p>\n"
        "<ul>\n<li>A coordination cell at NATO Maritime Command</li>\n<li>More patrols in the Baltic Sea</li>\n"
        "<li>Shared sensor data with industry</li>\n</ul>\n"
        "<h3>Next steps</h3>\n"
        "<ol>\n<li>Ministers meet in February</li>\n<li>The cell opens on 1 December</li>\n</ol>\n"
        '<p>Contact: <a href="mailto:press@hq.nato.int" rel="noopener noreferrer">press@hq.nato.int</a> or '
        '<a href="https://www.nato.int" rel="noopener noreferrer">www.nato.int</a></p>'
    )


def test_word_paste_drops_comments_tracked_deletions_styles_and_pictures():
    """What Word carries besides the text never reaches the body."""
    body = paste("word.html")
    for gone in ("[JS1]", "Check the date", "yesterday", "mso", "style", "Calibri", "<img", "clip_image", "&nbsp;", "·"):
        assert gone not in body


def test_google_docs_paste_keeps_bold_italic_links_and_lists_without_its_wrapper():
    """Docs' non-bold <b> wrapper goes; font-weight:700 and italic spans become strong and em; colours go."""
    assert paste("google-docs.html") == (
        "<h2>Weekly press briefing</h2>\n"
        "<p><strong>The spokesperson</strong> briefs the press <em>every Tuesday</em>. Details on "
        '<a href="https://www.nato.int/briefings" rel="noopener noreferrer">the briefings page</a>.</p>\n'
        "<h3>Topics</h3>\n"
        "<ul>\n<li>Defence spending</li>\n<li>The summit in July</li>\n</ul>"
    )


def test_web_page_paste_keeps_structure_and_drops_scripts_handlers_and_media():
    """A news site's fragment: headings, quotes and lists kept; scripts, trackers, iframes and images gone."""
    body = paste("web-page.html")
    assert body.startswith("<h3>Ministers meet in Brussels</h3>\n<p>Defence ministers <strong>meet on Thursday</strong>")
    assert "<blockquote>\n<p>“Our air defence is stronger than ever,” said the Secretary General.</p>\n</blockquote>" in body
    assert "<ol>\n<li>Opening remarks</li>\n<li>Press conference</li>\n</ol>" in body
    assert "<p>Embedded table text</p>\n<p>A caption</p>" in body
    for gone in ("dataLayer", "onclick", "javascript:", "data:", "<img", "<iframe", "youtube", "target=", "class="):
        assert gone not in body
    assert "<p>Accreditation closes on Monday. Share</p>" in body  # the refused link's text stays, as text


def test_typed_bullets_become_a_list():
    """Lines that start with "•" (a plain-text paste) are list items, not a run-together paragraph."""
    assert render_body("<p>• invest more;</p><p>• train together.</p><p>The end.</p>") == (
        "<ul>\n<li>invest more;</li>\n<li>train together.</li>\n</ul>\n<p>The end.</p>"
    )


def test_bare_addresses_become_links_but_text_inside_links_stays():
    """URLs, www. addresses and e-mail addresses are linked; punctuation after them isn't part of the link."""
    assert render_body("<p>See https://nato.int/a, or write to press@nato.int.</p>") == (
        '<p>See <a href="https://nato.int/a" rel="noopener noreferrer">https://nato.int/a</a>, or write to '
        '<a href="mailto:press@nato.int" rel="noopener noreferrer">press@nato.int</a>.</p>'
    )
    assert render_body('<p><a href="https://nato.int">https://nato.int</a></p>') == (
        '<p><a href="https://nato.int" rel="noopener noreferrer">https://nato.int</a></p>'
    )


def test_the_allow_list_is_the_editors_schema():
    """Scripts, event handlers, javascript:/data: URLs, unknown tags and attributes are removed."""
    forged = (
        '<script>alert(1)</script><p onclick="steal()" class="x" style="color:red" id="y">Hello '
        '<a href="javascript:alert(1)">one</a> <a href="data:text/html,<b>x</b>">two</a> '
        '<a href="https://nato.int" onmouseover="x()" target="_blank" title="t">three</a>'
        '<img src="x" onerror="alert(1)"><iframe src="https://evil.example"></iframe><marquee>four</marquee>'
        "<u>five</u><code>six</code><h1>Seven</h1><h4>eight</h4><svg><script>alert(2)</script></svg></p>"
    )
    assert render_body(forged) == (
        '<p>Hello one two <a href="https://nato.int" rel="noopener noreferrer">three</a>fourfivesix</p>\n'
        "<h2>Seven</h2>\n<h3>eight</h3>"
    )


def test_rendering_is_stable():
    """The stored HTML, rendered again (every save does), doesn't change: no drift between editions."""
    for name in ("word.html", "google-docs.html", "web-page.html"):
        once = paste(name)
        assert render_body(once) == once


def test_the_editors_list_items_are_stored_tight():
    """The editor writes <li><p>…</p></li>; the page keeps the tight lists it always had."""
    assert render_body("<ul><li><p>a</p></li><li><p>b</p></li></ul>") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"


def test_plain_text_separates_blocks():
    """Search and descriptions read the body's words, a line between blocks, no markup."""
    assert plain_text("<h2>Title</h2><p>One &amp; <strong>two</strong></p><ul><li>three</li></ul>") == (
        "Title\nOne & two\n\nthree"
    )


# --- the admin form: whatever the browser sends -----------------------------------------------

def release_form(release, **changes):
    data = {
        "source": release.source_id, "category": release.category, "title": release.title,
        "slug": release.slug, "summary": release.summary, "body": release.body, "original_url": "",
        "revision": release.revision,
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "0", "pictures-INITIAL_FORMS": "0",
        "pictures-MIN_NUM_FORMS": "0", "pictures-MAX_NUM_FORMS": "1000",
    }
    return data | changes


def test_a_forged_post_is_stored_as_the_editors_structure(client, writer):
    """A body posted without the editor (scripts, handlers, styles, unknown tags) is saved cleaned."""
    release = make_release(author=writer, body="<p>Before.</p>")
    client.force_login(writer)
    forged = '<p style="color:red" onclick="x()">After <script>alert(1)</script><blink>now</blink></p><img src=x>'
    response = client.post(reverse("admin:releases_release_change", args=[release.pk]), release_form(release, body=forged))
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.body == release.body_html == "<p>After now</p>"


@pytest.mark.parametrize("href", ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "/relative/path"])
def test_a_refused_link_is_a_form_error_not_a_dead_link(client, writer, href):
    """A link the body can't keep is named in a form error, and nothing is saved."""
    release = make_release(author=writer, body="<p>Before.</p>")
    client.force_login(writer)
    body = f'<p>Read <a href="{href}">the agenda</a>.</p>'
    response = client.post(reverse("admin:releases_release_change", args=[release.pk]), release_form(release, body=body))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Links must start with https://, http://, mailto: or tel:" in page
    assert href.replace("&", "&amp;") in page
    release.refresh_from_db()
    assert release.body == "<p>Before.</p>"


def test_the_change_form_loads_the_editor_from_our_own_static_files(client, writer):
    """One module of ours, no import map, no CDN: the page's scripts all come from /static/."""
    release = make_release(author=writer)
    client.force_login(writer)
    page = client.get(reverse("admin:releases_release_change", args=[release.pk])).content.decode()
    assert '<script src="/static/js/newsroom-editor.js" type="module"></script>' in page
    assert "importmap" not in page
    assert 'data-newsroom-editor' in page
    assert Path("static/js/newsroom-editor.js").read_text().count('from "../django_prose_editor/editor.js"') == 1


# --- Markdown bodies: the data migration and the importer -------------------------------------

def test_the_data_migration_renders_the_seed_exactly_as_before(db):
    """Every seed body, stored as the Markdown it was, reads the same HTML after the migration."""
    import_digest(DIGEST)
    for release_or_advisory in (*Release.objects.all(), *Advisory.objects.all()):
        markdown = BEFORE[release_or_advisory.slug]["markdown"]
        type(release_or_advisory).objects.filter(pk=release_or_advisory.pk).update(body=markdown, body_html="")
    template = AdvisoryTemplate.objects.create(
        name="Weekly briefing", source=Release.objects.first().source, title="Briefing", body="- one\n- two",
    )
    migration = importlib.import_module("releases.migrations.0009_body_html_from_markdown")

    migration.bodies_to_html(apps, None)

    items = [*Release.objects.all(), *Advisory.objects.all()]
    assert len(items) == len(BEFORE) == 10
    for item in items:
        assert item.body_html == BEFORE[item.slug]["body_html"], item.slug
        assert item.body == item.body_html
        assert render_body(item.body) == item.body_html  # the next save changes nothing
    template.refresh_from_db()
    assert template.body == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"


def test_import_digest_writes_the_editors_html_as_the_page_showed_it(db):
    """The seed imported today gives the HTML the Markdown bodies were shown with."""
    import_digest(DIGEST)
    for item in (*Release.objects.all(), *Advisory.objects.all()):
        assert item.body == item.body_html == BEFORE[item.slug]["body_html"], item.slug


def test_migrated_markdown_keeps_every_word():
    """Markdown the schema has no place for (code, rules, fourth-level headings) keeps its text."""
    html = markdown_to_html("#### Small heading\n\nUse `code` here.\n\n---\n\n[a link](https://nato.int \"T\")")
    assert html == (
        "<h3>Small heading</h3>\n<p>Use code here.</p>\n"
        '<p><a href="https://nato.int" rel="noopener noreferrer">a link</a></p>'
    )


def test_the_published_page_prints_the_stored_html(client, writer, reviewer):
    """What a reader sees: the pasted structure, no styles, on the public page."""
    from .factories import publish

    release = make_release(author=writer, body=(PASTE / "word.html").read_text())
    publish(release, reviewer)
    page = client.get(release.get_absolute_url()).content.decode()
    assert "<li>More patrols in the Baltic Sea</li>" in page
    assert "<h2>Allies agree to protect undersea cables</h2>" in page
    assert "mso-" not in page and "[JS1]" not in page


def test_a_published_version_in_the_admin_shows_the_body_as_readers_see_it(client, writer, reviewer):
    """Read-only, the body is the page's text with its structure, not its HTML source."""
    from .factories import publish

    release = publish(make_release(author=writer, body="<h2>Key points</h2><ul><li>one</li></ul>"), reviewer)
    client.force_login(writer)
    page = client.get(reverse("admin:releases_release_change", args=[release.pk])).content.decode()
    assert '<div class="nr-rendered-body"><h2>Key points</h2>\n<ul>\n<li>one</li>\n</ul></div>' in page
    assert "&lt;h2&gt;" not in page


def test_advisory_templates_get_the_same_editor(admin_client):
    """A template's body is written in the same editor, with its stylesheet, as an advisory's."""
    page = admin_client.get(reverse("admin:releases_advisorytemplate_add")).content.decode()
    assert '<script src="/static/js/newsroom-editor.js" type="module"></script>' in page
    assert 'href="/static/css/newsroom-editor.css"' in page
    assert "data-newsroom-editor" in page


def test_the_plain_text_mail_reads_the_structure():
    """E-mail's text part: blocks apart, bullets and numbers, quotations marked, links' addresses kept, no entities."""
    from releases.text import readable_text

    body = render_body(
        "<h2>Ministers in Chișinău</h2><p>Allies &amp; partners agreed <a href='https://nato.int/plan'>the plan</a>;"
        " ask <a href='mailto:press@nato.int'>press@nato.int</a>.</p><ul><li>one</li><li>two</li></ul>"
        "<ol><li>first</li><li>second</li></ol><blockquote><p>“We agree,” said Novák.</p></blockquote><p>a<br>b</p>"
    )
    assert readable_text(body) == (
        "Ministers in Chișinău\n\n"
        "Allies & partners agreed the plan (https://nato.int/plan); ask press@nato.int.\n\n"
        "- one\n- two\n\n1. first\n2. second\n\n> “We agree,” said Novák.\n\na\nb"
    )
