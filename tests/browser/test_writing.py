"""
Writing a release in the browser: scheduling in the newsroom's time and reading it back,
the title's count and address, duplicates, at desktop and phone widths, with screenshots
(test-artifacts/) and axe on each admin page visited.
"""
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
import time_machine
from playwright.sync_api import expect

from releases.models import Release

from ..factories import make_contact, make_release, make_source
from .conftest import ARTIFACTS, DESKTOP, PHONE, describe, run_axe

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
BLOCKING = {"serious", "critical"}


def assert_visible(page, locator):
    """There, drawn with a size, and inside the viewport's width once scrolled to (not clipped off-screen)."""
    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    viewport = page.viewport_size
    assert box and box["width"] > 0 and box["height"] > 0, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, (box, viewport)
    assert box["y"] >= 0 and box["y"] < viewport["height"], (box, viewport)


def assert_no_blocking_axe(page, where):
    found = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not found, f"{where}:\n{describe(found)}"


@pytest.fixture
def newsroom_week(settings):
    """6 November 2023, 09:00 UTC, the clock running; the newsroom in Brussels, the server in UTC."""
    settings.NEWSROOM_TIME_ZONE = "Europe/Brussels"
    settings.TIME_ZONE = "UTC"
    with time_machine.travel(datetime(2023, 11, 6, 9, 0, tzinfo=dt_timezone.utc), tick=True):
        yield


@pytest.mark.parametrize("width", WIDTHS)
def test_reviewer_schedules_for_brussels_time_and_reads_it_back(person, newsroom_week, writer, reviewer, width):
    """17:30 typed in Brussels is 16:30 UTC, and reads 'Wed 8 Nov 2023 at 17:30 CET' on the form and the changelist."""
    release = make_release(author=writer, title="Press conference with the President of Hungary")
    release.submit(writer)
    page = person(reviewer, viewport=WIDTHS[width])
    page.goto(f"/admin/releases/release/{release.pk}/change/")
    when = page.locator(".nr-publish-time")
    assert_visible(page, when.get_by_label("Date"))
    assert_visible(page, when.get_by_label("Time (24-hour)"))
    assert_visible(page, when.locator(".nr-zone"))
    expect(when.locator(".nr-zone")).to_have_text("Europe/Brussels (CET)")
    assert_no_blocking_axe(page, "change form in review")

    when.get_by_label("Date").fill("2023-11-08")
    when.get_by_label("Time (24-hour)").fill("17:30")
    page.screenshot(path=ARTIFACTS / f"writing-schedule-form-{width}.png", full_page=True)
    page.get_by_role("button", name="Approve and publish", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("goes public on Wed 8 Nov 2023 at 17:30 CET")
    goes_public = page.locator(".nr-goes-public")
    expect(goes_public).to_have_text("Goes public on Wed 8 Nov 2023 at 17:30 CET.")
    assert_visible(page, goes_public)
    expect(page.locator(".field-publication_time .readonly")).to_have_text("Wed 8 Nov 2023 at 17:30 CET")
    page.screenshot(path=ARTIFACTS / f"writing-scheduled-{width}.png", full_page=True)
    release.refresh_from_db()
    assert release.published_at == datetime(2023, 11, 8, 16, 30, tzinfo=dt_timezone.utc)

    page.goto("/admin/releases/release/")
    cell = page.locator("td.field-publication_time", has_text="Wed 8 Nov 2023 at 17:30 CET")
    assert_visible(page, cell)
    page.screenshot(path=ARTIFACTS / f"writing-changelist-{width}.png", full_page=True)
    assert_no_blocking_axe(page, "changelist")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_time_the_clocks_pass_twice_is_chosen_on_the_form(person, newsroom_week, writer, reviewer, width):
    """02:30 on 26 Nov? No: on 27 Oct 2024 it happens twice; the form asks which, and the second is CET."""
    release = make_release(author=writer, title="Night release")
    release.submit(writer)
    page = person(reviewer, viewport=WIDTHS[width])
    page.goto(f"/admin/releases/release/{release.pk}/change/")
    page.get_by_label("Date").fill("2024-10-27")
    page.get_by_label("Time (24-hour)").fill("02:30")
    page.get_by_role("button", name="Approve and publish", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("happens twice in Europe/Brussels")
    second = page.get_by_label("02:30 CET (the second, after the clocks go back)")
    assert_visible(page, second)
    expect(page.get_by_label("Time (24-hour)")).to_have_value("02:30")  # kept as typed
    page.screenshot(path=ARTIFACTS / f"writing-dst-choice-{width}.png", full_page=True)
    assert_no_blocking_axe(page, "change form asking which 02:30")
    second.check()
    page.get_by_role("button", name="Approve and publish", exact=True).click()
    expect(page.locator(".nr-goes-public")).to_have_text("Goes public on Sun 27 Oct 2024 at 02:30 CET.")


@pytest.mark.parametrize("width", WIDTHS)
def test_writer_sees_the_title_count_and_the_address_it_will_have(person, newsroom_week, writer, width):
    """Typing a headline counts its characters and shows the public address filled in from it."""
    source = make_source("NATO", slug="nato")
    make_contact(source=source, name="NATO Duty Officer", is_public=False)
    page = person(writer, viewport=WIDTHS[width])
    page.goto("/admin/releases/release/add/")
    page.get_by_label("Source").select_option(label="NATO")
    title = page.locator("#id_title")
    assert_visible(page, title)
    title_box, form_box = title.bounding_box(), page.locator(".field-title", has=page.locator("#id_title")).bounding_box()
    assert title_box["width"] >= form_box["width"] * 0.6  # the headline box spans the form, not 610 px of it
    title.press_sequentially("Allies meet in Brussels")
    count = page.locator("#nr-title-count")
    expect(count).to_have_text("23 characters")
    assert_visible(page, count)
    preview = page.locator("#nr-slug-preview")
    expect(preview).to_have_text(f"{page.url.split('/admin')[0]}/releases/allies-meet-in-brussels/")
    assert_visible(page, preview)

    # The contact picker's search box has a name, and internal contacts say so.
    page.locator(".field-contacts .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field, .field-contacts .select2-search__field").first
    search.fill("NATO")
    expect(page.locator(".select2-results__option", has_text="NATO Duty Officer (NATO) — internal")).to_be_visible()
    assert search.get_attribute("aria-label") == "Search Contacts"
    page.screenshot(path=ARTIFACTS / f"writing-title-{width}.png", full_page=True)
    assert_no_blocking_axe(page, "add form with the contact picker open")


def test_duplicate_as_new_draft_opens_the_copy(person, newsroom_week, writer):
    """The button makes a new draft at its own address and opens it, saying where it came from."""
    release = make_release(author=writer, title="Weekly figures", slug="weekly-figures")
    page = person(writer)
    page.goto(f"/admin/releases/release/{release.pk}/change/")
    button = page.get_by_role("button", name="Duplicate as new draft")
    assert_visible(page, button)
    button.click()
    expect(page.locator(".messagelist")).to_contain_text("at the address “weekly-figures-copy”")
    expect(page.locator(".nr-conversation")).to_contain_text("Duplicated from “Weekly figures” version 1")
    copy = Release.objects.get(slug="weekly-figures-copy")
    assert page.url.endswith(f"/admin/releases/release/{copy.pk}/change/")
    assert_no_blocking_axe(page, "the duplicate's change form")
