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
def work_the_queue(monkeypatch):
    """The database queue's own worker, in this process: every task that is due, then it stops."""
    from django_tasks_db.management.commands import db_worker

    # The worker closes stale connections between tasks, as a request does; Django's test client stops
    # that for requests, and so do we here: the connection holds the test's transaction.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run():
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    return run


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1, for the worker processes: (server, inbox)."""
    from aiosmtpd.controller import Controller

    from .processes import Inbox, free_port

    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    yield server, inbox
    server.stop()


@pytest.fixture
def database_url(transactional_db, tmp_path):
    """
    A database worker processes share with the test: on PostgreSQL the test database itself
    (transactional_db: what the processes commit is seen by all and emptied afterwards), else a
    migrated SQLite file (the test database is in memory, out of their reach).
    """
    from django.db import connection

    from .processes import run

    if connection.vendor == "postgresql":
        db = connection.settings_dict
        return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    url = f"sqlite:///{tmp_path / 'newsroom.sqlite3'}"
    run(["manage.py", "migrate", "--noinput"], url)
    return url
