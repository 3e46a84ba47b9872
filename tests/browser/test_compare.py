"""
Compare versions in a real browser (issue 10): a reviewer goes from the change
form of a new edition to the comparison with the live version, reads what
changed at a desktop and a phone width, and switches to side by side; the
screenshots go to test-artifacts/compare-<width>.png.
"""
import pytest
from playwright.sync_api import expect

from releases.text import markdown_to_html  # bodies are the editor's HTML; this one is written as Markdown

from ..factories import make_contact, make_picture, make_release, make_source, publish
from .conftest import ARTIFACTS, DESKTOP, PHONE, assert_visible_in_viewport, describe, run_axe

pytestmark = pytest.mark.browser

BODY = """NATO Allies agreed three steps to protect undersea cables.

## What changes

- A coordination cell at NATO Maritime Command
- More patrols in the Baltic Sea

> “Our societies depend on these cables,” said the Secretary General."""


def assert_not_wider_than_the_screen(page):
    overflow = page.evaluate("document.documentElement.scrollWidth") - page.viewport_size["width"]
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


@pytest.fixture
def edited_release(writer, reviewer):
    """A published release, and a new edition the writer changed and submitted."""
    source = make_source("NATO", slug="nato")
    press_office = make_contact(source=source, name="NATO Press Office", role="Press and Media")
    live = make_release(
        source=source, author=writer, title="Allies agree three steps to protect undersea cables",
        summary="Three steps to protect the cables on the seabed.", body=BODY,
    )
    live.contacts.set([press_office])
    make_picture(live, alt_text="A cable-laying ship in the Baltic Sea", caption="Off Gotland", is_lead=True)
    live = publish(live, reviewer)
    draft = live.start_new_draft(writer)
    draft.title = "Allies agree four steps to protect undersea cables"
    draft.body = BODY.replace("three steps", "four steps").replace(
        "- More patrols in the Baltic Sea", "- More patrols in the Baltic and North Seas\n- Shared sensor data with industry",
    )
    draft.save_edit(writer, draft.revision, ["title", "body"])
    draft.contacts.add(make_contact(source=source, name="Piers Cazalet", role="Deputy Spokesperson"))
    draft.pictures.update(caption="Off Gotland, Sweden")
    make_picture(draft, alt_text="The Secretary General at the podium", name="podium.jpg")
    draft.submit(writer)
    return draft


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_reviewer_reads_what_changed_since_the_version_they_approved(person, reviewer, edited_release, viewport):
    page = person(reviewer, viewport=viewport)
    page.goto(f"/admin/releases/release/{edited_release.pk}/change/")
    link = page.get_by_role("link", name="Compare with version 1", exact=True)
    assert_visible_in_viewport(link)
    link.click()

    expect(page.get_by_role("heading", name="Version 1 (published) → version 2 (in review)")).to_be_visible()
    expect(page.locator(".nr-compare-result h2")).to_contain_text("changes since the version you last reviewed")
    title = page.locator("#nr-compare-title")
    assert_visible_in_viewport(title)
    assert_visible_in_viewport(title.locator("del"))
    assert_visible_in_viewport(title.locator("ins"))
    expect(title.locator("del")).to_have_text("removed: three")
    expect(title.locator("ins")).to_have_text("added: four")
    body = page.locator("#nr-compare-body")
    assert_visible_in_viewport(body.locator("ins", has_text="Shared sensor data with industry"))
    assert_visible_in_viewport(body.locator("del", has_text="Sea"))
    contacts = page.locator("#nr-compare-contacts")
    assert_visible_in_viewport(contacts.locator("ins"))
    expect(contacts).to_contain_text("Piers Cazalet (Deputy Spokesperson)")
    pictures = page.locator("#nr-compare-pictures")
    added = pictures.locator(".nr-picture-change--added")
    assert_visible_in_viewport(added.locator("img"))
    expect(added).to_contain_text("The Secretary General at the podium")
    assert added.locator("img").evaluate("img => img.complete && img.naturalWidth > 0"), "the thumbnail didn't load"
    expect(pictures.locator(".nr-picture-change--changed")).to_contain_text("Off Gotland")
    expect(page.locator(".nr-unchanged")).to_contain_text("Unchanged: Summary, Category, Source")
    assert_not_wider_than_the_screen(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"compare-{viewport['width']}.png", full_page=True)
    violations = run_axe(page, include=[".nr-compare"])
    assert not violations, describe(violations)

    page.get_by_role("link", name="Show side by side").click()
    expect(page.get_by_role("radio", name="side by side")).to_be_checked()
    sides = page.locator("#nr-compare-title .nr-side-row > div")
    expect(sides).to_have_count(2)
    for side in (sides.nth(0), sides.nth(1)):
        assert_visible_in_viewport(side)
    expect(sides.nth(0)).to_contain_text("Version 1:")
    expect(sides.nth(1)).to_contain_text("Version 2:")
    assert_not_wider_than_the_screen(page)
    page.screenshot(path=ARTIFACTS / f"compare-side-{viewport['width']}.png", full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_writer_restores_an_earlier_version_as_a_new_draft(person, writer, reviewer, reviewer2, viewport):
    """Restore from the compare view: a new draft with the old words, the public page unchanged until approval."""
    first = publish(make_release(author=writer, title="Ministers meet in Brussels", slug="ministers-meet"), reviewer)
    second = first.start_new_draft(writer)
    second.title = "Ministers meet in Mons"
    second.save_edit(writer, second.revision, ["title"])
    publish(second, reviewer2)

    page = person(writer, viewport=viewport)
    page.goto(f"/admin/releases/release/{second.pk}/change/")
    link = page.locator(".nr-history").get_by_role("link", name="compare with version 1")
    assert_visible_in_viewport(link)  # the Versions list is on the page, not squeezed to 0 px
    link.click()
    expect(page.locator("#nr-compare-title")).to_contain_text("Brussels")
    page.get_by_label("Why (optional)").fill("Mons was a mistake.")
    restore = page.get_by_role("button", name="Restore version 1 as a new draft")
    assert_visible_in_viewport(restore)
    restore.click()
    expect(page.locator(".messagelist")).to_contain_text("is now draft")
    expect(page.locator(".nr-workflow")).to_contain_text("version 3")
    expect(page.locator("#id_title")).to_have_value("Ministers meet in Brussels")
    expect(page.locator(".nr-conversation .nr-entry").first).to_contain_text("Mons was a mistake.")

    visitor = person()
    visitor.goto("/releases/ministers-meet/")
    expect(visitor.get_by_role("heading", name="Ministers meet in Mons")).to_be_visible()
