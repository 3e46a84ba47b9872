"""
Issue 13's "done when", as one journalist on a phone does it, by clicking from the home page: the NATO
press office's phone number, the next NATO event in its local time, the statement's PDF and
pictures in one ZIP, the releases on a topic, and a search that says why each result matched.
"""
import io
import zipfile

import pytest
from playwright.sync_api import expect

from releases.models import Release
from tests.factories import make_picture

from .conftest import DESKTOP, PHONE, assert_visible_in_viewport, with_media_kit

pytestmark = pytest.mark.browser

STATEMENT = "NATO encourages scientific cooperation with Moldova at NATO Day in Chișinău"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_journalist_finds_what_they_came_for(person, demo_week, viewport):
    statement = Release.objects.get(title=STATEMENT)
    with_media_kit(statement)
    make_picture(statement, alt_text="Scientists at NATO Day in Chișinău", name="nato-day.jpg")
    page = person(viewport=viewport)
    page.goto("/")

    # 1. The press office's phone number, a tap away (a tel: link).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Press contacts").click()
    nato = page.locator("section.contacts--source").filter(has=page.get_by_role("heading", name="NATO"))
    phone = nato.get_by_role("link", name="+32 2 707 50 41")
    assert_visible_in_viewport(phone)
    assert phone.get_attribute("href") == "tel:+3227075041"

    # 2. The next NATO event, in its local time and zone (the server's clock is on 6 November 2023).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Media events").click()
    upcoming = page.get_by_role("region", name="Today and upcoming")
    event = upcoming.locator(".event").first
    expect(event.locator(".event-title")).to_have_text("NATO Secretary General meets with the President of Hungary")
    expect(event).to_contain_text("Wednesday 8 November 2023, 17:30 CET")
    assert_visible_in_viewport(event.locator("time"))
    assert_visible_in_viewport(event.get_by_role("link", name="Add to calendar"))

    # 3. The statement's PDF and its pictures, in one ZIP.
    page.goto("/")
    page.get_by_role("link", name=STATEMENT).first.click()
    kit = page.get_by_role("region", name="Media kit")
    assert_visible_in_viewport(kit.get_by_role("link", name="Fact sheet: NATO Day in Chișinău"))
    download_all = kit.get_by_role("link", name="Download all")
    assert_visible_in_viewport(download_all)
    with page.expect_download() as download:
        download_all.click()
    names = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())).namelist()
    assert "documents/Fact sheet – Chișinău.pdf" in names
    assert any(name.startswith("pictures/") and name.endswith(".jpg") for name in names), names

    # 4. The releases on one of its topics.
    topic = page.locator(".topics").get_by_role("link", name="Coopération scientifique")
    assert_visible_in_viewport(topic)
    topic.click()
    assert_visible_in_viewport(page.get_by_role("heading", level=1, name="Coopération scientifique"))
    assert_visible_in_viewport(page.locator(".entry-title", has_text="Moldova"))

    # 5. A search, from the home page, that says how many it found and shows the words that matched.
    page.get_by_role("link", name="Newsroom", exact=True).click()
    page.get_by_role("searchbox", name="Search").fill("Nordic cooperation")
    page.get_by_role("button", name="Search").click()
    heading = page.locator(".results-heading")
    expect(heading).to_contain_text("for Nordic cooperation")
    assert_visible_in_viewport(heading)
    first = page.locator(".entry").first
    assert_visible_in_viewport(first.locator("mark").first)
    expect(first.locator("mark").first).to_have_text("Nordic", ignore_case=True)
