"""
Each notification is sent exactly once by real worker processes (``manage.py db_worker``,
the database queue) to a real SMTP server (aiosmtpd) on this machine.

The newsroom side runs in its own processes too (tests/notifications/scenario.py), against
a database file (SQLite) or, when the suite runs on PostgreSQL, the test database itself.
"""
import email
import email.policy
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """What the SMTP server accepted: (recipient, subject) pairs."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for recipient in envelope.rcpt_tos:
            self.received.append((recipient, str(message["Subject"]).strip()))  # Django folds after "Subject:"
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    yield server, inbox
    server.stop()


@pytest.fixture
def database_url(request, tmp_path):
    """A database the worker processes share with the scenario's: the PostgreSQL test database, or an SQLite file."""
    if connection.vendor == "postgresql":
        request.getfixturevalue("transactional_db")  # committed for the other processes, emptied afterwards
        db = connection.settings_dict
        return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    url = f"sqlite:///{tmp_path / 'newsroom.sqlite3'}"
    run(["manage.py", "migrate", "--noinput"], url)
    return url


def environment(database_url, smtp_port=None):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings.test",
        "DATABASE_URL": database_url,
        "TASKS_BACKEND": "database",
        "PYTHONPATH": str(ROOT),
    }
    if smtp_port:
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    return env


def run(args, database_url, smtp_port=None):
    subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment(database_url, smtp_port), check=True,
        capture_output=True, timeout=120,
    )


def wait_for(inbox, count, seconds=60):
    deadline = time.monotonic() + seconds
    while len(inbox.received) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def test_each_person_gets_each_notification_once_from_real_workers(smtp, database_url):
    """Two workers on one queue, a scheduled item going live, then every task enqueued again: one mail per person and event."""
    server, inbox = smtp
    run(["-m", "tests.notifications.scenario", "people"], database_url)
    run(["-m", "tests.notifications.scenario", "loop"], database_url)
    worker = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]
    env = environment(database_url, server.port)
    workers = [
        subprocess.Popen(worker, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    try:
        wait_for(inbox, 8)
        time.sleep(1)  # long enough for a duplicate to arrive, if one were coming
    finally:
        for process in workers:
            process.terminate()
        errors = [process.communicate(timeout=30)[1].decode() for process in workers]
    assert all(process.returncode == 0 for process in workers), errors

    expected = Counter({
        ("reviewer@newsroom.example", "[Newsroom] Submitted for review: “Summit in Chișinău”"): 2,
        ("reviewer2@newsroom.example", "[Newsroom] Submitted for review: “Summit in Chișinău”"): 2,
        ("writer@newsroom.example", "[Newsroom] Returned to draft: “Summit in Chișinău”"): 1,
        ("reviewer@newsroom.example", "[Newsroom] New comment: “Summit in Chișinău”"): 1,
        ("writer@newsroom.example", "[Newsroom] Approved and scheduled: “Summit in Chișinău”"): 1,
        ("writer@newsroom.example", "[Newsroom] Now live: “Summit in Chișinău”"): 1,
    })
    assert Counter(inbox.received) == expected

    run(["-m", "tests.notifications.scenario", "again"], database_url)
    run(["manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay"], database_url, server.port)
    assert Counter(inbox.received) == expected
