"""
The public side per language (issue 15, docs/translations.md "Addresses"): the default language's
pages unprefixed, French under /fr/; an item at its own language's address (the other one redirects);
the language switch and the hreflang alternates, which name a translation only once it is published;
each language's lists, feeds, calendar and sitemap; the page cache kept per address; and a
one-language newsroom exactly as before.
"""
import re
from datetime import timedelta

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from releases.models import Release, Topic
from releases.translations import translate

from .factories import make_advisory, make_contact, make_release, make_source, publish

BILINGUAL = [("en", "English"), ("fr", "Français")]
SWITCH = re.compile(r'<nav class="language-switch".*?</nav>', re.S)
HREFLANG = re.compile(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">')
SITEMAP_ALTERNATE = re.compile(r'<xhtml:link rel="alternate" hreflang="([^"]+)" href="([^"]+)"/>')


@pytest.fixture(autouse=True)
def bilingual(settings):
    settings.NEWSROOM_LANGUAGES = BILINGUAL


def edit(edition, user, **fields):
    for name, value in fields.items():
        setattr(edition, name, value)
    edition.save_edit(user, edition.revision, list(fields))
    return edition


def translated(original, writer, reviewer=None, title="Coopération renforcée", at=None):
    """``original``'s French translation, as a draft, or published (``reviewer``) now or at ``at``."""
    french = edit(translate(original, "fr", writer), writer, title=title)
    if reviewer is not None:
        french = publish(Release.objects.get(pk=french.pk) if isinstance(french, Release) else french, reviewer, at=at)
    return french


def switch_of(page):
    found = SWITCH.findall(page)
    assert len(found) == 1, "one language switch per page"
    return found[0]


def links_of(switch):
    """{language: (href, current)} of a language switch."""
    return {
        lang: (href, 'aria-current="page"' in attrs)
        for href, lang, attrs in re.findall(r'<a href="([^"]+)" lang="([^"]+)" hreflang="[^"]+"([^>]*)>', switch)
    }


# --- addresses ----------------------------------------------------------------------------------


def test_the_default_language_stays_unprefixed_and_french_is_under_fr(client, writer, reviewer):
    english = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    french = translated(english, writer, reviewer)
    assert english.get_absolute_url() == f"/releases/{english.slug}/"
    assert french.get_absolute_url() == f"/fr/releases/{french.slug}/"
    page = client.get(french.get_absolute_url())
    assert page.status_code == 200 and '<html lang="fr">' in page.content.decode()
    assert "Vary" not in page or "Accept-Language" not in page["Vary"]  # decided by the address alone
    page = client.get(english.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200 and '<html lang="en">' in page.content.decode()
    assert reverse("releases:home") == "/"  # the request's language is not left active after it


def test_an_item_at_the_other_language_s_address_redirects_to_its_own(client, writer, reviewer):
    """Every old unprefixed address of a French item still answers: a permanent redirect to /fr/…."""
    english = publish(make_advisory(author=writer, title="Press conference"), reviewer)
    french = translated(english, writer, reviewer, title="Conférence de presse")
    old = f"/advisories/{french.slug}/"
    response = client.get(old)
    assert response.status_code == 301 and response["Location"] == f"/fr/advisories/{french.slug}/"
    response = client.get(f"/fr/advisories/{english.slug}/")
    assert response.status_code == 301 and response["Location"] == f"/advisories/{english.slug}/"
    assert client.get(f"/fr/advisories/{english.slug}.ics").status_code == 404  # one address for files
    assert client.get(f"/advisories/{french.slug}.ics").status_code == 200


def test_every_old_public_address_still_answers(client, writer, reviewer):
    source = make_source("NATO – Chișinău", slug="nato")
    topic = Topic.objects.create(name="Coopération", slug="cooperation")
    contact = make_contact(source, "Jan Novák")
    release = publish(make_release(source=source, author=writer, title="Summit declaration"), reviewer)
    release.topics.set([topic])
    advisory = publish(make_advisory(source=source, author=writer), reviewer)
    french = translated(release, writer, reviewer)
    old = [
        "/", "/?q=summit", "/events/", "/contacts/", "/feeds/", "/feeds/latest.rss", "/feeds/latest.atom",
        "/sources/nato/", "/sources/nato/feed.rss", "/sources/nato/feed.atom", "/topics/cooperation/",
        "/topics/cooperation/feed.rss", "/topics/cooperation/feed.atom", "/advisories.ics", "/sitemap.xml",
        "/robots.txt", f"/contacts/{contact.pk}.vcf", f"/releases/{release.slug}/", f"/advisories/{advisory.slug}/",
        f"/advisories/{advisory.slug}.ics",
    ]
    for url in old:
        assert client.get(url).status_code == 200, url
        # Each list page has its French counterpart under /fr/.
        if not url.endswith((".vcf", ".ics", "robots.txt")) or url == "/advisories.ics":
            if "/releases/" not in url and "/advisories/" not in url:
                assert client.get(f"/fr{url}").status_code == 200, url
    assert client.get(f"/releases/{french.slug}/").status_code == 301
    robots = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in robots and "Sitemap: http://testserver/fr/sitemap.xml" in robots


def test_a_one_language_newsroom_is_unchanged(client, settings, writer, reviewer):
    settings.NEWSROOM_LANGUAGES = [("en", "English")]
    release = publish(make_release(author=writer, title="Summit declaration"), reviewer)
    page = client.get(release.get_absolute_url()).content.decode()
    assert '<html lang="en">' in page and "language-switch" not in page and "hreflang" not in page
    assert "language-switch" not in client.get("/").content.decode()
    assert "xhtml:link" not in client.get("/sitemap.xml").content.decode()
    assert client.get("/fr/").status_code == 404
    assert client.get(f"/fr/releases/{release.slug}/").status_code == 404


# --- the language switch and hreflang -------------------------------------------------------------


def test_an_item_with_a_published_translation_links_to_it(client, writer, reviewer):
    english = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    french = translated(english, writer, reviewer)
    page = client.get(english.get_absolute_url()).content.decode()
    assert links_of(switch_of(page)) == {
        "en": (english.get_absolute_url(), True), "fr": (french.get_absolute_url(), False),
    }
    assert 'aria-label="Language"' in switch_of(page)
    expected = [
        ("en", f"http://testserver{english.get_absolute_url()}"), ("fr", f"http://testserver{french.get_absolute_url()}"),
        ("x-default", f"http://testserver{english.get_absolute_url()}"),
    ]
    assert HREFLANG.findall(page) == expected
    page = client.get(french.get_absolute_url()).content.decode()
    assert links_of(switch_of(page)) == {
        "en": (english.get_absolute_url(), False), "fr": (french.get_absolute_url(), True),
    }
    assert HREFLANG.findall(page) == expected  # the same set on both pages, as search engines ask


@pytest.mark.parametrize("state", ["draft", "in_review", "scheduled", "withdrawn"])
def test_a_translation_not_published_is_never_an_alternate(client, writer, reviewer, state):
    """The switch leads to the French home instead; no hreflang; the draft's address appears nowhere."""
    english = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    french = translated(english, writer, title="Brouillon confidentiel")
    if state == "in_review":
        french.submit(writer)
    elif state == "scheduled":
        french = publish(french, reviewer, at=timezone.now() + timedelta(days=1))
    elif state == "withdrawn":
        french = publish(french, reviewer)
        french.withdraw(reviewer, "Erreur.")
    page = client.get(english.get_absolute_url()).content.decode()
    links = links_of(switch_of(page))
    assert links["fr"] == ("/fr/", False)
    assert 'lang="en"> (home page: this page has no translation)' in switch_of(page)
    assert HREFLANG.findall(page) == []
    assert french.slug not in page and "Brouillon" not in page


def test_a_staff_preview_has_no_switch_nor_alternates(client, writer, reviewer):
    english = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    translated(english, writer, reviewer)
    client.force_login(reviewer)
    page = client.get(reverse("releases:preview", args=["release", english.pk])).content.decode()
    assert "Allied cooperation" in page and "language-switch" not in page and "hreflang" not in page


def test_a_french_item_without_an_english_version_switches_to_the_english_home(client, writer, reviewer):
    french = publish(make_release(author=writer, language="fr", title="Communiqué"), reviewer)
    page = client.get(french.get_absolute_url()).content.decode()
    assert links_of(switch_of(page)) == {"en": ("/", False), "fr": (french.get_absolute_url(), True)}
    assert HREFLANG.findall(page) == []


def test_list_pages_switch_to_the_same_list_in_the_other_language(client, writer, reviewer):
    source = make_source("NATO", slug="nato")
    publish(make_release(source=source, author=writer), reviewer)
    page = client.get("/sources/nato/?kind=release&page=2").content.decode()
    assert links_of(switch_of(page))["fr"] == ("/fr/sources/nato/?kind=release", False)  # filters kept, paging not
    page = client.get("/fr/events/").content.decode()
    assert links_of(switch_of(page)) == {"en": ("/events/", False), "fr": ("/fr/events/", True)}
    assert HREFLANG.findall(page) == [
        ("en", "http://testserver/events/"), ("fr", "http://testserver/fr/events/"),
        ("x-default", "http://testserver/events/"),
    ]
    assert HREFLANG.findall(client.get("/fr/?q=cooperation").content.decode()) == []  # a search is noindex


# --- per-language lists, feeds, calendars, sitemaps ----------------------------------------------


def test_each_language_lists_its_own_items(client, writer, reviewer):
    english = publish(make_advisory(author=writer, title="Defence briefing"), reviewer)
    french = translated(english, writer, reviewer, title="Conférence de presse")
    lists = {
        "": ("Defence briefing", "Conférence de presse"),
        "/fr": ("Conférence de presse", "Defence briefing"),
    }
    for prefix, (shown, hidden) in lists.items():
        for path in ("/", "/events/", f"/sources/{english.source.slug}/"):
            page = client.get(f"{prefix}{path}").content.decode()
            assert shown in page and hidden not in page, f"{prefix}{path}"
        for path in ("/feeds/latest.rss", "/feeds/latest.atom"):
            feed = feedparser.parse(client.get(f"{prefix}{path}").content)
            assert [entry.title for entry in feed.entries] == [shown], f"{prefix}{path}"
        assert feedparser.parse(client.get(f"{prefix}/feeds/latest.rss").content).feed.language == (prefix[1:] or "en-gb")
        calendar = client.get(f"{prefix}/advisories.ics").content.decode()
        assert shown in calendar and hidden not in calendar
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"<loc>http://testserver{english.get_absolute_url()}</loc>" in sitemap
    assert f"<loc>http://testserver{french.get_absolute_url()}</loc>" not in sitemap
    sitemap = client.get("/fr/sitemap.xml").content.decode()
    assert f"<loc>http://testserver{french.get_absolute_url()}</loc>" in sitemap
    assert f"<loc>http://testserver{english.get_absolute_url()}</loc>" not in sitemap
    assert "<loc>http://testserver/fr/events/</loc>" in sitemap


def test_the_sitemaps_name_published_translations_as_alternates(client, writer, reviewer):
    english = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    lone = publish(make_release(author=writer, title="Budget"), reviewer)
    draft = translated(lone, writer, title="Budget brouillon")
    french = translated(english, writer, reviewer)
    pair = [
        ("en", f"http://testserver{english.get_absolute_url()}"), ("fr", f"http://testserver{french.get_absolute_url()}"),
        ("x-default", f"http://testserver{english.get_absolute_url()}"),
    ]
    for path in ("/sitemap.xml", "/fr/sitemap.xml"):
        sitemap = client.get(path).content.decode()
        urls = dict(re.findall(r"<loc>([^<]+)</loc>(.*?)</url>", sitemap, re.S))
        own = english if path == "/sitemap.xml" else french
        assert SITEMAP_ALTERNATE.findall(urls[f"http://testserver{own.get_absolute_url()}"]) == pair
        assert draft.slug not in sitemap
        if path == "/sitemap.xml":
            assert SITEMAP_ALTERNATE.findall(urls[f"http://testserver{lone.get_absolute_url()}"]) == []
        assert SITEMAP_ALTERNATE.findall(urls["http://testserver/fr/" if "fr" in path else "http://testserver/"]) == [
            ("en", "http://testserver/"), ("fr", "http://testserver/fr/"), ("x-default", "http://testserver/"),
        ]


# --- caches ---------------------------------------------------------------------------------------


def test_the_page_cache_never_swaps_the_languages(client, writer, reviewer, django_assert_num_queries):
    english = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    french = translated(english, writer, reviewer)
    for _ in range(2):  # the second round from the page cache, with no query
        for url, lang, title in (("/", "en", "Allied cooperation"), ("/fr/", "fr", "Coopération renforcée"),
                                 (english.get_absolute_url(), "en", "Allied cooperation"),
                                 (french.get_absolute_url(), "fr", "Coopération renforcée")):
            page = client.get(url).content.decode()
            assert f'<html lang="{lang}">' in page and title in page, url
    with django_assert_num_queries(0):
        assert '<html lang="fr">' in client.get("/fr/").content.decode()


def test_publishing_a_translation_updates_the_original_s_cached_page(client, writer, reviewer):
    """The English page is cached with the switch to the French home; the translation's publication changes it."""
    english = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    french = translated(english, writer)
    assert links_of(switch_of(client.get(english.get_absolute_url()).content.decode()))["fr"] == ("/fr/", False)
    french = publish(french, reviewer)
    assert links_of(switch_of(client.get(english.get_absolute_url()).content.decode()))["fr"] == (
        french.get_absolute_url(), False,
    )


def test_a_translation_s_moves_purge_its_group_s_pages(settings, writer, reviewer, monkeypatch):
    """Varnish (releases/purge.py): the original's page key is purged when its translation is published or withdrawn."""
    from django.test import TestCase

    from releases import public, purge

    settings.NEWSROOM_PURGE_URLS = ["http://127.0.0.1:9/"]
    purged = []
    monkeypatch.setattr(purge, "send", lambda keys: purged.append(set(keys)) or [])
    english = publish(make_release(author=writer, title="Allied cooperation"), reviewer)
    french = translated(english, writer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        french = publish(french, reviewer)
    assert public.edition_key(english) in purged[-1] and public.edition_key(french) in purged[-1]
    with TestCase.captureOnCommitCallbacks(execute=True):
        french.withdraw(reviewer, "Erreur.")
    assert public.edition_key(english) in purged[-1]


# --- query counts ---------------------------------------------------------------------------------


def count_queries(client, url):
    client.get(url)  # list entries are rendered once per edition and kept (releases/fragments.py): count the rest
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_counts_stay_constant_with_translations(client, settings, writer, reviewer):
    """An item page costs the same with one or two published translations; a list the same for 2 or 6 translated items."""
    settings.NEWSROOM_PAGE_CACHE = False
    settings.NEWSROOM_LANGUAGES = [*BILINGUAL, ("de", "Deutsch")]
    lone = publish(make_release(author=writer), reviewer)
    one = publish(make_release(author=writer), reviewer)
    translated(one, writer, reviewer)
    two = publish(make_release(author=writer), reviewer)
    translated(two, writer, reviewer)
    german = edit(translate(two, "de", writer), writer, title="Zusammenarbeit")
    publish(german, reviewer)
    counts = {item.slug: count_queries(client, item.get_absolute_url()) for item in (lone, one, two)}
    assert counts[one.slug] == counts[two.slug], counts
    assert counts[one.slug] - counts[lone.slug] <= 1, counts  # at most the group's one query more
    before = {url: count_queries(client, url) for url in ("/", "/fr/", "/sitemap.xml", "/fr/sitemap.xml")}
    for _ in range(4):
        translated(publish(make_release(author=writer), reviewer), writer, reviewer)
    after = {url: count_queries(client, url) for url in before}
    assert before == after


def test_a_page_not_found_names_no_alternates_and_switches_to_each_home(client, writer):
    """
    The 404 page (templates/404.html, in the page's language) is no page of the site in any language:
    no hreflang, and its switch leads to each language's home rather than echoing the missing address
    (which, for a draft translation, is the draft's slug).
    """
    draft = translated(make_release(author=writer, title="Allied cooperation"), writer)
    for url in (draft.get_absolute_url(), "/fr/sources/no-such-source/", "/sources/no-such-source/"):
        response = client.get(url)
        assert response.status_code == 404, url
        page = response.content.decode()
        assert HREFLANG.findall(page) == [], url
        assert links_of(switch_of(page)) == {"en": ("/", url.startswith("/sources/")), "fr": ("/fr/", url.startswith("/fr/"))}, url
        assert draft.slug not in page and "no-such-source" not in page, url
