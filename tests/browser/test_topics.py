"""Topics and related items as a reader sees them, on a desktop and a phone."""
import pytest
from playwright.sync_api import expect

from releases.models import Release

from .conftest import DESKTOP, PHONE, assert_visible_in_viewport

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_reader_follows_a_topic_from_a_release_and_sees_related_items(person, demo_week, viewport):
    release = Release.objects.get(slug="nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau")
    page = person(viewport=viewport)
    page.goto(release.get_absolute_url())

    related = page.locator(".related")
    assert_visible_in_viewport(related.get_by_role("heading", name="Related"))
    expected = [entry.title for entry in release.related()]
    assert len(expected) >= 3  # the demo files three other items under "Allies and partners"
    items = related.locator(".related-item a")
    expect(items).to_have_text(expected)
    assert release.title not in related.inner_text()
    for n in range(len(expected)):
        assert_visible_in_viewport(items.nth(n))

    topic = page.locator(".topics").get_by_role("link", name="Coopération scientifique")
    assert_visible_in_viewport(topic)
    topic.click()
    expect(page).to_have_url(f"{page.url.split('/topics/')[0]}/topics/cooperation-scientifique/")
    assert_visible_in_viewport(page.get_by_role("heading", level=1, name="Coopération scientifique"))
    assert_visible_in_viewport(page.locator(".entry-title", has_text="Moldova"))
    assert_visible_in_viewport(page.locator(".feed-links").get_by_role("link", name="RSS"))
