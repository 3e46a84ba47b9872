"""
Screenshots of the pages people see, at a desktop and a phone width, for a person to look at.

Written to test-artifacts/screenshots/<page>-<width>.png (ignored by git). The
checks here are what a screenshot can't show by itself: nothing wider than the
screen, so a phone never scrolls sideways.
"""
import pytest
from playwright.sync_api import expect

from releases.models import Advisory, Contact, Release

from .conftest import ARTIFACTS, DESKTOP, PHONE

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "screenshots"


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    overflow = page.evaluate("document.documentElement.scrollWidth") - width
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
    assert overflow <= 0, f"{name} at {width}px is {overflow}px wider than the screen"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_public_pages_and_the_admin(person, demo_week, writer, viewport):
    release = Release.objects.get(slug="nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau")
    release.contacts.set(Contact.objects.filter(name="NATO Press Office"))
    advisory = Advisory.objects.get(slug="nato-secretary-general-meets-with-the-president-of-hungary")
    draft = release.start_new_draft(writer)

    page = person(viewport=viewport)
    page.goto("/")
    expect(page.locator(".upcoming")).to_contain_text(advisory.title)
    shoot(page, "home")
    page.goto(release.get_absolute_url())
    expect(page.locator(".contacts")).to_contain_text("NATO Press Office")
    shoot(page, "release")
    page.goto(advisory.get_absolute_url())
    expect(page.locator(".programme")).to_be_visible()
    shoot(page, "advisory")
    page.goto(release.source.get_absolute_url())
    shoot(page, "source")
    page.goto("/contacts/")
    expect(page.locator(".contacts--source").first).to_contain_text("NATO Press Office")
    shoot(page, "contacts")

    editor = person(writer, viewport=viewport)
    editor.goto(f"/admin/releases/release/{draft.pk}/change/")
    expect(editor.get_by_role("button", name="Submit for review")).to_be_visible()
    shoot(editor, "admin-change-form")
