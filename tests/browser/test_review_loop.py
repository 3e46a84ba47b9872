"""
The review loop between two people, in a real browser (issue 10): the reviewer's
comment reaches the writer on the form, Submit keeps unsaved edits, a late save
shows what it would overwrite instead of losing anything, and leaving a form with
unsaved changes asks first.
"""
import time

import pytest
from django.db import OperationalError
from playwright.sync_api import expect

from releases.models import Release
from releases.workflow import State

from ..factories import make_release
from .conftest import DESKTOP, PHONE, assert_visible_in_viewport, click_transition, open_in_admin
from .test_screenshots import shoot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_returned_writer_reads_the_reviewers_comment_on_the_form(person, writer, reviewer, viewport):
    make_release(author=writer, title="Allies agree to protect undersea cables")
    writing = person(writer, viewport=viewport)
    open_in_admin(writing, "Allies agree to protect undersea cables")
    click_transition(writing, "Submit for review", comment="Ready when you are.")
    expect(writing.locator(".messagelist")).to_contain_text("is now in review")

    reviewing = person(reviewer, viewport=viewport)
    open_in_admin(reviewing, "Allies agree to protect undersea cables")
    click_transition(reviewing, "Return to draft", comment="The second bullet needs a source.")

    writing.reload()
    returned = writing.locator(".nr-returned")
    assert_visible_in_viewport(returned)
    expect(returned).to_contain_text("The second bullet needs a source.")
    latest = writing.locator(".nr-conversation .nr-entry").first
    assert_visible_in_viewport(latest)
    expect(latest).to_contain_text("reviewer-1")
    expect(latest).to_contain_text("The second bullet needs a source.")
    # The writer answers in the conversation; the reviewer reads it.
    writing.get_by_label("Add a comment").fill("Added: the Maritime Command statement.")
    writing.get_by_role("button", name="Comment", exact=True).click()
    reviewing.reload()
    expect(reviewing.locator(".nr-conversation .nr-entry").first).to_contain_text("Added: the Maritime Command statement.")
    shoot(writing, "conversation")


def test_submit_with_unsaved_edits_keeps_the_edits(person, writer):
    make_release(author=writer, title="First title")
    page = person(writer)
    open_in_admin(page, "First title")
    page.locator("#id_title").fill("Allies agree to protect undersea cables")
    click_transition(page, "Submit for review")
    expect(page.locator(".messagelist")).to_contain_text("Saved, and")
    release = Release.objects.get()
    assert (release.title, release.state) == ("Allies agree to protect undersea cables", State.IN_REVIEW)


def test_a_late_save_shows_what_it_would_overwrite_and_loses_nothing(person, writer, writer2):
    release = make_release(author=writer, title="Ministers meet", summary="Draft summary.")
    first = person(writer)
    second = person(writer2)
    for page in (first, second):
        page.goto(f"/admin/releases/release/{release.pk}/change/")
    expect(second.locator(".nr-presence")).to_contain_text("writer-1 has been editing this since")

    first.get_by_label("Summary").fill("Foreign ministers meet in Brussels on Tuesday.")
    first.get_by_role("button", name="Save and continue editing").click()
    expect(first.locator(".messagelist")).to_contain_text("was changed successfully")

    second.locator("#id_title").fill("Foreign ministers meet in Brussels")
    second.get_by_role("button", name="Save and continue editing").click()
    error = second.locator(".errornote, .errorlist.nonfield").first
    assert_visible_in_viewport(error)
    expect(second.locator(".errorlist.nonfield")).to_contain_text("writer-1 changed this version at")
    expect(second.locator("#id_title")).to_have_value("Foreign ministers meet in Brussels")
    conflict = second.locator(".nr-conflict")
    assert_visible_in_viewport(conflict)
    expect(conflict.locator("del").first).to_be_visible()
    release.refresh_from_db()
    assert (release.title, release.summary) == ("Ministers meet", "Foreign ministers meet in Brussels on Tuesday.")
    shoot(second, "stale-save")

    # Saving again is the deliberate choice to replace the saved version.
    second.get_by_role("button", name="Save and continue editing").click()
    expect(second.locator(".messagelist")).to_contain_text("was changed successfully")
    release.refresh_from_db()
    assert release.title == "Foreign ministers meet in Brussels"


def test_leaving_a_form_with_unsaved_changes_asks_first(person, writer):
    make_release(author=writer, title="Ministers meet")
    page = person(writer)
    open_in_admin(page, "Ministers meet")
    # The form's script listens once the page has loaded; a click is the user's gesture, without which
    # Chromium may skip the prompt (a loaded machine once closed the page before either).
    page.wait_for_load_state("load")
    title = page.locator("#id_title")
    title.click()
    title.fill("Ministers meet in Brussels")
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()  # stay: the page and its unsaved text are still there
    expect(page.locator("#id_title")).to_have_value("Ministers meet in Brussels")


@pytest.fixture
def mailbox(monkeypatch):
    """
    The notifications as people receive them: ``mailbox()`` runs the database queue's worker
    in this process (what `make run`'s worker does) and returns the new mails since the last call,
    as (recipient, subject) pairs.
    """
    from django.core import mail
    from django.core.management import call_command
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    seen = []

    def new_mail():
        for attempt in range(50):
            try:
                call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
                break
            except OperationalError as error:
                # The live server's thread shares the test's in-memory SQLite database, whose shared
                # cache answers "table is locked" at once, where a file database (as `make run`
                # uses) waits: a heartbeat of an open change form, say. The worker had begun nothing.
                if "locked" not in str(error) or attempt == 49:
                    raise
                time.sleep(0.1)
        fresh = mail.outbox[len(seen):]
        seen.extend(fresh)
        return sorted((message.to[0], message.subject) for message in fresh)

    return new_mail


def test_two_rounds_of_review_with_a_mail_at_each_step(person, visitor, writer, reviewer, mailbox):
    """
    The issue's whole loop, in the browser: return with a comment, fix, resubmit, approve; then an
    edit of the published release compared with version 1, returned, fixed and approved as a major
    change with a public note. Each step's mail reaches the other person, once.
    """
    for user, address in ((writer, "writer@newsroom.example"), (reviewer, "reviewer@newsroom.example")):
        user.email = address
        user.save()
    make_release(author=writer, title="Allies agree to protect undersea cables", summary="Three steps.")
    writing, reviewing = person(writer), person(reviewer)

    def open_current(page):
        """The edition being worked on (or the live one): the changelist lists both once there are two."""
        current = Release.objects.current().get()
        page.goto(f"/admin/releases/release/{current.pk}/change/")

    def submit(comment):
        open_current(writing)
        click_transition(writing, "Submit for review", comment=comment)
        expect(writing.locator(".messagelist")).to_contain_text("is now in review")

    def return_it(comment):
        reviewing.goto("/admin/")
        reviewing.get_by_role("link", name="Allies agree to protect undersea cables").first.click()
        click_transition(reviewing, "Return to draft", comment=comment)
        expect(reviewing.locator(".messagelist")).to_contain_text("is now draft")

    for round_ in (1, 2):
        submit(f"Round {round_}: ready.")
        assert [to for to, subject in mailbox()] == ["reviewer@newsroom.example"]
        if round_ == 2:
            # The reviewer reads what changed since version 1 without leaving the admin.
            reviewing.goto("/admin/")
            reviewing.get_by_role("link", name="Allies agree to protect undersea cables").first.click()
            reviewing.get_by_role("link", name="Compare with version 1", exact=True).click()
            assert_visible_in_viewport(reviewing.locator("ins").first)
        return_it(f"Round {round_}: the second step needs a date.")
        assert [to for to, subject in mailbox()] == ["writer@newsroom.example"]
        open_current(writing)
        expect(writing.locator(".nr-returned")).to_contain_text(f"Round {round_}: the second step needs a date.")
        writing.get_by_label("Summary").fill(f"Three steps, the second from 1 March (round {round_}).")
        submit(f"Round {round_}: date added.")
        assert [to for to, subject in mailbox()] == ["reviewer@newsroom.example"]
        reviewing.goto("/admin/")
        reviewing.get_by_role("link", name="Allies agree to protect undersea cables").first.click()
        expect(reviewing.locator(".nr-conversation .nr-entry").first).to_contain_text(f"Round {round_}: date added.")
        if round_ == 1:
            click_transition(reviewing, "Approve and publish")
        else:
            click_transition(reviewing, "Approve and publish", change="major", note="Added the date of the second step.")
        expect(reviewing.locator(".messagelist")).to_contain_text("is now published")
        assert [to for to, subject in mailbox()] == ["writer@newsroom.example"]
        if round_ == 1:
            open_current(writing)
            click_transition(writing, "Start a new draft")
            expect(writing.locator(".nr-notice")).to_contain_text("stays public, unchanged, until this version is approved")
            writing.get_by_label("Summary").fill("Four steps, the second from 1 March.")
            writing.get_by_role("button", name="Save and continue editing").click()
            expect(writing.locator(".messagelist")).to_contain_text("was changed successfully")
            assert mailbox() == []  # saving a draft tells nobody

    release = Release.objects.published().get()
    visitor.goto(release.get_absolute_url())
    expect(visitor.locator(".updates")).to_contain_text("Added the date of the second step.")
