"""
What only PostgreSQL shows: row locks between concurrent transactions.

SQLite locks the whole file and ignores `select_for_update()`, so these tests run
only when DATABASE_URL points at PostgreSQL (`make test-postgres`; CI runs them).
"""
import threading

import pytest
from django.db import connection, transaction

from releases.workflow import State, Transition, TransitionError

from .factories import make_release

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_other_connection(work):
    """Run `work` in a thread, i.e. in its own database connection and transaction; return its outcome."""
    outcome = {}

    def run():
        try:
            outcome["result"] = work()
        except Exception as error:  # the test inspects whatever happened
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_two_reviewers_approving_at_once_publish_once(writer, reviewer, reviewer2):
    """The second approval waits for the first one's row lock, then sees the new state and is refused."""
    release = make_release(author=writer, title="Joint statement")
    release.submit(writer)
    stale_copy = type(release).objects.get(pk=release.pk)  # what the second reviewer's page was built from

    with transaction.atomic():
        release.approve(reviewer)  # holds the row lock until this block commits
        thread, outcome = in_other_connection(lambda: stale_copy.approve(reviewer2))
        thread.join(timeout=1)
        assert thread.is_alive(), "the second approval should wait for the first one's lock"
    thread.join(timeout=10)
    assert not thread.is_alive()

    assert isinstance(outcome.get("error"), TransitionError), outcome
    release.refresh_from_db()
    assert release.state == State.PUBLISHED
    published = Transition.objects.filter(object_id=release.pk, to_state=State.PUBLISHED)
    assert [t.actor for t in published] == [reviewer]


def test_approve_and_return_at_once_apply_only_the_first(writer, reviewer, reviewer2):
    release = make_release(author=writer, title="Operation results")
    release.submit(writer)
    stale_copy = type(release).objects.get(pk=release.pk)

    with transaction.atomic():
        release.return_to_draft(reviewer, "Please add the figures.")
        thread, outcome = in_other_connection(lambda: stale_copy.approve(reviewer2))
        thread.join(timeout=1)
        assert thread.is_alive()
    thread.join(timeout=10)

    assert isinstance(outcome.get("error"), TransitionError), outcome
    release.refresh_from_db()
    assert release.state == State.DRAFT
    assert not Transition.objects.filter(object_id=release.pk, to_state=State.PUBLISHED).exists()
