"""
Search on a phone and on a desktop, in Chromium: the results header, the filters folded behind
"Filter" on a narrow screen (a <details>, no script), the news on the first screen, touch targets.
"""
import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, assert_visible_in_viewport

pytestmark = pytest.mark.browser

#: The smallest touch target we allow, in CSS pixels (WCAG 2.5.5's 44 by 44).
TOUCH = 44


def top_inside_first_screen(locator):
    """The element starts on the first screen, as loaded: no scrolling."""
    box = locator.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, box
    assert 0 <= box["y"] < locator.page.viewport_size["height"], (box, locator.page.viewport_size)


def assert_touch_target(locator):
    for index in range(locator.count()):
        box = locator.nth(index).bounding_box()
        assert box and box["height"] >= TOUCH and box["width"] >= TOUCH, (locator.nth(index).inner_text(), box)


def test_on_a_phone_the_filters_fold_and_the_news_comes_first(person, demo_week):
    page = person(viewport=PHONE)
    page.goto("/")
    panel = page.locator("details.filter-panel")
    assert panel.evaluate("details => details.open") is False
    expect(page.get_by_label("Source")).to_be_hidden()  # folded: out of the way of the news
    assert_visible_in_viewport(page.get_by_role("searchbox", name="Search"))
    top_inside_first_screen(page.locator(".entry").first)
    assert_touch_target(page.locator(".filters summary, .filters button:visible, .filters input:visible"))

    # "Filter" opens them, without a script of ours (the page loads none).
    page.locator(".filter-panel > summary").click()
    expect(page.get_by_label("Source")).to_be_visible()
    page.get_by_label("Source").select_option(label="NATO")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".chip").first).to_contain_text("Source: NATO")
    # The new page's text can be there before its stylesheet is applied (a loaded machine): sizes
    # are measured once it has loaded.
    page.wait_for_load_state("load")
    assert_touch_target(page.locator(".chip"))
    top_inside_first_screen(page.locator(".entry").first)


def test_a_search_on_a_phone_says_what_it_found_and_shows_it_first(person, demo_week):
    page = person(viewport=PHONE)
    page.goto("/")
    page.get_by_role("searchbox", name="Search").fill("chisinau")
    page.get_by_role("button", name="Search").click()
    heading = page.locator(".results-heading")
    expect(heading).to_have_text("1 result for chisinau")
    page.wait_for_load_state("load")
    assert_visible_in_viewport(heading)
    expect(page.get_by_role("heading", name="Latest from the press offices")).to_have_count(0)
    first = page.locator(".entry").first
    top_inside_first_screen(first)
    expect(first.locator("mark").first).to_have_text("Chișinău")
    assert_visible_in_viewport(first.locator("mark").first)
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("chisinau")
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex"
    assert_touch_target(page.locator(".chip"))

    # Nothing found: another spelling that finds something, one tap away.
    page.get_by_role("searchbox", name="Search").fill("chisinu")
    page.get_by_role("button", name="Search").click()
    expect(heading).to_have_text("No results for chisinu")
    suggestion = page.get_by_role("link", name="Search for Chișinău instead")
    assert_visible_in_viewport(suggestion)
    assert_touch_target(suggestion)
    suggestion.click()
    expect(heading).to_have_text("1 result for Chișinău")


def test_on_a_wide_screen_the_filters_stand_open(person, demo_week):
    page = person(viewport=DESKTOP)
    page.goto("/?q=NATO")
    assert page.locator("details.filter-panel").evaluate("details => details.open") is False  # no script opened it
    expect(page.locator(".filter-panel > summary")).to_be_hidden()
    for label in ("Source", "Kind", "From", "To"):
        assert_visible_in_viewport(page.get_by_label(label, exact=True))
    top_inside_first_screen(page.locator(".entry").first)
    expect(page.locator(".entry mark").first).to_be_visible()
