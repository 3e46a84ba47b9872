"""
The admin in its user's language (issue 15): in a newsroom of two languages the admin's header has a
language menu; it is visible, accessible on the header's dark ground, and turns the admin French.
In a one-language newsroom there is no menu (tests/browser/test_writing.py runs axe there).
"""
import pytest
from playwright.sync_api import expect

from ..factories import make_user
from .conftest import DESKTOP, PHONE, assert_visible_in_viewport, describe, run_axe

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_editor_chooses_french_for_the_admin(person, viewport, settings):
    settings.NEWSROOM_LANGUAGES = settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    page = person(make_user(group="Writers"), viewport=viewport)
    page.goto("/admin/releases/release/add/")  # the change form's stylesheet colours labels dark
    menu = page.locator("form.nr-language")
    assert_visible_in_viewport(menu)
    violations = run_axe(page, include=["#user-tools"])
    assert violations == [], describe(violations)
    page.locator("#nr-language").select_option(label="Français")
    menu.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Déconnexion")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ajout")
    assert_visible_in_viewport(page.locator("form.nr-language"))
