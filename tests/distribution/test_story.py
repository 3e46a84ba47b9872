"""
Issue 12's "done when", over HTTP as the people do it: a press officer builds a media list from
a CSV; visitors subscribe through the public form and confirm; a writer chooses the list; a
reviewer schedules the release and sends an embargoed pre-brief; the journalists open their
personal links; the release goes public at its time and every list member and subscriber gets
exactly one mail (the digest reader one digest), which they leave with one click.
"""
import re
from urllib.parse import urlsplit
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from distribution.models import Delivery, EmbargoOpening
from releases.models import Release
from tests.factories import make_release, make_source
from tests.journalists.factories import make_list

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY = datetime(2023, 11, 6, 9, 0, tzinfo=BRUSSELS)
GOES_PUBLIC = datetime(2023, 11, 7, 17, 30, tzinfo=BRUSSELS)
NEXT_DIGEST = datetime(2023, 11, 8, 8, 0, tzinfo=BRUSSELS)
CSV = (
    "name,outlet,email,languages,sources,kinds,basis,basis_date,notes\n"
    "Ana Novák,Deník N,ana.novak@denikn.cz,en;cs,NATO,releases,consent,2023-03-01,\n"
    'Ion Popescu,"Radio Chișinău, news",ion@radiochisinau.md,ro,NATO,,professional,2022-11-08,\n'
)


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def link_in(mail, pattern):
    """The path of the first link in the mail's text matching ``pattern``."""
    return urlsplit(re.search(pattern, mail.body).group(0)).path


def subscribe(email, frequency, committed, work_the_queue, mailoutbox):
    """A visitor subscribes on the home page's form and follows the link in the confirmation mail."""
    visitor = Client()
    answer = committed(visitor.post, "/subscribe/", {"email": email, "kinds": "both", "frequency": frequency})
    assert answer.status_code == 200
    work_the_queue()
    [confirmation] = [mail for mail in mailoutbox if mail.to == [email]]
    assert visitor.post(link_in(confirmation, r"http://\S+/subscribe/confirm/\S+/")).status_code == 200
    mailoutbox.remove(confirmation)


def test_from_a_csv_to_one_mail_each(press_officer, writer, reviewer, committed, work_the_queue, mailoutbox):
    nato = make_source("NATO")
    with time_machine.travel(MONDAY, tick=False):
        # The press office: a list, filled from a CSV after its preview.
        media_list = make_list(name="Summit desk")
        office = logged_in(press_officer)
        office.post(reverse("admin:journalists_journalist_import"), {
            "file": SimpleUploadedFile("summit.csv", CSV.encode("utf-8"), content_type="text/csv"),
            "media_list": media_list.pk,
        })
        digest = office.session["journalists_import"]["digest"]
        assert office.post(reverse("admin:journalists_journalist_import_confirm"), {"digest": digest}).status_code == 302
        assert sorted(media_list.members().values_list("email", flat=True)) == [
            "ana.novak@denikn.cz", "ion@radiochisinau.md"]

        # The public: one reader mailed at once, one who reads the daily digest.
        subscribe("reader@example.org", "immediate", committed, work_the_queue, mailoutbox)
        subscribe("morning@example.org", "daily", committed, work_the_queue, mailoutbox)

        # The writer drafts and chooses the list; the reviewer schedules it for 17:30 Brussels time tomorrow.
        release = make_release(source=nato, author=writer, title="Allies meet in Chișinău",
                               summary="Ministers agree a plan.", body="The ministers met.")
        kind = ContentType.objects.get_for_model(Release).pk
        logged_in(writer).post(reverse("distribution:lists", args=[kind, release.pk]), {"media_lists": [media_list.pk]})
        release.submit(writer)
        committed(release.approve, reviewer, publish_at=GOES_PUBLIC)

        # The reviewer sends the pre-brief to the list; the journalists get their personal links.
        committed(logged_in(reviewer).post, reverse("distribution:prebrief", args=[kind, release.pk]),
                  {"media_lists": [media_list.pk]})
        work_the_queue()
    prebriefs = {mail.to[0]: mail for mail in mailoutbox}
    assert sorted(prebriefs) == ["ana.novak@denikn.cz", "ion@radiochisinau.md"]
    assert prebriefs["ana.novak@denikn.cz"].subject == (
        "EMBARGOED UNTIL Tue 7 Nov 2023 17:30 CET: Allies meet in Chișinău")
    mailoutbox.clear()

    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        for address, mail in prebriefs.items():
            page = Client().get(link_in(mail, r"http://\S+/embargo/\S+/"))
            assert page.status_code == 200 and "Allies meet in Chișinău" in page.content.decode()
        assert EmbargoOpening.objects.count() == 2
        assert Client().get(release.get_absolute_url()).status_code == 404

    # Not a second early; at its time, one mail each.
    with time_machine.travel(GOES_PUBLIC - timedelta(seconds=1), tick=False):
        work_the_queue()
    assert mailoutbox == []
    with time_machine.travel(GOES_PUBLIC + timedelta(seconds=2), tick=False):
        work_the_queue()
        work_the_queue()
    assert sorted(mail.to[0] for mail in mailoutbox) == [
        "ana.novak@denikn.cz", "ion@radiochisinau.md", "reader@example.org"]
    assert {mail.subject for mail in mailoutbox} == {"Allies meet in Chișinău"}
    to_reader = next(mail for mail in mailoutbox if mail.to == ["reader@example.org"])
    mailoutbox.clear()

    with time_machine.travel(NEXT_DIGEST + timedelta(seconds=2), tick=False):
        work_the_queue()
    [morning] = mailoutbox
    assert morning.to == ["morning@example.org"] and "Allies meet in Chișinău" in morning.body

    # One click: the List-Unsubscribe URL, POSTed as a mail client does, with no cookie.
    url = urlsplit(to_reader.extra_headers["List-Unsubscribe"].strip("<>")).path
    response = Client().post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Delivery.objects.filter(state="sent").count() == 2 + 3 + 1  # pre-briefs, publication, digest
    mailoutbox.clear()
    with time_machine.travel(NEXT_DIGEST + timedelta(hours=1), tick=False):
        later = make_release(source=nato, author=writer, title="A later release")
        later.submit(writer)
        committed(later.approve, reviewer)
        work_the_queue()
    assert "reader@example.org" not in [mail.to[0] for mail in mailoutbox]
