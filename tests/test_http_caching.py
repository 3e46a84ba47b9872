"""HTTP caching of the public surfaces: ETag/Last-Modified, 304s, and validators that move with publication."""
from datetime import date, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from releases.models import Picture

from .factories import image_bytes, make_advisory, make_contact, make_release, make_source, publish

SURFACES = {
    "home": lambda item, advisory: reverse("releases:home"),
    "search": lambda item, advisory: reverse("releases:home") + "?q=summit",
    "source": lambda item, advisory: item.source.get_absolute_url(),
    "release": lambda item, advisory: item.get_absolute_url(),
    "advisory": lambda item, advisory: advisory.get_absolute_url(),
    "rss": lambda item, advisory: reverse("releases:feed-rss"),
    "atom": lambda item, advisory: reverse("releases:feed-atom"),
    "source-rss": lambda item, advisory: reverse("releases:source-feed-rss", args=[item.source.slug]),
    "source-atom": lambda item, advisory: reverse("releases:source-feed-atom", args=[item.source.slug]),
    "calendar": lambda item, advisory: reverse("releases:calendar"),
    "advisory-ics": lambda item, advisory: reverse("releases:advisory-calendar", args=[advisory.slug]),
    "sitemap": lambda item, advisory: reverse("releases:sitemap"),
}


@pytest.fixture
def newsroom(writer, reviewer):
    """One public release and one public advisory of one source, published an hour ago."""
    with time_machine.travel(timezone.now() - timedelta(hours=1)):
        source = make_source("NATO", slug="nato")
        release = publish(make_release(source=source, author=writer, title="Summit declaration"), reviewer)
        advisory = publish(make_advisory(source=source, author=writer, title="Summit press conference",
                                         event_date=date.today() + timedelta(days=5)), reviewer)
    return release, advisory


@pytest.fixture(params=list(SURFACES))
def url(request, newsroom):
    return SURFACES[request.param](*newsroom)


def test_response_carries_validators_and_answers_304(client, url):
    response = client.get(url)
    assert response.status_code == 200
    etag, last_modified = response["ETag"], response["Last-Modified"]
    assert etag.startswith('"') and etag.endswith('"')
    repeat = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert repeat.status_code == 304
    assert repeat.content == b""
    assert repeat["ETag"] == etag
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304


def test_a_publication_makes_it_200_again(client, url, writer, reviewer, newsroom):
    first = client.get(url)
    publish(make_release(source=newsroom[0].source, author=writer, title="Summit communiqué"), reviewer)
    response = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 200


def conditional_status(client, url, first):
    return client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code


def test_an_approved_edit_changes_the_validators(client, newsroom, writer, reviewer):
    release, _ = newsroom
    url = release.get_absolute_url()
    first = client.get(url)
    draft = release.start_new_draft(writer)
    draft.title, draft.last_edited_by = "Summit declaration (corrected)", writer
    draft.save()
    draft.submit(writer)
    assert conditional_status(client, url, first) == 304  # work in review changes nothing public
    draft.approve(reviewer)
    response = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200 and "(corrected)" in response.content.decode()
    assert response["Last-Modified"] != first["Last-Modified"]


def test_a_withdrawal_changes_the_validators(client, newsroom, reviewer):
    release, _ = newsroom
    feed = reverse("releases:feed-rss")
    first = client.get(feed)
    release.withdraw(reviewer, "Issued in error.")
    response = client.get(feed, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert response.status_code == 200
    assert "Summit declaration" not in response.content.decode()
    assert client.get(feed, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 200


def test_a_scheduled_publication_changes_the_validators_at_its_time(client, newsroom, writer, reviewer):
    moment = timezone.now().replace(microsecond=0) + timedelta(minutes=30)
    scheduled = publish(make_release(source=newsroom[0].source, author=writer, title="Embargoed"), reviewer, at=moment)
    home = reverse("releases:home")
    with time_machine.travel(moment - timedelta(seconds=1), tick=False):
        before = client.get(home)
        assert "Embargoed" not in before.content.decode()
        assert conditional_status(client, home, before) == 304
        assert client.get(scheduled.get_absolute_url()).status_code == 404
    with time_machine.travel(moment + timedelta(seconds=1), tick=False):
        response = client.get(home, HTTP_IF_NONE_MATCH=before["ETag"], HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
        assert response.status_code == 200 and "Embargoed" in response.content.decode()
        assert response["Last-Modified"] == http_date(moment.timestamp())
        assert client.get(home, HTTP_IF_MODIFIED_SINCE=before["Last-Modified"]).status_code == 200


def test_an_event_leaving_the_upcoming_box_changes_the_home_page(client, writer, reviewer):
    advisory = publish(make_advisory(author=writer, title="Morning briefing", event_date=date.today() + timedelta(days=1)),
                       reviewer)
    home = reverse("releases:home")
    while_upcoming = advisory.starts_at + timedelta(hours=5)
    with time_machine.travel(while_upcoming, tick=False):
        first = client.get(home)
        assert 'id="upcoming-heading"' in first.content.decode()
    with time_machine.travel(advisory.starts_at + timedelta(hours=7), tick=False):
        response = client.get(home, HTTP_IF_NONE_MATCH=first["ETag"])
        assert response.status_code == 200
        # The box is gone (the calendar's note below the list still names what the calendar holds).
        assert 'id="upcoming-heading"' not in response.content.decode()


def test_a_draft_does_not_change_the_validators(client, newsroom, writer):
    first = client.get(reverse("releases:home"))
    make_release(source=newsroom[0].source, author=writer, title="Just a draft").submit(writer)
    assert conditional_status(client, reverse("releases:home"), first) == 304


def test_anonymous_responses_are_public_and_revalidated(client, url):
    assert client.get(url)["Cache-Control"] == "public, no-cache"


@override_settings(NEWSROOM_CACHE_MAX_AGE=60)
def test_max_age_is_configurable_and_the_same_before_a_scheduled_publication(client, newsroom, writer, reviewer):
    """The configured max-age, unchanged as a scheduled publication nears (a countdown would give its time away)."""
    home = reverse("releases:home")
    assert client.get(home)["Cache-Control"] == "public, max-age=60"
    moment = timezone.now() + timedelta(seconds=45)
    publish(make_release(source=newsroom[0].source, author=writer), reviewer, at=moment)
    with time_machine.travel(moment - timedelta(seconds=20), tick=False):
        assert client.get(home)["Cache-Control"] == "public, max-age=60"
    with time_machine.travel(moment + timedelta(seconds=1), tick=False):
        assert client.get(home)["Cache-Control"] == "public, max-age=60"


def test_304_carries_the_cache_policy(client, newsroom):
    first = client.get(reverse("releases:home"))
    repeat = client.get(reverse("releases:home"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert repeat.status_code == 304
    assert repeat["Cache-Control"] == "public, no-cache"


def test_logged_in_responses_are_private(client, newsroom, writer):
    anonymous = client.get(reverse("releases:home"))
    client.force_login(writer)
    response = client.get(reverse("releases:home"))
    assert response["Cache-Control"] == "private, no-cache"
    assert response["ETag"] != anonymous["ETag"]
    assert "Cookie" in response["Vary"]


def test_preview_stays_private_and_unstored(client, writer):
    release = make_release(author=writer)
    client.force_login(writer)
    response = client.get(reverse("releases:preview", args=["release", release.pk]))
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response


# --- sources and contacts: every fact a page shows moves its validators ---------------------


@pytest.fixture
def press_desk(press_officer):
    """A second browser: the press office, logged in to the admin, beside the anonymous reader's."""
    desk = Client()
    desk.force_login(press_officer)
    return desk


@pytest.fixture
def contact(newsroom):
    """A public contact, with a phone number, on the public release."""
    release, _ = newsroom
    with time_machine.travel(timezone.now() - timedelta(minutes=30)):
        person = make_contact(source=release.source, name="Ana Novák", role="Spokesperson", phone="+32 2 707 50 41")
    release.contacts.add(person)
    return person


def contact_form(contact, **changes):
    data = {
        "name": contact.name, "kind": contact.kind, "role": contact.role, "source": contact.source_id,
        "email": contact.email, "phone": contact.phone, "is_public": "on" if contact.is_public else "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


def source_form(source, logo=None, **changes):
    data = {
        "name": source.name, "slug": source.slug, "website": source.website, "description": source.description,
        "social_handles": source.social_handles,
        "logo-TOTAL_FORMS": "1", "logo-INITIAL_FORMS": "1" if logo else "0",
        "logo-MIN_NUM_FORMS": "0", "logo-MAX_NUM_FORMS": "1",
    }
    if logo:
        data.update({"logo-0-id": logo.pk, "logo-0-source": source.pk, "logo-0-alt_text": logo.alt_text})
    data.update(changes)
    return data


def test_unticking_a_contact_public_in_the_admin_changes_the_validators(client, newsroom, contact, press_desk):
    """The press office hides a contact: a browser holding the old page is sent the new one, without the phone."""
    url = newsroom[0].get_absolute_url()
    first = client.get(url)
    assert "+32 2 707 50 41" in first.content.decode()
    saved = press_desk.post(reverse("admin:releases_contact_change", args=[contact.pk]), contact_form(contact, is_public=""))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    response = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200
    assert "+32 2 707 50 41" not in response.content.decode() and "Ana Novák" not in response.content.decode()
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 200


def test_deleting_a_contact_in_the_admin_changes_the_validators(client, newsroom, contact, press_desk):
    """A deleted contact leaves no newer row behind, so the deletion itself must retire the validators."""
    url = newsroom[0].get_absolute_url()
    first = client.get(url)
    deleted = press_desk.post(reverse("admin:releases_contact_delete", args=[contact.pk]), {"post": "yes"})
    assert deleted.status_code == 302, deleted.content.decode()[:2000]
    response = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200 and "+32 2 707 50 41" not in response.content.decode()


def test_renaming_a_source_in_the_admin_changes_the_validators(client, newsroom, press_desk):
    """Every page naming the source is sent again with the new name."""
    release, _ = newsroom
    urls = [release.get_absolute_url(), release.source.get_absolute_url(), reverse("releases:feed-rss")]
    firsts = [client.get(url) for url in urls]
    saved = press_desk.post(reverse("admin:releases_source_change", args=[release.source.pk]),
                            source_form(release.source, name="NATO – OTAN, Chișinău office"))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    for url, first in zip(urls, firsts):
        response = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert response.status_code == 200, url
        assert "NATO – OTAN, Chișinău office" in response.content.decode(), url


def test_a_new_or_removed_logo_changes_the_validators(client, newsroom, press_desk, settings, tmp_path):
    """Uploading a logo, then deleting it, in the source's admin form: each time the source page is sent again."""
    settings.MEDIA_ROOT = tmp_path
    source = newsroom[0].source
    url = source.get_absolute_url()
    first = client.get(url)
    change = reverse("admin:releases_source_change", args=[source.pk])
    upload = SimpleUploadedFile("nato.png", image_bytes("PNG", size=(300, 300)))
    saved = press_desk.post(change, source_form(source, **{"logo-0-image": upload, "logo-0-alt_text": "NATO logo"}))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    with_logo = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert with_logo.status_code == 200 and 'alt="NATO logo"' in with_logo.content.decode()
    logo = Picture.objects.get(source=source)
    removed = press_desk.post(change, source_form(source, logo=logo, **{"logo-0-DELETE": "on"}))
    assert removed.status_code == 302, removed.content.decode()[:2000]
    response = client.get(url, HTTP_IF_NONE_MATCH=with_logo["ETag"])
    assert response.status_code == 200 and 'alt="NATO logo"' not in response.content.decode()


def test_a_source_edit_outside_the_admin_changes_the_validators(client, newsroom):
    """The model's own save moves them (a shell, a command), not only the admin form."""
    source = newsroom[0].source
    first = client.get(source.get_absolute_url())
    source.description = "The Alliance, in Brussels."
    source.save()
    response = client.get(source.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200 and "The Alliance, in Brussels." in response.content.decode()


# --- no header gives a scheduled time away ---------------------------------------------------


def comparable(headers):
    """Every header but Date; the policy's directives, which django-csp writes in no fixed order, sorted."""
    headers = {name: value for name, value in headers.items() if name != "Date"}
    if "Content-Security-Policy" in headers:
        headers["Content-Security-Policy"] = sorted(headers["Content-Security-Policy"].split("; "))
    return headers


@override_settings(NEWSROOM_CACHE_MAX_AGE=60)
@pytest.mark.parametrize("ahead", [timedelta(seconds=7), timedelta(seconds=30), timedelta(hours=2)])
def test_no_header_reveals_a_scheduled_publication(client, newsroom, writer, reviewer, ahead):
    """
    Two newsrooms alike but for a release scheduled ``ahead``: every public address answers
    both with the same status and headers (Date aside), and so does its conditional repeat.
    """
    release, advisory = newsroom
    embargoed = make_release(source=release.source, author=writer, title="Summit embargoed statement", slug="embargoed")
    urls = [surface(release, advisory) for surface in SURFACES.values()] + ["/releases/embargoed/", "/?q=embargoed"]

    def answers():
        cache.clear()  # a newsroom of its own: nothing cached, its count of changes at zero
        seen = {}
        for url in urls:
            response = client.get(url)
            repeat = client.get(url, HTTP_IF_NONE_MATCH=response.get("ETag", '"none"'))
            seen[url] = [(answer.status_code, comparable(answer.headers)) for answer in (response, repeat)]
        return seen

    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        without = answers()
        embargoed.submit(writer)
        embargoed.approve(reviewer, publish_at=moment + ahead)
        scheduled = answers()
    assert without["/"][0][1]["Cache-Control"] == "public, max-age=60"
    for url in urls:
        assert scheduled[url] == without[url], url


def test_deleting_contacts_with_the_changelist_action_changes_the_validators(client, newsroom, contact, press_desk):
    """The bulk "delete selected" action goes through each contact's delete(), which retires the validators."""
    url = newsroom[0].get_absolute_url()
    first = client.get(url)
    deleted = press_desk.post(reverse("admin:releases_contact_changelist"), {
        "action": "delete_selected", "_selected_action": [contact.pk], "post": "yes",
    })
    assert deleted.status_code == 302, deleted.content.decode()[:2000]
    response = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200 and "+32 2 707 50 41" not in response.content.decode()
