"""Sharing and printing an item, and the press contacts page, in the real Chromium."""
import re

import pytest
from playwright.sync_api import expect

from releases.models import Contact, Release

from .conftest import DESKTOP, PHONE, assert_visible_in_viewport

pytestmark = pytest.mark.browser

SLUG = "nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau"


@pytest.fixture
def release(demo_week):
    release = Release.objects.get(slug=SLUG)
    release.contacts.set(Contact.objects.filter(name="NATO Press Office"))
    return release


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_copy_link_button_copies_the_address(person, live_server, release, viewport):
    page = person(viewport=viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(release.get_absolute_url())
    button = page.get_by_role("button", name="Copy link")
    assert_visible_in_viewport(button)
    assert_visible_in_viewport(page.get_by_role("link", name="Share by e-mail"))
    assert_visible_in_viewport(page.get_by_role("link", name="Share on X"))
    for target in (button, page.get_by_label("Link to this page"), page.get_by_role("link", name="Share by e-mail")):
        assert target.bounding_box()["height"] >= 44  # a touch target
    button.click()
    expect(page.locator(".share-copy-status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == live_server.url + release.get_absolute_url()


def test_copy_link_without_clipboard_access_selects_the_address(person, release):
    page = person()  # no clipboard permission granted: writeText is refused
    page.goto(release.get_absolute_url())
    page.evaluate("() => { navigator.clipboard.writeText = () => Promise.reject(new Error('denied')); }")
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator(".share-copy-status")).to_contain_text("to copy the selected link")
    selected = page.evaluate(
        "(() => { const f = document.getElementById('share-address'); return f.value.slice(f.selectionStart, f.selectionEnd); })()"
    )
    assert selected.endswith(release.get_absolute_url())


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


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_print_hides_navigation_and_keeps_the_contacts(person, live_server, release, viewport):
    page = person(viewport=viewport)
    page.goto(release.get_absolute_url())
    assert_visible_in_viewport(page.locator(".site-header nav"))
    expect(page.locator(".print-address")).to_be_hidden()
    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-footer", ".share", ".related", ".vcard-link"):
        expect(page.locator(hidden).first).to_be_hidden()
    assert_visible_in_viewport(page.locator("h1"))
    contacts = page.locator(".contacts")
    assert_visible_in_viewport(contacts)
    expect(contacts).to_contain_text("NATO Press Office")
    expect(contacts).to_contain_text("press@hq.nato.int")
    # The page's own address on paper, and external links written out after their text.
    address = page.locator(".print-address")
    assert_visible_in_viewport(address)
    expect(address).to_have_text(f"Online at {live_server.url}{release.get_absolute_url()}")
    after = page.evaluate("getComputedStyle(document.querySelector('.handles a'), '::after').content")
    assert "https://x.com/" in after, after
    page.emulate_media(media="screen")
    assert_visible_in_viewport(page.locator(".site-header nav"))


def test_contacts_page_is_visible_on_desktop_and_phone(person, release):
    for viewport in (DESKTOP, PHONE):
        page = person(viewport=viewport)
        page.goto("/")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Press contacts").click()
        expect(page).to_have_url(re.compile(r"/contacts/$"))
        card = page.locator(".contact", has_text="NATO Press Office")
        assert_visible_in_viewport(card)
        assert_visible_in_viewport(card.get_by_role("link", name="Add NATO Press Office to your contacts (vCard)"))
        assert_visible_in_viewport(card.get_by_role("link", name="press@hq.nato.int"))
        assert_visible_in_viewport(card.get_by_role("link", name="+32 2 707 50 41"))
        profile = page.locator(".contacts--source", has_text="NATO").get_by_role("link", name="@NATOPress")
        assert_visible_in_viewport(profile)
        expect(profile).to_have_attribute("rel", "me noopener")
