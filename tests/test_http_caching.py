"""HTTP caching of the public surfaces: ETag/Last-Modified, 304s, and validators that move with publication."""
from datetime import date, timedelta

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from .factories import make_advisory, make_release, make_source, publish

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
    source = make_source("NATO", slug="nato")
    with time_machine.travel(timezone.now() - timedelta(hours=1)):
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
        assert "Upcoming media events" in first.content.decode()
    with time_machine.travel(advisory.starts_at + timedelta(hours=7), tick=False):
        response = client.get(home, HTTP_IF_NONE_MATCH=first["ETag"])
        assert response.status_code == 200
        assert "Upcoming media events" not in response.content.decode()


def test_a_draft_does_not_change_the_validators(client, newsroom, writer):
    first = client.get(reverse("releases:home"))
    make_release(source=newsroom[0].source, author=writer, title="Just a draft").submit(writer)
    assert conditional_status(client, reverse("releases:home"), first) == 304


def test_anonymous_responses_are_public_and_revalidated(client, url):
    assert client.get(url)["Cache-Control"] == "public, no-cache"


@override_settings(NEWSROOM_CACHE_MAX_AGE=60)
def test_max_age_is_configurable_and_ends_before_a_scheduled_publication(client, newsroom, writer, reviewer):
    home = reverse("releases:home")
    assert client.get(home)["Cache-Control"] == "public, max-age=60"
    moment = timezone.now() + timedelta(seconds=45)
    publish(make_release(source=newsroom[0].source, author=writer), reviewer, at=moment)
    with time_machine.travel(moment - timedelta(seconds=20), tick=False):
        assert client.get(home)["Cache-Control"] == "public, max-age=20"
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
