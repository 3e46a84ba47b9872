"""
Embargo for documents, exactly like pictures (tests/test_picture_embargo.py): a document of an
item that is not public, and the item's "Download all" ZIP, answer 404 to anyone but staff who
may preview it, until the item is published; withdrawing the item takes both down again. The
pre-brief's personal link reaches the documents, and only while it is valid.
"""
import re
from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from distribution import services
from distribution.models import Delivery
from releases.models import Document

from .factories import make_document, make_release, make_source, make_user, publish
from .journalists.factories import make_journalist, make_list
from .test_picture_embargo import make_item, media, public_surfaces  # noqa: F401  (fixtures)


def statuses(client, item, document):
    """The document's and the ZIP's status codes."""
    return client.get(document.get_absolute_url()).status_code, client.get(item.media_kit_url).status_code


def public_mentions(client, item, document):
    return [url for url in public_surfaces(item) if document.key in client.get(url).content.decode()]


def test_a_drafts_documents_are_nowhere_public_until_it_is_published(client, make_item, writer, reviewer):
    item = make_item(author=writer, title="Embargoed item", source=make_source("NATO", slug="nato"))
    document = make_document(item)
    assert statuses(client, item, document) == (404, 404)
    assert public_mentions(client, item, document) == []
    item.submit(writer)
    assert statuses(client, item, document) == (404, 404)

    item.approve(reviewer)
    assert statuses(client, item, document) == (200, 200)
    assert public_mentions(client, item, document) == [item.get_absolute_url()]
    assert client.get(document.get_absolute_url())["Cache-Control"].startswith("public")


def test_a_scheduled_items_documents_wait_for_its_publication_time(client, writer, reviewer):
    moment = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    release = make_release(author=writer)
    document = make_document(release)
    publish(release, reviewer, at=moment)
    with time_machine.travel(moment - timedelta(seconds=1), tick=False):
        assert statuses(client, release, document) == (404, 404)
        assert public_mentions(client, release, document) == []
    with time_machine.travel(moment + timedelta(seconds=1), tick=False):
        assert statuses(client, release, document) == (200, 200)


def test_withdrawing_an_item_takes_its_documents_and_zip_down(client, make_item, writer, reviewer):
    item = publish(make_item(author=writer), reviewer)
    document = make_document(item)
    assert statuses(client, item, document) == (200, 200)
    item.withdraw(reviewer, "Issued in error.")
    assert statuses(client, item, document) == (404, 404)
    assert public_mentions(client, item, document) == []


def test_staff_preview_shows_a_drafts_documents_to_staff_with_the_permission_only(client, writer):
    release = make_release(author=writer)
    document = make_document(release, title="Draft fact sheet")
    preview = reverse("releases:preview", args=["release", release.pk])

    client.force_login(writer)
    page = client.get(preview).content.decode()
    assert "Draft fact sheet" in page and document.get_absolute_url() in page
    assert release.media_kit_url not in page  # the ZIP is the public page's
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert client.get(release.media_kit_url).status_code == 404

    for visitor in (None, make_user(is_staff=False), make_user(is_staff=True)):  # anonymous, member, staff without role
        client.logout()
        if visitor is not None:
            client.force_login(visitor)
        assert statuses(client, release, document) == (404, 404), visitor


def test_a_new_editions_documents_stay_private_until_it_is_approved(client, writer, reviewer, reviewer2):
    release = publish(make_release(author=writer), reviewer)
    kept = make_document(release, title="Kept")
    dropped = make_document(release, title="Dropped", name="dropped.txt", content=b"old figures")
    draft = release.start_new_draft(writer)
    draft.documents.get(key=dropped.key).delete()
    added = make_document(draft, title="Added", name="added.txt", content=b"new figures")

    def status(document):
        return client.get(reverse("releases:document-file", args=[document.key])).status_code

    assert (status(kept), status(dropped), status(added)) == (200, 200, 404)
    draft.submit(writer)
    draft.approve(reviewer2)
    assert (status(kept), status(dropped), status(added)) == (200, 404, 200)
    assert Document.objects.filter(key=kept.key).count() == 2  # both editions' rows share the file


def test_unknown_keys_are_not_found(client, writer, reviewer):
    release = publish(make_release(author=writer), reviewer)
    document = make_document(release)
    for path in ("/documents/" + "0" * 32 + "/", "/documents/..%2F..%2Fsettings.py/"):
        assert client.get(path).status_code == 404, path
    assert client.get("/media/" + document.file.name).status_code == 404


def test_the_prebrief_link_reaches_the_documents_only_while_it_is_valid(client, writer, reviewer, reviewer2):
    moment = timezone.now().replace(microsecond=0) + timedelta(days=1)
    release = make_release(author=writer, title="Ministers meet in Chișinău")
    document = make_document(release, title="Embargoed fact sheet")
    release.submit(writer)
    release.approve(reviewer, publish_at=moment)
    publication = services.send_prebrief(release, reviewer2, [make_list(journalists=[make_journalist()])])
    personal = services.embargo_path(publication.deliveries.get())

    page = client.get(personal).content.decode()
    assert "Embargoed fact sheet" in page and release.media_kit_url not in page
    href = re.search(r'<a href="([^"]+)"[^>]*>Embargoed fact sheet', page).group(1)
    assert href.startswith(personal)
    response = client.get(href)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert statuses(client, release, document) == (404, 404)  # not at the public addresses

    forged = href.replace(personal, personal[:-4] + ("A" if personal[-4] != "A" else "B") + personal[-3:])
    assert client.get(forged).status_code == 404
    with time_machine.travel(moment + timedelta(seconds=1), tick=False):
        assert client.get(href).status_code == 404  # the link redirects to the public page now
        assert statuses(client, release, document) == (200, 200)
    services.revoke(Delivery.objects.all())
    assert client.get(href).status_code == 404


def test_without_documents_the_preview_shows_no_empty_media_kit(client, writer):
    """Pictures alone make a kit on the public page (the ZIP), not in the preview, which has no ZIP."""
    from .factories import make_picture

    release = make_release(author=writer)
    make_picture(release)
    client.force_login(writer)
    assert "Media kit" not in client.get(reverse("releases:preview", args=["release", release.pk])).content.decode()
