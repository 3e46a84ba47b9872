"""
Two people at once: the row lock, the edit revision and SQLite's write lock, with real
concurrent connections (threads on PostgreSQL, processes on an SQLite file).
"""
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from releases import pictures
from releases.models import Release, Transition
from releases.workflow import Publishable, State, TransitionError

from .factories import image_bytes, make_release, make_user, publish

ROOT = Path(__file__).resolve().parent.parent


def in_thread(target, *args):
    """Run ``target`` in a thread with its own database connection, closed at the end."""
    outcome = {}

    def run():
        try:
            outcome["result"] = target(*args)
        except Exception as error:  # reported to the test, which decides
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def meet_before_announcing(monkeypatch, timeout):
    """Two moves on two connections each wait for the other before announcing (and writing the outbox)."""
    barrier = threading.Barrier(2, timeout=timeout)
    original = Publishable._public_changed

    def wait_for_the_other(self, *args):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        original(self, *args)

    monkeypatch.setattr(Publishable, "_public_changed", wait_for_the_other)


@pytest.mark.postgres
def test_two_reviewers_approving_at_once_publish_once(transactional_db, writer, reviewer, reviewer2, monkeypatch):
    """The row lock: of two approvals on two connections, exactly one happens; the other is told why."""
    release = make_release(author=writer)
    release.submit(writer)
    # Each approval, once it holds whatever it holds, waits for the other: without the row lock
    # both get here and both publish; with it the second waits for the first to commit.
    meet_before_announcing(monkeypatch, timeout=1.5)
    runs = [in_thread(lambda user: Release.objects.get(pk=release.pk).approve(user), user) for user in (reviewer, reviewer2)]
    for thread, _ in runs:
        thread.join(10)
    outcomes = [outcome for _, outcome in runs]
    assert sum("error" not in outcome for outcome in outcomes) == 1, outcomes
    refused = [outcome["error"] for outcome in outcomes if "error" in outcome]
    assert isinstance(refused[0], TransitionError) and "published" in str(refused[0])
    assert Transition.objects.filter(to_state=State.PUBLISHED).count() == 1


@pytest.mark.postgres
def test_a_slow_save_racing_a_submit_and_an_approval_does_not_undo_the_approval(
    transactional_db, writer, writer2, reviewer, monkeypatch,
):
    """
    Version 1 is live; the writer saves version 2 with a large picture (slow); meanwhile another
    session submits version 2 and a reviewer approves it. The approval must stand and the page stay.
    """
    live = publish(make_release(author=writer, title="Version one"), reviewer)
    draft = live.start_new_draft(writer)
    opened = Release.objects.get(pk=draft.pk)
    processing = threading.Event()
    original_clean = pictures.clean_upload

    def slow_clean(upload):
        processing.set()
        time.sleep(1.5)
        return original_clean(upload)

    monkeypatch.setattr(pictures, "clean_upload", slow_clean)
    from django.core.files.uploadedfile import SimpleUploadedFile

    def writer_saves():
        client = Client()
        client.force_login(writer)
        data = {
            "source": opened.source_id, "category": opened.category, "title": "Version two",
            "slug": opened.slug, "summary": "The writer's summary.", "body": opened.body, "original_url": "",
            "revision": opened.revision,
            "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
            "pictures-TOTAL_FORMS": "1", "pictures-INITIAL_FORMS": "0",
            "pictures-MIN_NUM_FORMS": "0", "pictures-MAX_NUM_FORMS": "1000",
            "pictures-0-image": SimpleUploadedFile("big.png", image_bytes("PNG", size=(800, 600))),
            "pictures-0-alt_text": "A large picture", "pictures-0-position": "0",
        }
        return client.post(reverse("admin:releases_release_change", args=[opened.pk]), data).status_code

    thread, outcome = in_thread(writer_saves)
    assert processing.wait(10)
    # The other session, while the writer's save is still running.
    Release.objects.get(pk=draft.pk).submit(writer2)
    Release.objects.get(pk=draft.pk).approve(reviewer)
    thread.join(20)
    assert "error" not in outcome, outcome

    draft.refresh_from_db()
    live.refresh_from_db()
    assert (live.state, draft.state) == (State.SUPERSEDED, State.PUBLISHED)
    assert draft.history().first().to_state == State.PUBLISHED
    response = Client().get(draft.get_absolute_url())
    assert response.status_code == 200
    # Whatever the order, what is public is what the reviewer approved: a complete version two.
    assert "Version two" in response.content.decode()


APPROVER = textwrap.dedent("""
    import sys, time
    import django
    django.setup()
    from releases import search
    from releases.models import Release
    from releases.workflow import TransitionError
    from django.contrib.auth import get_user_model

    # Hold the transaction open a little, as a slow disk would, so the two really overlap.
    original = search.index_document
    def slow(edition):
        original(edition)
        time.sleep(0.5)
    search.index_document = slow

    pk, username, start = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    user = get_user_model().objects.get(username=username)
    release = Release.objects.get(pk=pk)
    while time.time() < start:
        time.sleep(0.001)
    try:
        release.approve(user)
        print("ok")
    except TransitionError as error:
        print("refused:", error)
    except Exception as error:
        print("error:", type(error).__name__, error)
""")

SETUP = textwrap.dedent("""
    import django
    django.setup()
    from releases.roles import setup_roles
    from tests.factories import make_release, make_user
    setup_roles()
    writer = make_user("writer", group="Writers")
    make_user("reviewer-a", group="Reviewers")
    make_user("reviewer-b", group="Reviewers")
    release = make_release(author=writer)
    release.submit(writer)
    print(release.pk)
""")


@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite only")
def test_two_approvals_at_once_on_sqlite_give_one_success_and_one_clear_refusal(tmp_path):
    """`make run`'s database: the loser of two simultaneous approvals is told why, never a 'database is locked'."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'newsroom.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "newsroom.settings.test",
        "PYTHONPATH": str(ROOT),
    }

    def run(*args, **kwargs):
        return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, **kwargs)

    migrated = run("manage.py", "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    created = run("-c", SETUP)
    assert created.returncode == 0, created.stderr
    pk = created.stdout.strip()
    start = str(time.time() + 3)
    approvers = [
        subprocess.Popen([sys.executable, "-c", APPROVER, pk, username, start], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for username in ("reviewer-a", "reviewer-b")
    ]
    outputs = [approver.communicate(timeout=120) for approver in approvers]
    results = sorted(stdout.strip() for stdout, stderr in outputs)
    assert results[0] == "ok", outputs
    assert results[1].startswith("refused:") and "published" in results[1], outputs
