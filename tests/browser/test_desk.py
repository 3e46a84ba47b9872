"""
The desk in a real browser (issue 10, part 7): each role logs in and finds its
panels on the admin's home page, readable at 1280 and 390 px, with nothing
wider than the screen. Screenshots go to test-artifacts/desk-<role>-<width>.png.
"""
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ..factories import make_advisory, make_contact, make_release, make_source, publish
from .conftest import ARTIFACTS, DESKTOP, PHONE, assert_visible_in_viewport

pytestmark = pytest.mark.browser


def shoot_desk(page, role):
    """A full-page screenshot of the desk, after checking the page never scrolls sideways."""
    width = page.viewport_size["width"]
    overflow = page.evaluate("document.documentElement.scrollWidth") - width
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"desk-{role}-{width}.png", full_page=True)
    assert overflow <= 0, f"the {role}'s desk at {width}px is {overflow}px wider than the screen"


@pytest.fixture
def newsroom(writer, writer2, reviewer, reviewer2):
    """A morning's work: something returned, drafts, submissions waiting, a publication due, the latest ones out."""
    nato = make_source("NATO", slug="nato")
    europol = make_source("Europol", slug="europol")
    now = timezone.now()
    returned = make_release(source=nato, author=writer, title="Allies agree to protect undersea cables")
    returned.submit(writer)
    returned.return_to_draft(reviewer2, "The second bullet needs a source.\nThe rest reads well.")
    make_advisory(source=nato, author=writer, title="Secretary General to visit Chișinău")
    make_release(source=europol, author=writer2, title="Operation Mobile 6 stops car thieves").submit(writer2)
    make_release(source=nato, author=writer, title="Ministers meet on energy security").submit(writer)
    publish(make_release(source=nato, author=writer, title="NATO Day in Chișinău"), reviewer2, at=now + timedelta(days=2, hours=1))
    for n, title in enumerate(["Statement on maritime safety", "Europol annual report 2023"]):
        publish(make_release(source=europol, author=writer, title=title), reviewer2, at=now - timedelta(hours=n + 1))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_writer_finds_the_returned_draft_and_why_on_the_desk(person, writer, newsroom, viewport):
    page = person(writer, viewport=viewport)  # logging in lands on the admin's home: the desk
    returned = page.locator("#nr-panel-returned")
    assert_visible_in_viewport(returned)
    expect(returned).to_contain_text("Allies agree to protect undersea cables")
    expect(returned).to_contain_text("Returned by reviewer-2: “The second bullet needs a source.”")
    expect(returned).not_to_contain_text("The rest reads well.")
    drafts = page.locator("#nr-panel-drafts")
    assert_visible_in_viewport(drafts)
    expect(drafts.locator(".nr-panel-item").first).to_have_text("Allies agree to protect undersea cables")
    expect(drafts.locator(".nr-count")).to_have_text("2")
    assert_visible_in_viewport(page.locator("#nr-panel-in_review"))
    expect(page.locator("#nr-panel-in_review")).to_contain_text("Ministers meet on energy security")
    expect(page.locator("#nr-panel-waiting")).to_have_count(0)
    page.locator("#nr-panel-returned").scroll_into_view_if_needed()
    shoot_desk(page, "writer")

    # The panel's item opens the form, where the same words wait.
    returned.get_by_role("link", name="Allies agree to protect undersea cables").click()
    expect(page.locator(".nr-returned")).to_contain_text("The second bullet needs a source.")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_reviewer_sees_the_queue_oldest_first_and_whats_scheduled(person, reviewer, newsroom, viewport):
    page = person(reviewer, viewport=viewport)
    waiting = page.locator("#nr-panel-waiting")
    assert_visible_in_viewport(waiting)
    expect(waiting.locator(".nr-panel-item")).to_have_text(
        ["Operation Mobile 6 stops car thieves", "Ministers meet on energy security"]
    )
    expect(waiting.locator(".nr-count")).to_have_text("2")
    scheduled = page.locator("#nr-panel-scheduled_week")
    assert_visible_in_viewport(scheduled)
    expect(scheduled).to_contain_text("NATO Day in Chișinău")
    expect(scheduled).to_contain_text("in 2 days")
    published = page.locator("#nr-panel-published")
    assert_visible_in_viewport(published)
    expect(published.locator(".nr-panel-item").first).to_have_text("Statement on maritime safety")
    expect(published).to_contain_text("latest 2")
    page.locator("#nr-desk").scroll_into_view_if_needed()
    shoot_desk(page, "reviewer")

    # "See all" shows the same queue in the changelist.
    waiting.get_by_role("link", name="2 releases").click()
    expect(page.locator("#result_list")).to_contain_text("Operation Mobile 6 stops car thieves")
    expect(page.locator("#result_list")).not_to_contain_text("Statement on maritime safety")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_press_office_sees_the_contacts_changed_this_week(person, press_officer, viewport):
    make_contact(source=make_source("NATO", slug="nato"), name="Oana Lungescu", role="Spokesperson")
    page = person(press_officer, viewport=viewport)
    changed = page.locator("#nr-panel-changed")
    assert_visible_in_viewport(changed)
    expect(changed).to_contain_text("Oana Lungescu")
    expect(page.locator("#nr-panel-drafts")).to_have_count(0)
    shoot_desk(page, "press-office")
