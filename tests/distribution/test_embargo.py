"""
Embargoed pre-briefs: a reviewer sends a scheduled item ahead of time; each journalist's
personal link shows it (never cached, never indexed) until the publication time, then
redirects to the public page; revoked, forged or unscheduled links show nothing of it.
"""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from distribution import services
from distribution.models import Delivery, EmbargoOpening
from tests.factories import make_picture

pytestmark = pytest.mark.django_db

#: Wed 8 Nov 2023 17:30 in Brussels (the newsroom's zone).
AT = datetime(2023, 11, 8, 17, 30, tzinfo=ZoneInfo("Europe/Brussels"))
BEFORE = AT - timedelta(days=1)


@pytest.fixture
def scheduled(release, reviewer, committed):
    with time_machine.travel(BEFORE, tick=False):
        committed(release.approve, reviewer, publish_at=AT)
    release.refresh_from_db()
    return release


@pytest.fixture
def prebrief(scheduled, reviewer2, journalists, committed, work_the_queue, mailoutbox):
    """The pre-brief sent the day before, and the mails it produced."""
    media_list, _ = journalists
    with time_machine.travel(BEFORE, tick=False):
        committed(services.send_prebrief, scheduled, reviewer2, [media_list])
        work_the_queue()
    mails = [mail for mail in mailoutbox if mail.subject.startswith("EMBARGOED")]
    return {mail.to[0]: mail for mail in mails}


def link(mail):
    return re.search(r"http://[^ ]+(/embargo/[^/ ]+/)", mail.body).group(1)


def test_prebrief_subject_says_until_when(prebrief):
    """Each list member gets one mail whose subject begins with the embargo in the newsroom's time."""
    assert sorted(prebrief) == ["j1@press.example", "j2@press.example", "j3@press.example"]
    assert prebrief["j1@press.example"].subject == "EMBARGOED UNTIL Wed 8 Nov 2023 17:30 CET: Ministers meet in Chișinău"


def test_each_link_is_personal(prebrief):
    """Three journalists, three different links."""
    assert len({link(mail) for mail in prebrief.values()}) == 3


def test_valid_link_shows_the_item_with_a_banner_uncached_and_logs_the_opening(prebrief, client):
    """Before the time, the link shows the item and the embargo; no-store, noindex; the opening is recorded."""
    with time_machine.travel(AT - timedelta(minutes=5), tick=False):
        response = client.get(link(prebrief["j2@press.example"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "EMBARGOED UNTIL Wed 8 Nov 2023 17:30 CET" in page and "The ministers met today." in page
    assert "no-store" in response["Cache-Control"] and "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert list(EmbargoOpening.objects.values_list("delivery__address", flat=True)) == ["j2@press.example"]


def test_link_redirects_to_the_public_page_at_publication(prebrief, client, scheduled):
    """At the publication time the link is expired: a redirect to the public page, no content."""
    with time_machine.travel(AT + timedelta(seconds=1), tick=False):
        response = client.get(link(prebrief["j1@press.example"]))
    assert response.status_code == 302 and response["Location"] == scheduled.get_absolute_url()
    assert b"ministers met" not in response.content


def test_revoked_link_shows_nothing(prebrief, client):
    """Revoked for one journalist: their link answers 410 with nothing; the others still work."""
    services.revoke(Delivery.objects.filter(address="j1@press.example"))
    with time_machine.travel(AT - timedelta(minutes=5), tick=False):
        revoked = client.get(link(prebrief["j1@press.example"]))
        other = client.get(link(prebrief["j2@press.example"]))
    assert revoked.status_code == 410 and b"ministers" not in revoked.content.lower()
    assert other.status_code == 200


def changed(text):
    """The text with its last character replaced by another (never by itself: a token may end in "A")."""
    return text[:-1] + ("B" if text.endswith("A") else "A")


def test_forged_link_shows_nothing(prebrief, client):
    """A link with a changed token or signature is a 404."""
    real = link(prebrief["j1@press.example"])
    token, signature = real.split("/")[2].rsplit(":", 1)
    with time_machine.travel(AT - timedelta(minutes=5), tick=False):
        for forged in (f"/embargo/{changed(token)}:{signature}/", f"/embargo/{token}:{changed(signature)}/", "/embargo/x/"):
            response = client.get(forged)
            assert response.status_code == 404 and b"ministers" not in response.content.lower()
    assert not EmbargoOpening.objects.exists()


def test_unscheduled_item_link_shows_nothing(prebrief, client, scheduled, reviewer):
    """Unscheduled after the pre-brief: the links answer 410."""
    with time_machine.travel(AT - timedelta(minutes=5), tick=False):
        scheduled.unschedule(reviewer)
        response = client.get(link(prebrief["j1@press.example"]))
    assert response.status_code == 410 and b"ministers" not in response.content.lower()


def test_pictures_reach_only_through_the_link(scheduled, reviewer2, journalists, committed, work_the_queue, mailoutbox, client):
    """The embargoed item's picture: 404 at its public address, served through the personal link."""
    picture = make_picture(scheduled, is_lead=True)
    media_list, _ = journalists
    with time_machine.travel(BEFORE, tick=False):
        committed(services.send_prebrief, scheduled, reviewer2, [media_list])
        work_the_queue()
    personal = link(mailoutbox[-1])
    with time_machine.travel(AT - timedelta(minutes=5), tick=False):
        page = client.get(personal).content.decode()
        src = re.search(r'<img src="([^"]+)"', page).group(1)
        assert src.startswith(personal)
        assert client.get(src).status_code == 200
        assert client.get(picture.largest_url).status_code == 404
        services.revoke(Delivery.objects.all())
        assert client.get(src).status_code == 404


def test_only_scheduled_items_can_be_prebriefed(release, reviewer, reviewer2, journalists):
    """An item published now (or not approved) can't be sent under embargo."""
    release.approve(reviewer)
    with pytest.raises(services.PrebriefError):
        services.send_prebrief(release, reviewer2, [journalists[0]])


def test_writers_cannot_send_prebriefs(scheduled, writer, journalists):
    """The permission is the reviewers'."""
    with pytest.raises(services.PrebriefError):
        services.send_prebrief(scheduled, writer, [journalists[0]])
    assert not Delivery.objects.filter(publication__kind="prebrief").exists()


def test_a_second_pre_brief_reaches_only_those_without_a_valid_link(prebrief, scheduled, reviewer2, journalists):
    """Another list overlapping the first: its new members get a link; those holding one get no second mail."""
    from tests.journalists.factories import make_journalist, make_list

    _, people = journalists
    services.revoke(Delivery.objects.filter(address="j3@press.example"))
    wider = make_list(name="Wider", journalists=[*people, make_journalist(email="new@press.example")])
    with time_machine.travel(BEFORE + timedelta(minutes=5), tick=False):
        second = services.send_prebrief(scheduled, reviewer2, [wider])
        assert sorted(second.deliveries.values_list("address", flat=True)) == ["j3@press.example", "new@press.example"]
        with pytest.raises(services.PrebriefError, match="already has a valid link"):
            services.send_prebrief(scheduled, reviewer2, [wider])
