import pytest
from django.core.management import call_command
from django.test import TestCase


@pytest.fixture
def staff(writer, writer2, reviewer, reviewer2):
    """The fixture people, each with an e-mail address (nobody without one is ever written to)."""
    for user in (writer, writer2, reviewer, reviewer2):
        user.email = f"{user.username}@newsroom.example"
        user.first_name, user.last_name = {
            "writer-1": ("Ana", "Popescu"), "writer-2": ("Ben", "Ode"),
            "reviewer-1": ("Rita", "Chen"), "reviewer-2": ("Raj", "Iyer"),
        }[user.username]
        user.save()
    return writer, writer2, reviewer, reviewer2


@pytest.fixture
def committed():
    """
    Run a workflow move as if its transaction committed: the announcement after the
    commit, the outbox it writes and the enqueueing on the outbox's commit all happen.
    """
    def run(method, *args, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return method(*args, **kwargs)
    return run


@pytest.fixture
def work_the_queue():
    """The database queue's own worker, in this process: every task that is due, then it stops."""
    def run():
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    return run
