"""
The review loop between two people, in a real browser (issue 10): the reviewer's
comment reaches the writer on the form, Submit keeps unsaved edits, a late save
shows what it would overwrite instead of losing anything, and leaving a form with
unsaved changes asks first.
"""
import pytest
from playwright.sync_api import expect

from releases.models import Release
from releases.workflow import State

from ..factories import make_release
from .conftest import DESKTOP, PHONE, click_transition, open_in_admin
from .test_screenshots import shoot

pytestmark = pytest.mark.browser


def assert_visible_in_viewport(locator):
    """Present is not enough: the element must have a size and lie (at least partly) on the screen."""
    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    viewport = locator.page.viewport_size
    assert box and box["width"] > 0 and box["height"] > 0, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, (box, viewport)
    assert box["y"] < viewport["height"] and box["y"] + box["height"] > 0, (box, viewport)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_returned_writer_reads_the_reviewers_comment_on_the_form(person, writer, reviewer, viewport):
    make_release(author=writer, title="Allies agree to protect undersea cables")
    writing = person(writer, viewport=viewport)
    open_in_admin(writing, "Allies agree to protect undersea cables")
    click_transition(writing, "Submit for review", comment="Ready when you are.")
    expect(writing.locator(".messagelist")).to_contain_text("is now in review")

    reviewing = person(reviewer, viewport=viewport)
    open_in_admin(reviewing, "Allies agree to protect undersea cables")
    click_transition(reviewing, "Return to draft", comment="The second bullet needs a source.")

    writing.reload()
    returned = writing.locator(".nr-returned")
    assert_visible_in_viewport(returned)
    expect(returned).to_contain_text("The second bullet needs a source.")
    latest = writing.locator(".nr-conversation .nr-entry").first
    assert_visible_in_viewport(latest)
    expect(latest).to_contain_text("reviewer-1")
    expect(latest).to_contain_text("The second bullet needs a source.")
    # The writer answers in the conversation; the reviewer reads it.
    writing.get_by_label("Add a comment").fill("Added: the Maritime Command statement.")
    writing.get_by_role("button", name="Comment", exact=True).click()
    reviewing.reload()
    expect(reviewing.locator(".nr-conversation .nr-entry").first).to_contain_text("Added: the Maritime Command statement.")
    shoot(writing, "conversation")


def test_submit_with_unsaved_edits_keeps_the_edits(person, writer):
    make_release(author=writer, title="First title")
    page = person(writer)
    open_in_admin(page, "First title")
    page.get_by_label("Title").fill("Allies agree to protect undersea cables")
    click_transition(page, "Submit for review")
    expect(page.locator(".messagelist")).to_contain_text("Saved, and")
    release = Release.objects.get()
    assert (release.title, release.state) == ("Allies agree to protect undersea cables", State.IN_REVIEW)


def test_a_late_save_shows_what_it_would_overwrite_and_loses_nothing(person, writer, writer2):
    release = make_release(author=writer, title="Ministers meet", summary="Draft summary.")
    first = person(writer)
    second = person(writer2)
    for page in (first, second):
        page.goto(f"/admin/releases/release/{release.pk}/change/")
    expect(second.locator(".nr-presence")).to_contain_text("writer-1 has been editing this since")

    first.get_by_label("Summary").fill("Foreign ministers meet in Brussels on Tuesday.")
    first.get_by_role("button", name="Save and continue editing").click()
    expect(first.locator(".messagelist")).to_contain_text("was changed successfully")

    second.get_by_label("Title").fill("Foreign ministers meet in Brussels")
    second.get_by_role("button", name="Save and continue editing").click()
    error = second.locator(".errornote, .errorlist.nonfield").first
    assert_visible_in_viewport(error)
    expect(second.locator(".errorlist.nonfield")).to_contain_text("writer-1 changed this version at")
    expect(second.get_by_label("Title")).to_have_value("Foreign ministers meet in Brussels")
    conflict = second.locator(".nr-conflict")
    assert_visible_in_viewport(conflict)
    expect(conflict.locator("del").first).to_be_visible()
    release.refresh_from_db()
    assert (release.title, release.summary) == ("Ministers meet", "Foreign ministers meet in Brussels on Tuesday.")
    shoot(second, "stale-save")

    # Saving again is the deliberate choice to replace the saved version.
    second.get_by_role("button", name="Save and continue editing").click()
    expect(second.locator(".messagelist")).to_contain_text("was changed successfully")
    release.refresh_from_db()
    assert release.title == "Foreign ministers meet in Brussels"


def test_leaving_a_form_with_unsaved_changes_asks_first(person, writer):
    make_release(author=writer, title="Ministers meet")
    page = person(writer)
    open_in_admin(page, "Ministers meet")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_label("Title").fill("Ministers meet in Brussels")
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
