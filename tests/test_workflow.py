"""The editorial workflow: states, transitions, four eyes, editions and the audit trail."""
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from releases.models import Advisory, Release, Transition
from releases.workflow import State, TransitionError

from .factories import make_advisory, make_release, make_user, publish

FACTORIES = {"release": make_release, "advisory": make_advisory}


@pytest.fixture(params=["release", "advisory"])
def make_item(request):
    """Every workflow test runs for both publishable models: one implementation serves both."""
    return FACTORIES[request.param]


def in_state(make_item, state, author, reviewer):
    """An item brought to ``state`` through the real transitions."""
    item = make_item(author=author)
    if state == "draft":
        return item
    item.submit(author)
    if state == "in_review":
        return item
    if state == "scheduled":
        item.approve(reviewer, publish_at=timezone.now() + timedelta(hours=1))
        return item
    item.approve(reviewer)
    if state == "published":
        return item
    if state == "superseded":
        draft = item.start_new_draft(author)
        draft.submit(author)
        draft.approve(reviewer)
        item.refresh_from_db()
        return item
    item.withdraw(reviewer, "Issued in error.")
    return item


ACTIONS = {
    "submit": lambda item, user: item.submit(user),
    "approve": lambda item, user: item.approve(user),
    "return_to_draft": lambda item, user: item.return_to_draft(user, "Please check the figures."),
    "withdraw": lambda item, user: item.withdraw(user, "Issued in error."),
    "unschedule": lambda item, user: item.unschedule(user),
    "recall": lambda item, user: item.recall(user),
    "restore": lambda item, user: item.restore(user),
    "start_new_draft": lambda item, user: item.start_new_draft(user),
}

# (state, action, role) -> allowed. Roles: the author (a writer), another writer, a reviewer who
# did not edit it, the press office. Anything not listed as True must be refused.
ALLOWED = {
    ("draft", "submit", "author"), ("draft", "submit", "other_writer"), ("draft", "submit", "reviewer"),
    ("in_review", "approve", "reviewer"),
    ("in_review", "recall", "author"),
    ("superseded", "restore", "author"), ("superseded", "restore", "other_writer"), ("superseded", "restore", "reviewer"),
    ("in_review", "return_to_draft", "reviewer"),
    ("published", "withdraw", "reviewer"),
    ("scheduled", "unschedule", "reviewer"),
    ("scheduled", "start_new_draft", "author"), ("scheduled", "start_new_draft", "other_writer"),
    ("scheduled", "start_new_draft", "reviewer"),
    ("published", "start_new_draft", "author"), ("published", "start_new_draft", "other_writer"),
    ("published", "start_new_draft", "reviewer"),
    ("withdrawn", "start_new_draft", "author"), ("withdrawn", "start_new_draft", "other_writer"),
    ("withdrawn", "start_new_draft", "reviewer"),
}
EXPECTED_STATE = {
    "submit": State.IN_REVIEW, "approve": State.PUBLISHED, "return_to_draft": State.DRAFT,
    "withdraw": State.WITHDRAWN, "unschedule": State.IN_REVIEW, "start_new_draft": State.DRAFT,
    "recall": State.DRAFT, "restore": State.DRAFT,
}
STATES = ["draft", "in_review", "scheduled", "published", "withdrawn", "superseded"]
ROLES = ["author", "other_writer", "reviewer", "press_office"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_transition_matrix(make_item, state, action, role):
    """Every transition, from every state, for every role: allowed ones happen, others change nothing."""
    author = make_user(group="Writers")
    reviewer = make_user(group="Reviewers")
    actor = {
        "author": author,
        "other_writer": make_user(group="Writers"),
        "reviewer": make_user(group="Reviewers"),
        "press_office": make_user(group="Press office"),
    }[role]
    item = in_state(make_item, state, author, reviewer)
    before = (item.state, Transition.objects.count(), type(item).objects.count())
    if (state, action, role) in ALLOWED:
        result = ACTIONS[action](item, actor)
        changed = result if action in ("start_new_draft", "restore") else type(item).objects.get(pk=item.pk)
        assert changed.state == EXPECTED_STATE[action]
        assert Transition.objects.count() == before[1] + 1
        assert Transition.objects.first().actor == actor
    else:
        with pytest.raises(TransitionError):
            ACTIONS[action](item, actor)
        item.refresh_from_db()
        assert (item.state, Transition.objects.count(), type(item).objects.count()) == before


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_offered_transitions_match_the_matrix(make_item, state, role):
    """The admin offers a button for exactly the transitions the matrix allows."""
    author = make_user(group="Writers")
    reviewer = make_user(group="Reviewers")
    actor = {
        "author": author,
        "other_writer": make_user(group="Writers"),
        "reviewer": make_user(group="Reviewers"),
        "press_office": make_user(group="Press office"),
    }[role]
    item = in_state(make_item, state, author, reviewer)
    offered = {action.name for action in item.available_transitions(actor)}
    assert offered == {action for (s, action, r) in ALLOWED if s == state and r == role}


def test_reviewer_cannot_approve_a_version_they_edited_last(make_item, reviewer, reviewer2):
    """Four eyes: the last editor of a version can't approve it, even as a reviewer."""
    item = make_item(author=reviewer)
    item.submit(reviewer)
    with pytest.raises(TransitionError, match="edited this version last"):
        item.approve(reviewer)
    item.refresh_from_db()
    assert item.state == State.IN_REVIEW
    item.approve(reviewer2)
    assert item.state == State.PUBLISHED


def test_submitting_an_unedited_draft_makes_the_submitter_its_editor(make_item, reviewer):
    """A draft nobody edited (an import) counts the submitter as its editor."""
    item = make_item(author=None)
    item.submit(reviewer)
    assert not item.can("approve", reviewer)


def test_writer_cannot_publish(make_item, writer, writer2):
    item = make_item(author=writer)
    item.submit(writer)
    with pytest.raises(TransitionError):
        item.approve(writer2)
    assert Release.objects.published().count() + Advisory.objects.published().count() == 0


def test_return_to_draft_requires_a_comment(make_item, writer, reviewer):
    item = make_item(author=writer)
    item.submit(writer)
    with pytest.raises(TransitionError, match="comment is required"):
        item.return_to_draft(reviewer, "   ")
    item.refresh_from_db()
    assert item.state == State.IN_REVIEW
    item.return_to_draft(reviewer, "Add the figures.")
    assert item.state == State.DRAFT
    assert item.history().first().comment == "Add the figures."


def test_withdraw_requires_a_public_reason(make_item, writer, reviewer):
    item = publish(make_item(author=writer), reviewer)
    with pytest.raises(TransitionError, match="reason is required"):
        item.withdraw(reviewer, "")
    item.withdraw(reviewer, "Superseded by a corrected statement.")
    item.refresh_from_db()
    assert item.state == State.WITHDRAWN
    assert item.withdrawal_reason == "Superseded by a corrected statement."
    assert item.withdrawn_at is not None


def test_every_transition_is_recorded(make_item, writer, reviewer):
    """Who, when, from, to and the comment, for every move."""
    item = make_item(author=writer)
    item.submit(writer, "Ready.")
    item.return_to_draft(reviewer, "Fix the date.")
    item.submit(writer)
    item.approve(reviewer, comment="Good.")
    item.withdraw(reviewer, "Wrong event.")
    rows = list(item.history().order_by("at", "pk"))
    assert [(r.from_state, r.to_state, r.actor, r.comment) for r in rows] == [
        ("draft", "in_review", writer, "Ready."),
        ("in_review", "draft", reviewer, "Fix the date."),
        ("draft", "in_review", writer, ""),
        ("in_review", "published", reviewer, "Good."),
        ("published", "withdrawn", reviewer, "Wrong event."),
    ]
    assert all(r.at is not None and r.version == 1 for r in rows)


def test_public_keeps_the_approved_version_while_an_edit_is_in_review(make_item, writer, reviewer):
    """Editing a published item changes nothing public until the edit is approved."""
    live = publish(make_item(author=writer, title="Original title", summary="Original text."), reviewer)
    model = type(live)
    draft = live.start_new_draft(writer)
    draft.title = "Corrected title"
    draft.summary = "Corrected text."
    draft.last_edited_by = writer
    draft.save()
    draft.submit(writer)

    public = model.objects.published().get(document=live.document)
    assert (public.pk, public.title, public.summary) == (live.pk, "Original title", "Original text.")
    assert draft.slug == live.slug and draft.version == 2

    draft.approve(reviewer)
    public = model.objects.published().get(document=live.document)
    assert (public.pk, public.title, public.summary) == (draft.pk, "Corrected title", "Corrected text.")
    live.refresh_from_db()
    assert live.state == State.SUPERSEDED
    # An approved edit keeps the original publication time and records the revision time.
    assert public.published_at == live.published_at
    assert public.revised_at >= public.published_at


def test_new_draft_copies_contacts_and_programme(writer, reviewer):
    from releases.models import ProgrammeEntry

    from .factories import make_contact

    advisory = make_advisory(author=writer)
    contact = make_contact(source=advisory.source)
    advisory.contacts.add(contact)
    ProgrammeEntry.objects.create(advisory=advisory, time="17:30", description="Press conference")
    publish(advisory, reviewer)
    draft = advisory.start_new_draft(writer)
    assert list(draft.contacts.all()) == [contact]
    assert [e.description for e in draft.programme.all()] == ["Press conference"]
    assert advisory.programme.count() == 1


def test_only_one_draft_at_a_time(make_item, writer, reviewer):
    live = publish(make_item(author=writer), reviewer)
    live.start_new_draft(writer)
    with pytest.raises(TransitionError, match="newer draft"):
        live.start_new_draft(writer)


def test_approved_edit_of_public_item_cannot_be_scheduled(make_item, writer, reviewer):
    live = publish(make_item(author=writer), reviewer)
    draft = live.start_new_draft(writer)
    draft.submit(writer)
    with pytest.raises(TransitionError, match="can't be scheduled"):
        draft.approve(reviewer, publish_at=timezone.now() + timedelta(days=1))
    draft.refresh_from_db()
    assert draft.state == State.IN_REVIEW
    assert type(live).objects.published().get(document=live.document).pk == live.pk


def test_republishing_a_withdrawn_item_through_a_new_draft(make_item, writer, reviewer):
    live = publish(make_item(author=writer), reviewer)
    live.withdraw(reviewer, "Wrong date.")
    draft = live.start_new_draft(writer)
    draft.submit(writer)
    draft.approve(reviewer)
    assert type(live).objects.published().get(document=live.document).pk == draft.pk
    live.refresh_from_db()
    assert live.state == State.SUPERSEDED


def test_stale_copy_cannot_approve_twice(make_item, writer, reviewer, reviewer2):
    """A second reviewer acting on an outdated copy is refused: the state is re-read under lock."""
    item = make_item(author=writer)
    item.submit(writer)
    stale = type(item).objects.get(pk=item.pk)
    item.approve(reviewer)
    with pytest.raises(TransitionError):
        stale.approve(reviewer2)
    assert Transition.objects.filter(to_state="published").count() == 1


def test_approved_edit_of_a_scheduled_item_keeps_its_embargo(make_item, writer, reviewer):
    """Approving an edit of an item scheduled for tomorrow must not publish it today."""
    tomorrow = timezone.now() + timedelta(days=1)
    scheduled = publish(make_item(author=writer), reviewer, at=tomorrow)
    draft = scheduled.start_new_draft(writer)
    draft.submit(writer)
    draft.approve(reviewer)
    assert draft.published_at == tomorrow
    assert not type(draft).objects.published().filter(document=draft.document).exists()


# --- trust: an embargo that holds, four eyes that can't be dodged (issue 9) ---------------


def test_a_scheduled_item_is_unscheduled_not_withdrawn_and_never_goes_public(client, make_item, writer, reviewer):
    """Withdrawing an item before its embargo is refused; cancelling it sends it back to review, unseen."""
    now = timezone.now()
    item = make_item(author=writer, title="Never public")
    item.submit(writer)
    item.approve(reviewer, publish_at=now + timedelta(seconds=50))
    with pytest.raises(TransitionError, match="cancel the scheduled publication"):
        item.withdraw(reviewer, "Issued in error.")
    item.unschedule(reviewer, "Embargo moved.")
    item.refresh_from_db()
    assert (item.state, item.published_at, item.revised_at) == (State.IN_REVIEW, None, None)
    assert item.history().first().to_state == State.IN_REVIEW
    with time_machine.travel(now + timedelta(seconds=55)):
        response = client.get(item.get_absolute_url())
        assert response.status_code == 404
        assert "Never public" not in client.get("/").content.decode()


def test_an_item_withdrawn_before_its_time_stays_unseen_when_the_time_comes(client, make_item, writer, reviewer):
    """A row withdrawn while it was still scheduled (possible before the rule) shows nothing, ever."""
    now = timezone.now()
    item = make_item(author=writer, title="Never public")
    item.submit(writer)
    item.approve(reviewer, publish_at=now + timedelta(seconds=50))
    type(item).objects.filter(pk=item.pk).update(
        state=State.WITHDRAWN, withdrawn_at=now, withdrawal_reason="Issued in error.",
    )
    with time_machine.travel(now + timedelta(seconds=55)):
        response = client.get(item.get_absolute_url())
        assert response.status_code == 404
        assert not type(item).objects.public_or_withdrawn().filter(pk=item.pk).exists()


def test_a_scheduled_item_that_has_gone_public_is_withdrawn_not_unscheduled(make_item, writer, reviewer):
    """A reviewer whose page was opened before the embargo lifted is told to withdraw instead."""
    now = timezone.now()
    item = make_item(author=writer)
    item.submit(writer)
    item.approve(reviewer, publish_at=now + timedelta(seconds=10))
    with time_machine.travel(now + timedelta(seconds=20)):
        with pytest.raises(TransitionError, match="withdraw it instead"):
            item.unschedule(reviewer)
        item.refresh_from_db()
        assert item.is_public


def test_the_publication_moment_itself_is_public(make_item, writer, reviewer):
    """published_at == now is public: not a second later, not a second earlier."""
    moment = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    item = make_item(author=writer)
    item.submit(writer)
    item.approve(reviewer, publish_at=moment)
    model = type(item)
    assert not model.objects.published(now=moment - timedelta(microseconds=1)).filter(pk=item.pk).exists()
    assert model.objects.published(now=moment).filter(pk=item.pk).exists()
    assert model.objects.public_or_withdrawn(now=moment).filter(pk=item.pk).exists()
    with time_machine.travel(moment, tick=False):
        item.refresh_from_db()
        assert item.is_public and not item.is_scheduled


def test_a_stale_copy_rereads_its_last_editor_under_the_lock(make_item, writer, reviewer):
    """Four eyes hold for a copy loaded before the reviewer edited it and someone submitted it."""
    item = make_item(author=writer)
    stale = type(item).objects.get(pk=item.pk)  # last edited by the writer
    item.refresh_from_db()
    item.summary = "The reviewer's own words."
    item.save_edit(reviewer, item.revision, ["summary"])
    item.submit(writer)
    with pytest.raises(TransitionError, match="edited this version last"):
        stale.approve(reviewer)
    assert type(item).objects.get(pk=item.pk).state == State.IN_REVIEW


def test_a_transition_counts_as_a_revision_so_a_form_opened_before_it_cant_save(make_item, writer, reviewer):
    """save_edit checks the revision in its UPDATE: a copy from before a return to draft is refused."""
    from releases.workflow import StaleEdit

    item = make_item(author=writer)
    item.submit(writer)
    opened = type(item).objects.get(pk=item.pk)
    item.return_to_draft(reviewer, "Shorter, please.")
    opened.title = "From a stale form"
    with pytest.raises(StaleEdit):
        opened.save_edit(writer, opened.revision, ["title"])
    item.refresh_from_db()
    assert item.title != "From a stale form" and item.state == State.DRAFT


def test_save_edit_never_writes_a_workflow_column(make_item, writer, reviewer):
    """Even a copy with a stale state or publication time writes only content."""
    item = make_item(author=writer)
    copy = type(item).objects.get(pk=item.pk)
    copy.state, copy.published_at, copy.title = State.PUBLISHED, timezone.now(), "New title"
    copy.save_edit(writer, copy.revision, ["title", "state", "published_at"])
    item.refresh_from_db()
    assert (item.title, item.state, item.published_at) == ("New title", State.DRAFT, None)


def test_a_new_draft_carries_no_publication_time(make_item, writer, reviewer):
    """The draft of a published item isn't 'published' in any column: it can be deleted, the live edition stays."""
    live = publish(make_item(author=writer), reviewer)
    draft = live.start_new_draft(writer)
    assert (draft.published_at, draft.revised_at) == (None, None)
    draft.submit(writer)
    draft.approve(reviewer)
    live.refresh_from_db()
    assert draft.published_at == live.published_at


def test_every_action_in_the_table_has_its_method_and_appears_in_the_matrix():
    """One table: a transition added there without a method, or untested, fails here."""
    from releases.workflow import ACTIONS, Publishable

    assert {action.name for action in ACTIONS} == set(globals()["ACTIONS"])
    for action in ACTIONS:
        assert callable(getattr(Publishable, action.name))


def test_the_author_recalls_a_submission_and_it_is_recorded(make_item, writer, writer2, reviewer):
    """Recall: back to draft before review, by who wrote or submitted it; nobody else."""
    item = make_item(author=writer)
    item.submit(writer)
    with pytest.raises(TransitionError, match="a reviewer returns it"):
        item.recall(writer2)
    item.recall(writer, "Wrong figures, fixing them.")
    item.refresh_from_db()
    assert item.state == State.DRAFT
    row = item.history().first()
    assert (row.from_state, row.to_state, row.actor, row.comment) == (
        State.IN_REVIEW, State.DRAFT, writer, "Wrong figures, fixing them.",
    )


def test_restore_makes_an_earlier_version_a_new_draft_and_changes_nothing_public(make_item, writer, reviewer):
    """Restore goes through the workflow: a new draft with the old text, reviewed before it is public."""
    first = publish(make_item(author=writer, title="First wording", summary="First summary."), reviewer)
    second = first.start_new_draft(writer)
    second.title, second.summary = "Second wording", "Second summary."
    second.save_edit(writer, second.revision, ["title", "summary"])
    second.submit(writer)
    second.approve(reviewer)
    first.refresh_from_db()
    restored = first.restore(writer)
    assert (restored.state, restored.version, restored.title, restored.summary) == (
        State.DRAFT, 3, "First wording", "First summary.",
    )
    assert type(first).objects.published().get(document=first.document).pk == second.pk
    assert restored.history().first().comment == "Restored from version 1"
    with pytest.raises(TransitionError, match="Version 3 is being worked on"):
        first.restore(writer)


def test_major_and_minor_changes(make_item, writer, reviewer):
    """A major change carries a public note and moves the public 'updated' time; a minor one moves neither."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        live = publish(make_item(author=writer), reviewer)
    assert live.public_updated_at == live.published_at
    with time_machine.travel(start + timedelta(days=1), tick=False):
        minor = live.start_new_draft(writer)
        minor.summary = "Typo fixed."
        minor.save_edit(writer, minor.revision, ["summary"])
        minor.submit(writer)
        minor.approve(reviewer, major=False)
    minor.refresh_from_db()
    assert (minor.change_note, minor.public_updated_at) == ("", live.published_at)
    with time_machine.travel(start + timedelta(days=2), tick=False):
        major = minor.start_new_draft(writer)
        major.submit(writer)
        with pytest.raises(TransitionError, match="public note"):
            major.approve(reviewer, major=True, note="  ")
        major.approve(reviewer, major=True, note="Corrected the time of the press conference.")
    major.refresh_from_db()
    assert major.change_note == "Corrected the time of the press conference."
    assert major.public_updated_at == start + timedelta(days=2)
    assert major.published_at == live.published_at
    assert major.change_notes() == [(start + timedelta(days=2), "Corrected the time of the press conference.")]


def test_returned_drafts_carry_the_reviewers_comment(make_item, writer, reviewer):
    """with_last_move/returned: what the desk and the changelists mark as 'Returned'."""
    item = make_item(author=writer)
    item.submit(writer)
    item.return_to_draft(reviewer, "Shorter title, please.\nAnd check the date.")
    item.add_comment(writer, "Will do.")  # a comment doesn't hide why it was returned
    model = type(item)
    returned = model.objects.returned().get(pk=item.pk)
    assert (returned.last_action, returned.last_comment, returned.last_actor_id) == (
        "return_to_draft", "Shorter title, please.\nAnd check the date.", reviewer.pk,
    )
    item.submit(writer)
    assert not model.objects.returned().filter(pk=item.pk).exists()
