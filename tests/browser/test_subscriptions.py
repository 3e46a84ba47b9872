"""The subscribe form in a real browser, at a desktop and a phone width: visible, usable, screenshot kept."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, assert_visible_in_viewport
from tests.factories import make_source

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_subscribe_form_is_visible_and_answers(person, viewport, transactional_db):
    """On the home and a source page the form, its field and button are on screen; the honeypot is not; posting answers."""
    nato = make_source("NATO")
    page = person(viewport=viewport)
    page.goto(nato.get_absolute_url())
    assert_visible_in_viewport(page.get_by_role("heading", name="Get NATO's news by e-mail"))
    page.goto("/")
    form = page.locator(".subscribe")
    for part in (form, form.get_by_label("Your e-mail address"), form.get_by_role("button", name="Subscribe")):
        assert_visible_in_viewport(part)
    expect(page.locator("#subscribe-website")).not_to_be_in_viewport()
    form.scroll_into_view_if_needed()
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    form.screenshot(path=ARTIFACTS / "screenshots" / f"subscribe-form-{viewport['width']}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    form.get_by_label("Your e-mail address").fill("ana@example.org")
    form.get_by_label("Press releases").check()
    form.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
