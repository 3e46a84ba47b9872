"""In a real browser: a press officer builds a list from a CSV; a writer sees the list's size, not its members."""
import pytest
from playwright.sync_api import expect

from journalists.models import Journalist
from tests.browser.conftest import DESKTOP, PHONE, assert_visible_in_viewport
from tests.browser.test_screenshots import shoot
from tests.factories import make_source

from tests.journalists.conftest import languages  # noqa: F401 (the seeded languages, which a flush removes)
from tests.journalists.factories import make_list

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("languages")]

HEADER = "name,outlet,email,languages,sources,kinds,basis,basis_date,notes\n"


def choose_file(page, content):
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "summit.csv", "mimeType": "text/csv", "buffer": content.encode("utf-8")}],
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_press_officer_builds_a_list_from_a_csv(person, press_officer, writer, viewport):
    """The report names the bad line; the fixed file is confirmed onto the list; a writer sees only its size."""
    make_source("NATO")
    make_list(name="Summit press")
    page = person(press_officer, viewport=viewport)
    page.goto("/admin/journalists/journalist/")
    page.get_by_role("link", name="Import CSV").click()

    choose_file(page, HEADER + "Ana Novák,Deník N,ana@denikn,en,NATO,,consent,2023-03-01,\n")
    page.get_by_label("Also add everyone in the file to the list").select_option(label="Summit press")
    page.get_by_role("button", name="Check the file").click()
    problem = page.locator(".nr-problems tbody tr").first
    expect(problem).to_contain_text("“ana@denikn” is not a valid e-mail address")
    expect(problem.locator("td").first).to_have_text("2")
    assert_visible_in_viewport(problem)
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    shoot(page, "journalists-import-report")

    choose_file(page, HEADER + "Ana Novák,Deník N,ana@denikn.cz,en,NATO,,consent,2023-03-01,\n"
                "Ion Popescu,Radio Chișinău,ion@radiochisinau.md,ro,NATO,,professional,2022-11-08,\n")
    page.get_by_label("Also add everyone in the file to the list").select_option(label="Summit press")
    page.get_by_role("button", name="Check the file").click()
    confirm = page.get_by_role("button", name="Confirm import")
    assert_visible_in_viewport(confirm)
    assert Journalist.objects.count() == 0
    confirm.click()
    done = page.locator(".messagelist")
    expect(done).to_contain_text("2 added, 0 updated, 0 unchanged; 2 added to the list.")
    assert_visible_in_viewport(done)
    expect(page.get_by_role("link", name="Ion Popescu")).to_be_visible()

    reading = person(writer, viewport=viewport)
    reading.goto("/admin/journalists/medialist/")
    size = reading.get_by_role("row").filter(has_text="Summit press").get_by_text("2 journalists")
    assert_visible_in_viewport(size)
    reading.get_by_role("link", name="Summit press").click()
    expect(reading.get_by_text("2 journalists")).to_be_visible()
    expect(reading.get_by_text("Ion Popescu")).to_have_count(0)
    shoot(reading, "journalists-list-for-a-writer")
