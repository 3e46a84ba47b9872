"""What each item is, said once (``kind_label``), and Europol-style teasers pointing to the full text."""
import feedparser
import pytest
from django.urls import reverse

from releases.models import Release

from .factories import make_advisory, make_release, make_source, publish

LABELS = [("press_release", "Press release"), ("news", "News story")]


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def source(db):
    return make_source("Europol", slug="europol")


@pytest.mark.parametrize("category,label", LABELS)
def test_a_release_is_called_by_its_category_everywhere(client, source, writer, reviewer, category, label):
    release = publish(make_release(source=source, author=writer, title="Raid", category=category), reviewer)
    assert f'<span class="badge badge--release">{label}</span>' in page(client, release.get_absolute_url())
    assert f'<span class="badge badge--release">{label}</span>' in page(client, reverse("releases:home"))
    for name in ("releases:feed-rss", "releases:feed-atom"):
        feed = feedparser.parse(page(client, reverse(name)))
        assert [tag.term for tag in feed.entries[0].tags] == [label]
        assert f"Read the full {label.lower()}" in feed.entries[0].summary
    release.withdraw(reviewer, "Issued in error.")
    html = page(client, release.get_absolute_url())
    assert f"This {label.lower()} has been withdrawn" in html
    if category == "news":
        assert "press release" not in html.lower().split("<main")[1].split("</main>")[0]


def test_an_advisory_is_a_media_advisory_everywhere(client, source, writer, reviewer):
    advisory = publish(make_advisory(source=source, author=writer, title="Briefing"), reviewer)
    html = page(client, advisory.get_absolute_url())
    assert '<span class="badge badge--advisory">Media advisory</span>' in html
    assert "<title>Briefing — Media advisory — Europol</title>" in html
    assert '<span class="badge badge--advisory">Media advisory</span>' in page(client, reverse("releases:home"))
    feed = feedparser.parse(page(client, reverse("releases:feed-atom")))
    assert [tag.term for tag in feed.entries[0].tags] == ["Media advisory"]
    assert "Read the full media advisory" in feed.entries[0].summary
    advisory.withdraw(reviewer, "Cancelled.")
    assert "This media advisory has been withdrawn" in page(client, advisory.get_absolute_url())


# --- teasers -------------------------------------------------------------------------------------

TEASER = "Europol supported an operation against a criminal network that…"
FULL_TEXT = "https://www.europol.europa.eu/media-press/newsroom/news/operation"


@pytest.mark.parametrize("factory", [make_release, make_advisory])
def test_a_teaser_with_its_url_says_so_and_links_the_full_text(client, source, writer, reviewer, factory):
    item = publish(factory(source=source, author=writer, summary=TEASER, original_url=FULL_TEXT), reviewer)
    link = f'<a href="{FULL_TEXT}" rel="noopener">Read the full text on Europol’s website</a>'
    for html in (page(client, item.get_absolute_url()), page(client, reverse("releases:home"))):
        assert ">Teaser</span>" in html and link in html
        assert html.count(FULL_TEXT) == 1


def test_a_full_text_is_not_called_a_teaser(client, source, writer, reviewer):
    item = publish(make_release(source=source, author=writer, summary="Complete.", original_url=FULL_TEXT), reviewer)
    html = page(client, item.get_absolute_url())
    assert ">Teaser</span>" not in html
    assert "Read the full text on the Europol website" in html


def test_a_teaser_without_url_warns_the_editor_and_shows_no_link(client, source, writer, reviewer):
    item = make_release(source=source, author=writer, summary=TEASER)
    client.force_login(writer)
    html = page(client, reverse("admin:releases_release_change", args=[item.pk]))
    assert "no original URL says where the full text is" in html
    item.original_url = FULL_TEXT
    item.save()
    assert "no original URL says where the full text is" not in page(
        client, reverse("admin:releases_release_change", args=[item.pk]),
    )
    client.logout()
    item.original_url = ""
    item.save()
    publish(item, reviewer)
    html = page(client, item.get_absolute_url())
    assert ">Teaser</span>" not in html and "Read the full text" not in html


def test_saving_a_teaser_without_url_warns_the_editor(client, source, writer):
    """Told on "Save" (the editor leaves the form), not twice on "Save and continue" (the form says it)."""
    client.force_login(writer)
    form = {
        "source": source.pk, "category": "news", "title": "Operation", "slug": "operation", "summary": TEASER,
        "body": "", "original_url": "", "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "0", "pictures-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:releases_release_add"), form, follow=True)
    assert response.redirect_chain and "no original URL says where the full text is" in response.content.decode()
    item = Release.objects.get(slug="operation")
    response = client.post(
        reverse("admin:releases_release_change", args=[item.pk]),
        {**form, "revision": item.revision, "title": "Operation Trojan", "_continue": "1"}, follow=True,
    )
    assert response.content.decode().count("no original URL says where the full text is") == 1
    response = client.post(
        reverse("admin:releases_release_change", args=[item.pk]),
        {**form, "revision": Release.objects.get(pk=item.pk).revision, "original_url": FULL_TEXT}, follow=True,
    )
    assert response.redirect_chain and "no original URL says where the full text is" not in response.content.decode()
