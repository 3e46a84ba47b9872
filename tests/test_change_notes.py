"""Major and minor changes as readers, feed readers and search engines see them (issue 10)."""
import json
import re
from datetime import timedelta

import feedparser
import time_machine
from django.urls import reverse
from django.utils import timezone

from .factories import make_advisory, make_release, publish


def approve_edit(item, writer, reviewer, summary, **kwargs):
    draft = item.start_new_draft(writer)
    draft.summary = summary
    draft.save_edit(writer, draft.revision, ["summary"])
    draft.submit(writer)
    draft.approve(reviewer, **kwargs)
    draft.refresh_from_db()
    return draft


def json_ld(page):
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))


def atom_updated(client, title):
    feed = feedparser.parse(client.get(reverse("releases:feed-atom")).content)
    return next(entry.updated for entry in feed.entries if entry.title == title)


def test_a_major_change_shows_its_note_and_moves_every_updated_time(client, writer, reviewer):
    start = timezone.now().replace(microsecond=0) - timedelta(days=10)
    with time_machine.travel(start, tick=False):
        release = publish(make_release(author=writer, title="Ministers meet"), reviewer)
    with time_machine.travel(start + timedelta(days=2), tick=False):
        edited = approve_edit(release, writer, reviewer, "New summary.", major=True, note="Corrected the venue.")
    page = client.get(edited.get_absolute_url()).content.decode()
    moment = start + timedelta(days=2)
    assert f"Updated <time datetime=\"{timezone.localtime(moment).isoformat()}\">" in page
    assert "Corrected the venue." in page
    assert json_ld(page)["dateModified"] == moment.isoformat()
    assert feedparser.parse(client.get(reverse("releases:feed-atom")).content).entries[0].updated.startswith(
        moment.strftime("%Y-%m-%dT%H:%M"),
    )


def test_a_minor_change_tells_readers_nothing(client, writer, reviewer):
    start = timezone.now().replace(microsecond=0) - timedelta(days=10)
    with time_machine.travel(start, tick=False):
        release = publish(make_release(author=writer, title="Ministers meet"), reviewer)
    with time_machine.travel(start + timedelta(days=2), tick=False):
        edited = approve_edit(release, writer, reviewer, "Typo fixed.", major=False)
    page = client.get(edited.get_absolute_url()).content.decode()
    assert "Typo fixed." in page  # the fix itself is public at once
    assert "Updated" not in page
    assert json_ld(page)["dateModified"] == start.isoformat()
    assert atom_updated(client, "Ministers meet").startswith(start.strftime("%Y-%m-%dT%H:%M"))


def test_notes_accumulate_newest_first_on_an_advisory(client, writer, reviewer):
    start = timezone.now().replace(microsecond=0) - timedelta(days=10)
    with time_machine.travel(start, tick=False):
        advisory = publish(make_advisory(author=writer, title="Press conference"), reviewer)
    with time_machine.travel(start + timedelta(days=1), tick=False):
        second = approve_edit(advisory, writer, reviewer, "v2", major=True, note="Added the live stream.")
    with time_machine.travel(start + timedelta(days=2), tick=False):
        third = approve_edit(second, writer, reviewer, "v3", major=True, note="Corrected the time.")
    page = client.get(third.get_absolute_url()).content.decode()
    assert page.index("Corrected the time.") < page.index("Added the live stream.")
