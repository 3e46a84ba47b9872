"""
The body's rich-text editor in a real browser, under the site's Content-Security-Policy:
a press officer pastes a release from Word, fixes a heading with the toolbar, and saves,
without typing any markup; a refused link is said, not silently dropped.
"""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from releases.models import Release

from ..factories import make_release, make_source
from .conftest import ARTIFACTS, DESKTOP, PHONE, assert_visible_in_viewport

pytestmark = pytest.mark.browser

PASTE = Path(__file__).resolve().parent.parent / "fixtures" / "paste"


def paste_html(editor, html, text=""):
    """What a browser does on Ctrl+V of a Word or web selection: a paste event carrying text/html."""
    editor.click()
    editor.evaluate(
        """(element, [html, text]) => {
            const data = new DataTransfer();
            data.setData("text/html", html);
            data.setData("text/plain", text);
            element.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        [html, text],
    )


def body_editor(page):
    """The editor's editable area, named Body: it exists only once the editor has started."""
    return page.locator('[contenteditable="true"][aria-label="Body"]')


def watch_csp(page):
    """Every Content-Security-Policy refusal the page meets, as the console reports it."""
    refusals = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refusals.append(message.text))
    return refusals


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_press_officer_pastes_from_word_fixes_a_heading_and_saves(person, writer, viewport):
    """Word's paste becomes headings and lists; the toolbar turns a paragraph into a heading; the page shows it."""
    make_source("NATO", slug="nato")
    draft = make_release(author=writer, title="Allies agree to protect undersea cables", body="")
    page = person(writer, viewport=viewport)
    refusals = watch_csp(page)
    page.goto(f"/admin/releases/release/{draft.pk}/change/")

    editor = body_editor(page)
    assert_visible_in_viewport(editor)
    toolbar = page.locator(".field-body .prose-menubar")
    assert_visible_in_viewport(toolbar)
    paste_html(editor, (PASTE / "word.html").read_text())
    expect(editor.locator("ul > li")).to_have_count(3)
    expect(editor.locator("ol > li")).to_have_count(2)
    expect(editor.locator("h2")).to_have_text("Allies agree to protect undersea cables")
    expect(editor).not_to_contain_text("[JS1]")  # Word's comment marker
    expect(editor).not_to_contain_text("yesterday")  # tracked deletion

    # "Contact: …" should be a section heading: click into it and press the toolbar's heading button.
    editor.get_by_text("Contact:").click()
    toolbar.locator(".prose-menubar__selected").click()  # the block-type picker, showing "paragraph"
    toolbar.get_by_role("button", name="Heading 3").click()
    expect(editor.locator("h3", has_text="Contact:")).to_be_visible()

    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    draft.refresh_from_db()
    assert "<li>More patrols in the Baltic Sea</li>" in draft.body_html
    assert "<h3>Contact: " in draft.body_html
    assert "style=" not in draft.body and "mso" not in draft.body and "<img" not in draft.body
    assert refusals == []
    ARTIFACTS.joinpath("screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "screenshots" / f"admin-rich-text-{viewport['width']}.png", full_page=True)


def test_a_refused_link_is_said_in_the_editor_and_refused_on_save(person, writer):
    """A pasted javascript: link shows a message beside the editor; a forged one is a form error on save."""
    make_source("NATO", slug="nato")
    draft = make_release(author=writer, title="Links", body="<p>Before.</p>")
    page = person(writer)
    page.goto(f"/admin/releases/release/{draft.pk}/change/")
    editor = body_editor(page)
    paste_html(editor, '<p>Read <a href="javascript:alert(1)">the agenda</a>.</p>')
    message = page.locator(".nr-editor-message")
    assert_visible_in_viewport(message)
    expect(message).to_contain_text("javascript:alert(1)")
    expect(editor).to_contain_text("the agenda")

    # A browser that sends the link anyway (the textarea edited by hand) gets a form error naming it.
    page.locator("textarea[name=body]").evaluate(
        "(t) => { t.closest('.prose-editor').after(t); t.value = '<p><a href=\"data:text/html,x\">x</a></p>'; }"
    )
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".errorlist")).to_contain_text("data:text/html,x")
    assert Release.objects.get(pk=draft.pk).body == "<p>Before.</p>"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_typing_is_autosaved_and_the_save_button_still_works(person, writer, viewport):
    """A few seconds after typing stops, "Saved HH:MM" shows and the draft holds the text; Save then saves, no conflict."""
    make_source("NATO", slug="nato")
    draft = make_release(author=writer, title="Autosave", body="<p>First paragraph.</p>")
    page = person(writer, viewport=viewport)
    page.goto(f"/admin/releases/release/{draft.pk}/change/")
    editor = body_editor(page)
    editor.get_by_text("First paragraph.").click()
    page.keyboard.press("End")
    page.keyboard.type(" Typed, never saved by hand.")

    status = page.locator("#nr-autosave")
    expect(status).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    assert_visible_in_viewport(status)
    draft.refresh_from_db()
    assert draft.body == "<p>First paragraph. Typed, never saved by hand.</p>"
    assert (draft.revision, Release.objects.count()) == (2, 1)

    page.locator("#id_title").fill("Autosave works")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    draft.refresh_from_db()
    assert draft.title == "Autosave works" and draft.body.endswith("never saved by hand.</p>")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_live_preview_shows_the_public_page_beside_the_form_and_follows_the_typing(person, writer, viewport):
    """Beside the form at 1280 px, below it at 390 px; what is typed appears in it after the autosave; width toggle."""
    make_source("NATO", slug="nato")
    draft = make_release(author=writer, title="Allies meet", body="<p>First paragraph.</p>")
    page = person(writer, viewport=viewport)
    refusals = watch_csp(page)
    page.goto(f"/admin/releases/release/{draft.pk}/change/")

    preview = page.frame_locator("#nr-live-preview")
    expect(preview.get_by_role("heading", name="Allies meet")).to_be_visible()
    frame = page.locator("#nr-live-preview")
    assert_visible_in_viewport(frame)
    form, pane = page.locator("#content-main").bounding_box(), frame.bounding_box()
    if viewport is DESKTOP:
        assert pane["x"] >= form["x"] + form["width"], (form, pane)  # beside the form
    else:
        assert pane["y"] >= form["y"] + form["height"], (form, pane)  # below it

    editor = body_editor(page)
    editor.get_by_text("First paragraph.").click()
    page.keyboard.press("End")
    page.keyboard.type(" Seen in the preview.")
    expect(preview.locator("article")).to_contain_text("First paragraph. Seen in the preview.")

    page.get_by_role("button", name="Phone").click()
    expect(page.get_by_role("button", name="Phone")).to_have_attribute("aria-pressed", "true")
    assert frame.bounding_box()["width"] <= 390
    assert refusals == []
    page.screenshot(path=ARTIFACTS / "screenshots" / f"admin-live-preview-{viewport['width']}.png", full_page=True)
