"""Sharing and printing an item, and the press contacts page, in the real Chromium."""
import pytest
from playwright.sync_api import expect

from releases.models import Contact, Release

from .conftest import PHONE, assert_visible_in_viewport

pytestmark = pytest.mark.browser

SLUG = "nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau"


@pytest.fixture
def release(demo_week):
    release = Release.objects.get(slug=SLUG)
    release.contacts.set(Contact.objects.filter(name="NATO Press Office"))
    return release


def test_copy_link_button_copies_the_address(person, live_server, release):
    page = person()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(release.get_absolute_url())
    button = page.get_by_role("button", name="Copy link")
    assert_visible_in_viewport(button)
    button.click()
    expect(page.locator(".share-copy-status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == live_server.url + release.get_absolute_url()


def test_without_javascript_the_address_is_there_to_copy_and_no_dead_button(browser, live_server, release):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(release.get_absolute_url())
        field = page.get_by_label("Link to this page")
        assert_visible_in_viewport(field)
        expect(field).to_have_value(live_server.url + release.get_absolute_url())
        expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
        assert_visible_in_viewport(page.get_by_role("link", name="Share by e-mail"))
    finally:
        context.close()


def test_share_page_loads_no_third_party_resource(person, live_server, release):
    page = person()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(release.get_absolute_url())
    page.wait_for_load_state("networkidle")
    assert requested and all(url.startswith(live_server.url) for url in requested), requested


def test_print_hides_navigation_and_keeps_the_contacts(person, release):
    page = person()
    page.goto(release.get_absolute_url())
    page.emulate_media(media="print")
    expect(page.locator(".site-header nav")).to_be_hidden()
    expect(page.locator(".share")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    assert_visible_in_viewport(page.locator("h1"))
    contacts = page.locator(".contacts")
    assert_visible_in_viewport(contacts)
    expect(contacts).to_contain_text("NATO Press Office")
    # Links written out: the e-mail address's href follows it on paper.
    after = page.evaluate(
        "getComputedStyle(document.querySelector('.contacts a[href^=\"mailto:\"]'), '::after').content"
    )
    assert "mailto:" in after
    page.emulate_media(media="screen")
    assert_visible_in_viewport(page.locator(".site-header nav"))


def test_contacts_page_is_visible_on_desktop_and_phone(person, release):
    for viewport in (None, PHONE):
        page = person(viewport=viewport) if viewport else person()
        page.goto("/contacts/")
        card = page.locator(".contact", has_text="NATO Press Office")
        assert_visible_in_viewport(card)
        assert_visible_in_viewport(card.get_by_role("link", name="Add NATO Press Office to your contacts (vCard)"))
