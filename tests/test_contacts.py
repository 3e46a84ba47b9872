"""Press contacts in public: the contacts page, the vCards, the source pages, the social links."""
import re

import pytest
from django.urls import reverse

from releases.models import Contact, Source

from .factories import make_contact, make_release, make_source, publish


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def nato(db):
    return make_source("NATO", slug="nato", social_handles="@NATO @NATOPress")


def test_contacts_page_groups_public_contacts_by_source_with_links(client, nato):
    europol = make_source("Europol", slug="europol")
    make_contact(nato, "Press Office", kind="office", email="press@hq.nato.int", phone="+32 2 707 50 41")
    make_contact(europol, "Jan Novák", role="Spokesperson", email="press@europol.europa.eu")
    make_contact(nato, "Internal Desk", is_public=False, email="desk@internal.example", phone="+32 1 111 11 11")
    html = page(client, reverse("releases:contacts"))
    # Grouped: Europol's heading, its contact, then NATO's heading and its contact.
    assert html.index(">Europol</a></h2>") < html.index("Jan Novák") < html.index(">NATO</a></h2>") < html.index("Press Office")
    assert 'href="mailto:press@hq.nato.int"' in html
    assert 'href="tel:+3227075041"' in html
    office = Contact.objects.get(name="Press Office")
    assert f'href="{office.get_absolute_url()}"' in html
    assert "Internal Desk" not in html and "desk@internal.example" not in html and "+3211111111" not in html


def test_contacts_page_links_the_sources_profiles_with_rel_me(client, nato):
    make_contact(nato, "Press Office")
    html = page(client, reverse("releases:contacts"))
    assert '<a class="handle" href="https://x.com/NATOPress" rel="me noopener">@NATOPress</a>' in html


def test_source_page_shows_its_public_contacts_only(client, nato):
    make_contact(nato, "Press Office", email="press@hq.nato.int")
    make_contact(nato, "Internal Desk", is_public=False, email="desk@internal.example")
    make_contact(make_source("Europol", slug="europol"), "Europol Press")
    html = page(client, nato.get_absolute_url())
    assert "Press contacts" in html and 'href="mailto:press@hq.nato.int"' in html
    assert "Internal Desk" not in html and "desk@internal.example" not in html
    assert "Europol Press" not in html
    assert '<a class="handle" href="https://x.com/NATO" rel="me noopener">@NATO</a>' in html


def test_item_page_keeps_for_more_information_with_vcard(client, nato, writer, reviewer):
    contact = make_contact(nato, "Press Office", email="press@hq.nato.int")
    hidden = make_contact(nato, "Internal Desk", is_public=False)
    release = make_release(source=nato, author=writer)
    release.contacts.set([contact, hidden])
    publish(release, reviewer)
    html = page(client, release.get_absolute_url())
    assert "For more information" in html and f'href="{contact.get_absolute_url()}"' in html
    assert "Internal Desk" not in html and hidden.get_absolute_url() not in html


@pytest.mark.parametrize("stored", [
    '<script>alert(1)</script>', 'javascript:alert(1)', '@x"><img src=x onerror=alert(1)>', "@" + "a" * 40,
])
def test_a_hostile_handle_is_never_a_link(client, nato, stored):
    # Stored behind the form's validator (a raw UPDATE, an old row): only HANDLE_RE's characters get through.
    Source.objects.filter(pk=nato.pk).update(social_handles=stored)
    nato.refresh_from_db()
    html = page(client, nato.get_absolute_url())
    hrefs = re.findall(r'<a class="handle" href="([^"]*)"', html)
    assert all(re.fullmatch(r"https://x\.com/[A-Za-z0-9_]{1,30}", href) for href in hrefs)
    assert "javascript:" not in html and "<script>alert" not in html and "onerror=alert" not in html


# --- vCards ------------------------------------------------------------------------------------

def vcard(client, contact):
    response = client.get(contact.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    return response.content


def unfold(content):
    return content.decode().replace("\r\n ", "").split("\r\n")


def test_vcard_is_rfc_6350_with_crlf_and_unicode(client, nato):
    contact = make_contact(nato, "Jan Novák", role="Spokesperson, Chișinău office", email="jan@example.org",
                           phone="+373 (22) 12-34-56")
    content = vcard(client, contact)
    assert client.get(contact.get_absolute_url())["Content-Disposition"] == 'attachment; filename="jan-novak.vcf"'
    assert content.endswith(b"\r\n") and b"\n" not in content.replace(b"\r\n", b"")
    lines = unfold(content)
    assert lines[:2] == ["BEGIN:VCARD", "VERSION:4.0"] and lines[-2:] == ["END:VCARD", ""]
    assert "FN:Jan Novák" in lines
    assert "TITLE:Spokesperson\\, Chișinău office" in lines
    assert "ORG:NATO" in lines
    assert "EMAIL;TYPE=work:jan@example.org" in lines
    assert 'TEL;VALUE=uri;TYPE="work,voice":tel:+37322123456' in lines
    assert "KIND:individual" in lines


def test_vcard_escapes_comma_semicolon_backslash_and_newlines(client, nato):
    contact = make_contact(nato, "Office; Press, Media \\ Relations", kind="office", role="Line one\nLine two")
    lines = unfold(vcard(client, contact))
    assert "FN:Office\\; Press\\, Media \\\\ Relations" in lines
    assert "TITLE:Line one\\nLine two" in lines
    assert "KIND:org" in lines


def test_vcard_lines_are_folded_at_75_octets_without_splitting_a_character(client, nato):
    contact = make_contact(nato, "Novák " * 30)
    content = vcard(client, contact)
    for line in content.split(b"\r\n"):
        assert len(line) <= 75
        line.decode()  # each physical line is whole UTF-8
    assert "FN:" + ("Novák " * 30) in unfold(content)


def test_vcard_of_an_internal_or_unknown_contact_is_404(client, nato):
    internal = make_contact(nato, "Internal Desk", is_public=False)
    assert client.get(internal.get_absolute_url()).status_code == 404
    assert client.get(reverse("releases:contact-vcard", args=[999999])).status_code == 404


# --- caching and the sitemap ------------------------------------------------------------------

def test_a_contact_or_source_edit_refreshes_the_cached_pages(client, nato):
    contact = make_contact(nato, "Press Office", email="press@hq.nato.int")
    pages = [reverse("releases:contacts"), nato.get_absolute_url()]
    for url in pages:
        assert "press@hq.nato.int" in page(client, url)
        assert "press@hq.nato.int" in page(client, url)  # now from the page cache
    contact.email = "media@hq.nato.int"
    contact.save()
    for url in pages:
        assert "media@hq.nato.int" in page(client, url)
    nato.name = "NATO HQ"
    nato.save()
    for url in pages:
        assert "NATO HQ" in page(client, url)
    contact.is_public = False
    contact.save()
    for url in pages:
        assert "media@hq.nato.int" not in page(client, url)


def test_contacts_page_is_served_from_the_page_cache(client, nato, django_assert_num_queries):
    make_contact(nato, "Press Office")
    first = client.get(reverse("releases:contacts"))
    with django_assert_num_queries(0):
        again = client.get(reverse("releases:contacts"))
    assert again.content == first.content


def test_contacts_page_is_in_the_sitemap_once_a_contact_is_public(client, nato):
    assert "/contacts/" not in page(client, reverse("releases:sitemap"))
    make_contact(nato, "Press Office")
    assert "http://testserver/contacts/" in page(client, reverse("releases:sitemap"))


def test_admin_view_on_site_is_the_vcard_of_a_public_contact_only(client, nato, admin_user):
    public = make_contact(nato, "Press Office")
    internal = make_contact(nato, "Internal Desk", is_public=False)
    client.force_login(admin_user)
    assert "View on site" in page(client, reverse("admin:releases_contact_change", args=[public.pk]))
    assert "View on site" not in page(client, reverse("admin:releases_contact_change", args=[internal.pk]))
