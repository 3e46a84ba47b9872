"""
A reader's journey between languages (issue 15): an English release, the language switch in its
header, its French translation at /fr/…, and back; at a desktop and a phone width, with screenshots
of both pages (test-artifacts/screenshots/release-en-*.png, release-fr-*.png) and axe on the switch.
"""
import pytest
from playwright.sync_api import expect

from releases.models import Release
from releases.translations import translate

from ..factories import make_user, publish
from .conftest import DESKTOP, PHONE, assert_visible_in_viewport, describe, run_axe
from .test_screenshots import shoot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_reader_switches_from_a_release_to_its_french_translation_and_back(person, demo_week, viewport, settings):
    settings.NEWSROOM_LANGUAGES = [("en", "English"), ("fr", "Français")]
    english = Release.objects.get(slug="nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau")
    writer, reviewer = make_user(group="Writers"), make_user(group="Reviewers")
    french = translate(english, "fr", writer)
    french.title = "L’OTAN encourage la coopération scientifique avec la Moldova lors de la Journée de l’OTAN à Chișinău"
    french.summary = "Le 3 novembre, l’OTAN a célébré sa journée à Chișinău."
    french.save_edit(writer, french.revision, ["title", "summary"])
    french = publish(Release.objects.get(pk=french.pk), reviewer)

    page = person(viewport=viewport)
    page.goto(english.get_absolute_url())
    switch = page.get_by_role("navigation", name="Language")
    assert_visible_in_viewport(switch)
    current = switch.get_by_role("link", name="English")
    expect(current).to_have_attribute("aria-current", "page")
    box = switch.get_by_role("link", name="Français").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box
    assert run_axe(page, include=[".language-switch"]) == [], describe(run_axe(page, include=[".language-switch"]))
    shoot(page, "release-en")

    switch.get_by_role("link", name="Français").click()
    expect(page).to_have_url(f"{page.url.split('/fr/')[0].split('/releases/')[0]}{french.get_absolute_url()}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("L’OTAN encourage la coopération scientifique")
    assert_visible_in_viewport(page.get_by_role("navigation", name="Language"))
    expect(page.get_by_role("navigation", name="Language").get_by_role("link", name="Français")).to_have_attribute(
        "aria-current", "page",
    )
    shoot(page, "release-fr")

    page.get_by_role("navigation", name="Language").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text(english.title)
