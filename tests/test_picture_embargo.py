"""
Embargo for pictures: a picture of an item that is not public is in no public page, feed,
calendar or sitemap, and its files answer 404 to anyone but staff who may preview it, until the
item is published; withdrawing or replacing the edition takes them down again.
"""
import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from releases.models import Picture

from .factories import image_bytes, make_advisory, make_picture, make_release, make_source, make_user, publish

FACTORIES = {"release": make_release, "advisory": make_advisory}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(params=["release", "advisory"])
def make_item(request):
    return FACTORIES[request.param]


def illustrate(item):
    """A lead picture and a gallery picture, small so the tests stay quick."""
    lead = make_picture(item, is_lead=True, credit="© NATO", content=image_bytes(size=(700, 400)))
    gallery = make_picture(item, alt_text="Delegations arriving", position=1, content=image_bytes(size=(700, 400)))
    return lead, gallery


def file_urls(picture):
    return [picture.url(name) for name in picture.stored_names().values()]


def public_surfaces(item):
    """Everything an anonymous visitor, a feed reader or a crawler can fetch about ``item``."""
    source = item.source
    urls = [
        reverse("releases:home"), reverse("releases:home") + "?kind=" + item.kind, source.get_absolute_url(),
        item.get_absolute_url(),
        reverse("releases:feed-rss"), reverse("releases:feed-atom"),
        reverse("releases:source-feed-rss", args=[source.slug]), reverse("releases:source-feed-atom", args=[source.slug]),
        reverse("releases:sitemap"), reverse("releases:calendar"), reverse("releases:robots"),
    ]
    if item.kind == "advisory":
        urls.append(reverse("releases:advisory-calendar", args=[item.slug]))
    return urls


def public_mentions(client, item, picture):
    """The public addresses whose response mentions the picture's key."""
    return [url for url in public_surfaces(item) if picture.key in client.get(url).content.decode()]


def statuses(client, picture):
    return {client.get(url).status_code for url in file_urls(picture)}


def test_a_drafts_pictures_are_nowhere_public_until_it_is_published(client, make_item, writer, reviewer):
    item = make_item(author=writer, title="Embargoed item", source=make_source("NATO", slug="nato"))
    lead, gallery = illustrate(item)
    for picture in (lead, gallery):
        assert public_mentions(client, item, picture) == []
        assert statuses(client, picture) == {404}
    item.submit(writer)
    assert public_mentions(client, item, lead) == [] and statuses(client, lead) == {404}

    item.approve(reviewer)
    detail = item.get_absolute_url()
    assert {reverse("releases:home"), detail, reverse("releases:feed-rss")} <= set(public_mentions(client, item, lead))
    assert detail in public_mentions(client, item, gallery)
    for picture in (lead, gallery):
        assert statuses(client, picture) == {200}
    response = client.get(lead.largest_url)
    assert response["Cache-Control"].startswith("public")
    assert response["Content-Type"] == "image/jpeg"


def test_a_scheduled_items_pictures_wait_for_its_publication_time(client, writer, reviewer):
    moment = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    release = make_release(author=writer)
    lead, _ = illustrate(release)
    publish(release, reviewer, at=moment)
    with time_machine.travel(moment - timedelta(seconds=1), tick=False):
        assert statuses(client, lead) == {404}
        assert public_mentions(client, release, lead) == []
    with time_machine.travel(moment + timedelta(seconds=1), tick=False):
        assert statuses(client, lead) == {200}


def test_withdrawing_an_item_takes_its_pictures_down(client, make_item, writer, reviewer):
    item = publish(make_item(author=writer), reviewer)
    lead, gallery = illustrate(item)
    assert statuses(client, lead) == {200}
    item.withdraw(reviewer, "Issued in error.")
    for picture in (lead, gallery):
        assert statuses(client, picture) == {404}
        assert public_mentions(client, item, picture) == []


def test_staff_preview_shows_a_drafts_pictures_to_staff_only(client, writer):
    release = make_release(author=writer)
    lead, gallery = illustrate(release)
    preview = reverse("releases:preview", args=["release", release.pk])

    client.force_login(writer)
    page = client.get(preview).content.decode()
    assert lead.srcset_webp in page and gallery.srcset_jpeg in page and "© NATO" in page
    response = client.get(lead.largest_url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"

    for visitor in (None, make_user(is_staff=False), make_user(is_staff=True)):  # anonymous, member, staff without role
        client.logout()
        if visitor is not None:
            client.force_login(visitor)
        assert statuses(client, lead) == {404}, visitor


def test_a_new_editions_pictures_stay_private_until_it_is_approved(client, writer, reviewer, reviewer2):
    release = publish(make_release(author=writer), reviewer)
    kept, dropped = illustrate(release)
    draft = release.start_new_draft(writer)
    draft.pictures.get(key=dropped.key).delete()
    added = make_picture(draft, alt_text="A new photograph", content=image_bytes(size=(700, 400)))
    draft.last_edited_by = writer
    draft.save()

    assert (statuses(client, kept), statuses(client, dropped), statuses(client, added)) == ({200}, {200}, {404})
    assert public_mentions(client, release, added) == []

    draft.submit(writer)
    draft.approve(reviewer2)
    assert (statuses(client, kept), statuses(client, dropped), statuses(client, added)) == ({200}, {404}, {200})
    assert dropped.key not in client.get(draft.get_absolute_url()).content.decode()


def test_stored_names_are_random_and_reveal_nothing_of_the_upload(writer):
    release = make_release(author=writer)
    first = make_picture(release, name="secret-summit-plan.jpg")
    second = make_picture(release, name="secret-summit-plan.jpg")
    assert first.key != second.key
    for picture in (first, second):
        assert re.fullmatch(r"[0-9a-f]{32}", picture.key)
        assert all("secret" not in name for name in picture.stored_names().values())


def test_unknown_keys_and_names_are_not_found(client, writer, reviewer):
    release = publish(make_release(author=writer), reviewer)
    picture = make_picture(release)
    assert client.get(picture.largest_url).status_code == 200
    for key, name in [
        ("0" * 32, "1280.jpg"),
        (picture.key, "original.png"),
        (picture.key, "2560.jpg"),
        (picture.key, "..%2F..%2Fsettings.py"),
    ]:
        assert client.get(f"/pictures/{key}/{name}").status_code == 404, name
    # The storage's own URL is not served: there is no static route to the media folder.
    assert client.get("/media/" + picture.image.name).status_code == 404
    assert Picture.objects.count() == 1
