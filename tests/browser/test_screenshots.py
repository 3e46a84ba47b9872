"""
Screenshots of the pages people see, at a desktop and a phone width, for a person to look at.

Written to test-artifacts/screenshots/<page>-<width>.png (ignored by git). The
checks here are what a screenshot can't show by itself: nothing wider than the
screen, so a phone never scrolls sideways.
"""
import pytest
from playwright.sync_api import expect

from releases.models import Advisory, Contact, Release

from .conftest import ARTIFACTS, DESKTOP, PHONE, with_media_kit

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "screenshots"


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    overflow = page.evaluate("document.documentElement.scrollWidth") - width
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
    assert overflow <= 0, f"{name} at {width}px is {overflow}px wider than the screen"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_public_pages_and_the_admin(person, demo_week, writer, viewport, settings):
    release = Release.objects.get(slug="nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau")
    release.contacts.set(Contact.objects.filter(name="NATO Press Office"))
    with_media_kit(release)
    advisory = Advisory.objects.get(slug="nato-secretary-general-meets-with-the-president-of-hungary")
    draft = release.start_new_draft(writer)

    page = person(viewport=viewport)
    page.goto("/")
    expect(page.locator(".upcoming")).to_contain_text(advisory.title)
    shoot(page, "home")
    page.goto("/?q=NATO+Moldova&source=nato")
    expect(page.locator(".results-heading")).to_be_visible()
    shoot(page, "search")
    page.goto("/?q=chisinu&kind=advisory")
    expect(page.locator(".suggestions")).to_be_visible()
    shoot(page, "search-no-results")
    page.goto(release.get_absolute_url())
    expect(page.locator(".contacts")).to_contain_text("NATO Press Office")
    expect(page.locator(".media-kit")).to_contain_text("Fact sheet: NATO Day in Chișinău")
    shoot(page, "release")
    page.emulate_media(media="print")  # the print stylesheet: no navigation or sharing, contacts kept
    expect(page.locator(".site-header")).to_be_hidden()
    shoot(page, "release-print")
    page.emulate_media(media="screen")
    settings.NEWSROOM_MEDIA_KIT_INLINE_BYTES = 0  # the worker's "being prepared" page
    page.goto(release.media_kit_url)
    expect(page.get_by_role("heading", name="The media kit is being prepared")).to_be_visible()
    shoot(page, "media-kit-preparing")
    page.goto(advisory.get_absolute_url())
    expect(page.locator(".programme")).to_be_visible()
    shoot(page, "advisory")
    page.goto(release.source.get_absolute_url())
    shoot(page, "source")
    page.goto("/topics/allies-and-partners/")
    expect(page.locator(".entry-title").first).to_be_visible()
    shoot(page, "topic")
    page.goto("/contacts/")
    expect(page.locator(".contacts--source").first).to_contain_text("NATO Press Office")
    shoot(page, "contacts")

    editor = person(writer, viewport=viewport)
    editor.goto(f"/admin/releases/release/{draft.pk}/change/")
    expect(editor.get_by_role("button", name="Submit for review")).to_be_visible()
    shoot(editor, "admin-change-form")


def on_screen(locator, page):
    """Visible, with a size, and inside the viewport's width (so a phone doesn't scroll sideways to it)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box["width"] > 0 and box["height"] > 0
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_media_events_page(person, demo_week, viewport):
    """The week the demo digest was sent: the Hungary press conference ahead, the Oslo session past."""
    page = person(viewport=viewport)
    page.goto("/")
    page.get_by_role("link", name="Media events", exact=True).click()
    expect(page.get_by_role("heading", name="Media events", level=1)).to_be_visible()
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Today and upcoming")).locator("li.event")
    past = page.locator("section", has=page.get_by_role("heading", name="Past events")).locator("li.event")
    expect(upcoming).to_have_count(1)
    expect(upcoming.first).to_contain_text("NATO Secretary General meets with the President of Hungary")
    expect(upcoming.first).to_contain_text("Wednesday 8 November 2023, 17:30 CET")
    on_screen(upcoming.first.locator(".event-status--upcoming"), page)
    on_screen(upcoming.first.get_by_role("link", name="Add to calendar"), page)
    expect(past).to_have_count(1)
    expect(past.first).to_contain_text("NATO Secretary General attends the Nordic Council")
    on_screen(past.first.locator(".event-status--past"), page)
    on_screen(page.get_by_role("link", name="Subscribe in your calendar"), page)
    shoot(page, "events")
    if not page.get_by_label("Month").is_visible():  # on a phone the filters fold behind "Filter"
        page.locator("summary", has_text="Filter").click()
    page.get_by_label("Month").fill("2023-10")
    page.get_by_role("button", name="Show").click()
    expect(past).to_have_count(1)
    expect(upcoming).to_have_count(0)
    shoot(page, "events-october")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_feeds_page(person, demo_week, viewport):
    """Where "Follow … in a feed reader" leads: every feed's address, to copy into a reader."""
    page = person(viewport=viewport)
    page.goto("/feeds/")
    expect(page.get_by_role("heading", name="Follow the newsroom in a feed reader")).to_be_visible()
    on_screen(page.locator(".feed-addresses code").first, page)
    shoot(page, "feeds")
