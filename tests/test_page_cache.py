"""The page cache: anonymous pages served from the cache, out of use the moment anything public changes."""
import os
import sqlite3
import threading
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from releases import caching
from releases.caching import PublicState
from releases.models import Source

from .factories import make_advisory, make_contact, make_release, make_source, publish
from .test_production import fetch, free_port, manage, production_env, serving

SURFACES = [
    lambda release: reverse("releases:home"),
    lambda release: release.get_absolute_url(),
    lambda release: release.source.get_absolute_url(),
    lambda release: reverse("releases:feed-rss"),
    lambda release: reverse("releases:sitemap"),
    lambda release: reverse("releases:events"),
]


@pytest.fixture
def release(writer, reviewer):
    source = make_source("NATO", slug="nato", description="The Alliance.")
    return publish(make_release(source=source, author=writer, title="Summit declaration"), reviewer)


@pytest.mark.parametrize("surface", range(len(SURFACES)))
def test_a_repeat_visit_is_served_from_the_cache_without_queries(client, release, surface, django_assert_num_queries):
    url = SURFACES[surface](release)
    first = client.get(url)
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.status_code == 200
    assert again.content == first.content


def test_withdrawal_takes_cached_pages_out_of_use_at_once(client, release, reviewer):
    pages = [surface(release) for surface in SURFACES]
    assert all("Summit declaration" in client.get(url).content.decode() for url in pages[:4])
    release.withdraw(reviewer, "Issued in error.")
    home = client.get(pages[0]).content.decode()
    assert "Summit declaration" not in home
    detail = client.get(pages[1]).content.decode()
    assert "has been withdrawn" in detail
    assert "Summit declaration" not in client.get(pages[3]).content.decode()


def test_publication_and_approved_edits_show_at_once(client, release, writer, reviewer):
    home = reverse("releases:home")
    client.get(home)
    publish(make_release(source=release.source, author=writer, title="Second statement"), reviewer)
    assert "Second statement" in client.get(home).content.decode()
    client.get(release.get_absolute_url())
    draft = release.start_new_draft(writer)
    draft.title, draft.last_edited_by = "Summit declaration (corrected)", writer
    draft.save()
    draft.submit(writer)
    assert "(corrected)" not in client.get(release.get_absolute_url()).content.decode()
    draft.approve(reviewer)
    assert "(corrected)" in client.get(release.get_absolute_url()).content.decode()


def test_a_scheduled_item_appears_at_its_time(client, release, writer, reviewer):
    due = timezone.now() + timedelta(minutes=10)
    scheduled = publish(make_advisory(source=release.source, author=writer, title="Embargoed briefing"), reviewer, at=due)
    home = reverse("releases:home")
    with time_machine.travel(due - timedelta(seconds=1), tick=False):
        assert "Embargoed briefing" not in client.get(home).content.decode()
        assert client.get(scheduled.get_absolute_url()).status_code == 404
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        assert "Embargoed briefing" in client.get(home).content.decode()
        assert client.get(scheduled.get_absolute_url()).status_code == 200


def test_contact_and_source_edits_in_the_admin_show_at_once(client, release, press_officer):
    """The press office unticks a contact's "public" and renames the source: no cached page shows the old ones."""
    contact = make_contact(source=release.source, name="Ana Novák", phone="+32 2 707 50 41")
    release.contacts.add(contact)
    pages = [release.get_absolute_url(), release.source.get_absolute_url(), reverse("releases:home")]
    assert "+32 2 707 50 41" in client.get(pages[0]).content.decode()
    assert all("NATO" in client.get(url).content.decode() for url in pages)
    desk = Client()
    desk.force_login(press_officer)
    change_contact = reverse("admin:releases_contact_change", args=[contact.pk])
    saved = desk.post(change_contact, {"name": contact.name, "kind": contact.kind, "source": contact.source_id,
                                       "phone": contact.phone})  # "public" unticked
    assert saved.status_code == 302
    assert "+32 2 707 50 41" not in client.get(pages[0]).content.decode()
    saved = desk.post(reverse("admin:releases_source_change", args=[release.source.pk]), {
        "name": "OTAN – Chișinău", "slug": "nato", "description": "The Alliance.",
        "logo-TOTAL_FORMS": "0", "logo-INITIAL_FORMS": "0", "logo-MIN_NUM_FORMS": "0", "logo-MAX_NUM_FORMS": "1",
    })
    assert saved.status_code == 302
    assert all("OTAN – Chișinău" in client.get(url).content.decode() for url in pages)


def test_unannounced_changes_show_within_the_bound(client, release, settings):
    """A change made behind the models' back (a raw UPDATE) moves no validator: it shows within the bound."""
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 60
    url = release.source.get_absolute_url()
    client.get(url)
    Source.objects.filter(pk=release.source.pk).update(description="The North Atlantic Alliance.")
    assert "The North Atlantic Alliance." not in client.get(url).content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert "The North Atlantic Alliance." in client.get(url).content.decode()


def test_logged_in_editors_always_see_fresh_pages(client, release, writer):
    url = release.source.get_absolute_url()
    client.get(url)
    Source.objects.filter(pk=release.source.pk).update(description="Fresh for editors.")
    client.force_login(writer)
    response = client.get(url)
    assert "Fresh for editors." in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_a_logged_in_editor_is_never_served_from_the_page_cache(client, release, writer):
    """Two visits by a logged-in editor with a change between them: the second shows the change."""
    url = release.source.get_absolute_url()
    client.force_login(writer)
    assert "The Alliance." in client.get(url).content.decode()
    # Behind the models' back, so no validator moves: only a page rendered afresh can show it.
    Source.objects.filter(pk=release.source.pk).update(description="Seen on the second visit.")
    assert "Seen on the second visit." in client.get(url).content.decode()


def test_page_cache_can_be_switched_off(client, release, settings):
    settings.NEWSROOM_PAGE_CACHE = False
    url = release.source.get_absolute_url()
    client.get(url)
    Source.objects.filter(pk=release.source.pk).update(description="Uncached.")
    assert "Uncached." in client.get(url).content.decode()


# --- across processes -------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="set REDIS_URL: the workers share the cache through Redis")
def test_invalidation_reaches_every_gunicorn_worker(tmp_path):
    """
    Two gunicorn workers share the page cache through Redis. A change made behind the
    workflow's back (a raw UPDATE) stays hidden behind the cached page, proving the
    cache is used; a withdrawal made by a third process retires the page in both workers.
    """
    port = free_port()
    env = production_env(
        tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2", SECURE_SSL_REDIRECT="0",
        REDIS_URL=os.environ["REDIS_URL"], CACHE_KEY_PREFIX=f"newsroom-pagecache-{uuid.uuid4().hex}",
        NEWSROOM_PAGE_CACHE_SECONDS="300",
    )
    for command in (
        ["migrate", "--noinput"], ["collectstatic", "--noinput"], ["import_digest", "releases/demo/digest.txt", "--publish"],
    ):
        result = manage(env, *command)
        assert result.returncode == 0, result.stderr
    with serving(env, port):

        def homes(count=12):
            # Several requests on fresh connections: both workers answer some of them.
            return [fetch(port, "/")[1].decode() for _ in range(count)]

        first = homes()
        assert all("Olympics 2024 security topped up" in page for page in first), first[0][:3000]
        database = sqlite3.connect(tmp_path / "production.sqlite3")
        database.execute("UPDATE releases_release SET title = 'Changed behind the cache' WHERE title LIKE 'Olympics%'")
        database.commit()
        assert all("Changed behind the cache" not in page for page in homes())

        script = (
            "from django.contrib.auth.models import User, Group;"
            "from releases.roles import setup_roles; setup_roles();"
            "u = User.objects.create_user('rev', is_staff=True); u.groups.add(Group.objects.get(name='Reviewers'));"
            "from releases.models import Release;"
            "Release.objects.get(title='Changed behind the cache').withdraw(u, 'Issued in error.')"
        )
        result = manage(env, "shell", "-c", script)
        assert result.returncode == 0, result.stderr
        pages = homes()
        assert all("Changed behind the cache" not in page and "Olympics 2024" not in page for page in pages)
        assert all("Chișinău" in page for page in pages)


# --- another worker between the move and its commit ---------------------------------------


class HeldStores:
    """
    The cache, with what other threads store held back until ``release()``: another worker
    that has read the rows and is about to store what it read, slowed down at that point.
    """

    def __init__(self, cache):
        self.cache, self.main = cache, threading.get_ident()
        self.reached, self.released = threading.Event(), threading.Event()

    def __getattr__(self, name):
        return getattr(self.cache, name)

    def set(self, *args, **kwargs):
        if threading.get_ident() != self.main:
            self.reached.set()
            assert self.released.wait(30)
        return self.cache.set(*args, **kwargs)


def test_a_state_another_worker_stored_before_the_commit_is_forgotten_on_commit(
    transactional_db, writer, reviewer, monkeypatch,
):
    """
    Another worker reads the committed rows and, while a reviewer's publication is between its
    move and its commit, stores the state it read (the old one). The commit forgets it again:
    the next reader sees the publication, on whatever cache the run uses (memory or Redis).
    """
    source = make_source("NATO", slug="nato")
    publish(make_release(source=source, author=writer, title="Summit declaration"), reviewer)
    draft = make_release(source=source, author=writer, title="Second statement")
    draft.submit(writer)
    held = HeldStores(caching.cache)
    monkeypatch.setattr(caching, "cache", held)
    old = PublicState(timezone.now()).etag()

    outcome = {}

    def other_worker():
        try:
            outcome["etag"] = PublicState.current().etag()
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    assert held.reached.wait(30)  # it has read the rows as committed before the publication
    with transaction.atomic():
        draft.approve(reviewer)  # forgets the state now, and again on commit
        held.released.set()
        worker.join(30)
        assert outcome["etag"] == old  # the old state is in the cache now
    assert PublicState.current().etag() != old
    home = Client().get(reverse("releases:home")).content.decode()
    assert "Second statement" in home and "Summit declaration" in home


def test_search_the_page_cache_and_the_purge_hang_from_one_call():
    """The workflow announces a change once (releases/public.py), and imports neither the caches nor search."""
    import inspect
    import subprocess
    import sys

    from releases import public, purge, search, workflow

    assert public._listeners[:3] == [search.on_public_changed, caching.on_public_changed, purge.on_public_changed]
    source = inspect.getsource(workflow)
    assert "caching" not in source and "search." not in source
    assert source.count("public.changed(") == 1
    # Below the workflow: importing it loads no model.
    loaded = subprocess.run([sys.executable, "-c", "import releases.public, sys; print('releases.models' in sys.modules)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"
