"""What search engines and social networks read: sitemap, robots.txt, canonical links, OpenGraph, JSON-LD."""
import json
import re
import xml.etree.ElementTree as ElementTree
from datetime import date, time, timedelta
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from releases.importers import import_digest
from releases.models import Advisory, Release, Source
from releases.text import normalise_text

from .factories import make_advisory, make_picture, make_release, make_source, publish

SEED = Path(__file__).resolve().parents[1] / "releases" / "demo" / "digest.txt"
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def sitemap(client):
    response = client.get(reverse("releases:sitemap"))
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    return {
        url.find("sm:loc", SITEMAP_NS).text: url.find("sm:lastmod", SITEMAP_NS).text
        for url in root.findall("sm:url", SITEMAP_NS)
    }


def json_ld(page):
    [block] = JSON_LD.findall(page)
    return json.loads(block)


def meta(page, attribute, name):
    found = re.findall(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)
    return found[0] if found else None


# --- sitemap and robots.txt ----------------------------------------------------------------------

def test_sitemap_lists_public_pages_with_lastmod(client, writer, reviewer):
    nato, europol = make_source("NATO", slug="nato"), make_source("Europol", slug="europol")
    make_source("Silent source", slug="silent")
    old = publish(make_release(source=nato, author=writer), reviewer, at=timezone.now() - timedelta(days=3))
    event = publish(make_advisory(source=europol, author=writer), reviewer)
    make_release(source=nato, author=writer, title="Draft")
    publish(make_release(source=nato, author=writer), reviewer, at=timezone.now() + timedelta(days=1))
    gone = publish(make_release(source=europol, author=writer), reviewer)
    gone.withdraw(reviewer, "Issued in error.")

    urls = sitemap(client)
    host = "http://testserver"
    assert set(urls) == {
        f"{host}/", f"{host}/events/", f"{host}{old.get_absolute_url()}", f"{host}{event.get_absolute_url()}",
        f"{host}/sources/nato/", f"{host}/sources/europol/",
    }
    assert urls[f"{host}{old.get_absolute_url()}"] == old.revised_at.date().isoformat()
    assert urls[f"{host}/sources/europol/"] == event.revised_at.date().isoformat()


def test_sitemap_lastmod_follows_an_approved_edit(client, writer, reviewer):
    ten_days_ago = timezone.now() - timedelta(days=10)
    with time_machine.travel(ten_days_ago):
        live = publish(make_release(author=writer), reviewer)
    url = f"http://testserver{live.get_absolute_url()}"
    assert sitemap(client)[url] == ten_days_ago.date().isoformat()
    draft = live.start_new_draft(writer)
    draft.last_edited_by = writer
    draft.save()
    draft.submit(writer)
    draft.approve(reviewer)
    assert sitemap(client)[url] == timezone.now().date().isoformat()


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_the_admin(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Disallow: /preview/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


# --- detail page metadata ------------------------------------------------------------------------

def test_release_page_has_canonical_opengraph_twitter_and_news_article(client, db):
    import_digest(SEED, publish=True)
    release = Release.objects.get(slug__contains="moldova")
    release.source.website = "https://www.nato.int"
    release.source.save()
    page = client.get(release.get_absolute_url()).content.decode()
    canonical = f"http://testserver{release.get_absolute_url()}"
    assert f'<link rel="canonical" href="{canonical}">' in page
    assert meta(page, "property", "og:url") == canonical
    assert meta(page, "property", "og:title") == release.title
    assert meta(page, "property", "og:type") == "article"
    assert meta(page, "property", "og:description").startswith("As part of NATO’s efforts")
    assert meta(page, "name", "twitter:card") == "summary"
    assert meta(page, "name", "twitter:title") == release.title
    assert meta(page, "name", "twitter:site") == "@NATO"

    data = json_ld(page)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "NATO encourages scientific cooperation with Moldova at NATO Day in Chișinău"
    assert data["datePublished"] == release.published_at.isoformat()
    assert data["dateModified"] == release.public_updated_at.isoformat()  # an import: its first publication, not the load
    assert data["publisher"] == {"@type": "Organization", "name": "NATO", "url": "https://www.nato.int"}
    assert data["mainEntityOfPage"] == canonical


def test_news_article_date_modified_is_the_approval_of_the_major_edit(client, writer, reviewer):
    live = publish(make_release(author=writer), reviewer, at=timezone.now() - timedelta(days=2))
    draft = live.start_new_draft(writer)
    draft.last_edited_by = writer
    draft.save()
    draft.submit(writer)
    draft.approve(reviewer, major=True, note="Added the figures.")
    draft.refresh_from_db()
    data = json_ld(client.get(live.get_absolute_url()).content.decode())
    assert data["datePublished"] == live.published_at.isoformat()
    assert data["dateModified"] == draft.revised_at.isoformat()
    assert data["dateModified"] > data["datePublished"]


def test_hungary_advisory_is_an_event_with_local_offset(client, db):
    import_digest(SEED, publish=True)
    advisory = Advisory.objects.get(title__contains="President of Hungary")
    data = json_ld(client.get(advisory.get_absolute_url()).content.decode())
    assert data["@type"] == "Event"
    assert data["name"] == advisory.title
    assert data["startDate"] == "2023-11-08T17:30:00+01:00"
    assert data["location"] == {"@type": "Place", "name": "NATO Headquarters"}
    assert data["organizer"]["@type"] == "Organization" and data["organizer"]["name"] == "NATO"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["url"] == f"http://testserver{advisory.get_absolute_url()}"


def test_event_without_time_has_a_date_and_an_address(client, writer, reviewer):
    advisory = publish(make_advisory(author=writer, event_date=date(2030, 3, 4), event_time=None, venue="",
                                     city="Oslo", country="Norway"), reviewer)
    data = json_ld(client.get(advisory.get_absolute_url()).content.decode())
    assert data["startDate"] == "2030-03-04"
    assert data["location"] == {
        "@type": "Place", "name": "Oslo",
        "address": {"@type": "PostalAddress", "addressLocality": "Oslo", "addressCountry": "Norway"},
    }


@pytest.mark.parametrize("factory", [make_release, make_advisory])
def test_withdrawn_page_keeps_its_text_out_of_metadata(client, writer, reviewer, factory):
    item = publish(factory(author=writer, title="Withdrawn item", summary="Secret summary.", body="Secret body.",
                           **({"venue": "Secret venue"} if factory is make_advisory else {})), reviewer)
    item.withdraw(reviewer, "Issued in error.")
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Secret" not in page
    assert meta(page, "property", "og:description") == "Withdrawn."
    assert f'<link rel="canonical" href="http://testserver{item.get_absolute_url()}">' in page
    if factory is make_advisory:
        data = json_ld(page)
        assert data["eventStatus"] == "https://schema.org/EventCancelled"
        assert "description" not in data and "location" not in data
    else:
        assert not JSON_LD.findall(page)


def test_json_ld_cannot_close_its_script_element(client, writer, reviewer):
    release = publish(make_release(author=writer, title="</script><script>alert(1)</script> & more",
                                   summary="<!-- x -->"), reviewer)
    page = client.get(release.get_absolute_url()).content.decode()
    block = JSON_LD.findall(page)[0]
    assert "<" not in block and ">" not in block
    assert json.loads(block)["headline"] == "</script><script>alert(1)</script> & more"
    assert "<script>alert(1)" not in page


def test_lead_picture_is_the_sharing_image(client, writer, reviewer):
    release = make_release(author=writer)
    picture = make_picture(release, is_lead=True, alt_text="Ministers at the table")
    publish(release, reviewer)
    page = client.get(release.get_absolute_url()).content.decode()
    image = f"http://testserver{picture.largest_url}"
    assert meta(page, "property", "og:image") == image
    assert meta(page, "property", "og:image:alt") == "Ministers at the table"
    assert meta(page, "name", "twitter:card") == "summary_large_image"
    assert json_ld(page)["image"] == [image]


def test_preview_carries_no_public_metadata(client, writer):
    release = make_release(author=writer, title="Embargoed")
    client.force_login(writer)
    page = client.get(reverse("releases:preview", args=["release", release.pk])).content.decode()
    assert 'rel="canonical"' not in page and "og:title" not in page and not JSON_LD.findall(page)


def test_advisory_event_time_in_structured_data_matches_the_page(client, writer, reviewer):
    advisory = publish(make_advisory(author=writer, event_date=date(2030, 7, 1), event_time=time(9, 30),
                                     time_zone="America/New_York"), reviewer)
    page = client.get(advisory.get_absolute_url()).content.decode()
    assert json_ld(page)["startDate"] == "2030-07-01T09:30:00-04:00"
    assert 'datetime="2030-07-01T09:30:00-04:00"' in page


# --- text stored before input was normalised ---------------------------------------------------

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


@pytest.mark.parametrize("text", ["Pasted from Word\x0bsecond line", "Escape \x1b[1m", "Noncharacter \ufffe", "Sep\u2028ar"])
def test_stored_control_characters_stay_out_of_metadata(client, writer, reviewer, text):
    """OpenGraph, Twitter and JSON-LD carry the title and summary on one line, without control characters."""
    source = make_source("Legacy office", slug="legacy")
    release = publish(make_release(source=source, author=writer), reviewer)
    advisory = publish(make_advisory(source=source, author=writer), reviewer)
    Release.objects.filter(pk=release.pk).update(title=f"Release {text}", summary=f"Summary {text}")
    Advisory.objects.filter(pk=advisory.pk).update(title=f"Advisory {text}", summary=f"About {text}", venue=f"Hall {text}")
    Source.objects.filter(pk=source.pk).update(name=f"Office {text}")
    clean = normalise_text(text, multiline=False)
    for item, kind in ((release, "Release"), (advisory, "Advisory")):
        response = client.get(item.get_absolute_url())
        assert response.status_code == 200
        page = response.content.decode()
        assert meta(page, "property", "og:title") == f"{kind} {clean}"
        assert meta(page, "name", "twitter:title") == f"{kind} {clean}"
        assert not CONTROL.search(meta(page, "property", "og:description"))
        [block] = JSON_LD.findall(page)
        assert not CONTROL.search(block)
        data = json.loads(block)
        assert data.get("headline", data.get("name")) == f"{kind} {clean}"
        assert data.get("publisher", data.get("organizer"))["name"] == f"Office {clean}"
        assert "</script" not in block
    assert meta(client.get(advisory.get_absolute_url()).content.decode(), "property", "og:description") == f"About {clean}"
    assert set(sitemap(client)) >= {f"http://testserver{release.get_absolute_url()}",
                                    f"http://testserver{advisory.get_absolute_url()}",
                                    "http://testserver/sources/legacy/"}
