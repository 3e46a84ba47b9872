"""
A reader's journey between languages (issue 15): an English release, the language switch in its
header, its French translation at /fr/…, and back; at a desktop and a phone width, with screenshots
of both pages and of a French search (test-artifacts/screenshots/release-en-*.png, release-fr-*.png,
search-fr-*.png) and axe on the switch. The French page is French throughout: its interface, its
date, and the search that finds it by "coopérations".
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

    base = page.url.split("/releases/")[0]
    switch.get_by_role("link", name="Français").click()
    expect(page).to_have_url(f"{base}{french.get_absolute_url()}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("L’OTAN encourage la coopération scientifique")
    # The interface is French too: the switch is the "Langue" navigation, the date French.
    french_switch = page.get_by_role("navigation", name="Langue")
    assert_visible_in_viewport(french_switch)
    expect(french_switch.get_by_role("link", name="Français")).to_have_attribute("aria-current", "page")
    expect(page.locator("time").first).to_contain_text("novembre 2023")
    shoot(page, "release-fr")

    # A French visitor finds it from the French home page by a French word in another form.
    page.goto(f"{base}/fr/")
    page.locator("input[name=q]").fill("coopérations")
    page.get_by_role("button", name="Rechercher").click()
    found = page.get_by_role("link", name="L’OTAN encourage la coopération scientifique").first
    assert_visible_in_viewport(found)
    shoot(page, "search-fr")
    found.click()
    expect(page).to_have_url(f"{base}{french.get_absolute_url()}")

    page.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text(english.title)
