"""
A person who clicks "Follow … in a feed reader": the feeds page, at a desktop and a phone width.

And what Chromium does with a feed opened directly: it shows ``application/rss+xml``
as plain text (no XSLT is applied to it, and Chromium is removing XSLT), which is why
the "Follow" links lead to the feeds page instead (docs/public-surfaces.md).
"""
import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, assert_visible_in_viewport

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_follow_leads_to_the_feeds_page_with_the_address_to_copy(person, demo_week, live_server, viewport):
    page = person(viewport=viewport)
    page.goto("/sources/nato/")
    page.get_by_role("link", name="in a feed reader (RSS, Atom)").click()
    expect(page).to_have_url(f"{live_server.url}/feeds/#source-nato")
    # The browser scrolls to NATO's feeds: the heading is on the screen without scrolling.
    heading = page.get_by_role("heading", name="NATO", level=3)
    expect(heading).to_be_in_viewport()
    assert_visible_in_viewport(heading)
    nato_rss = page.get_by_role("link", name=f"{live_server.url}/sources/nato/feed.rss")
    assert_visible_in_viewport(nato_rss)

    page.goto("/feeds/")
    assert_visible_in_viewport(page.get_by_role("heading", name="Follow the newsroom in a feed reader", level=1))
    assert_visible_in_viewport(page.get_by_text("copy a feed's address below"))
    assert_visible_in_viewport(page.get_by_role("link", name=f"{live_server.url}/feeds/latest.rss"))
    # The seed's Unicode, rendered: a topic with an accent, its address readable.
    assert_visible_in_viewport(page.get_by_role("heading", name="Coopération scientifique", level=3))
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_a_feed_opened_directly_is_plain_text_in_chromium(person, demo_week):
    """
    What a browser does with the feed itself (why the links lead to the feeds page): Chromium
    shows the XML as text, with the seed's Unicode intact, and applies no stylesheet.
    """
    page = person()
    response = page.goto("/feeds/latest.rss")
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    text = page.locator("body").inner_text()
    assert text.lstrip().startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert "Chișinău" in text and "Novák" in text
