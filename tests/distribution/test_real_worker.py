"""
Real worker processes (``manage.py db_worker``) send a publication to a real SMTP server
(aiosmtpd) on this machine: each address once with two workers racing, and no row
recorded as sent is sent again after a worker is killed mid-batch and work resumes.
On PostgreSQL the workers claim with SELECT … FOR UPDATE SKIP LOCKED; on SQLite with
conditional updates.
"""
import asyncio
import email
import email.policy
import os
import signal
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from tests.notifications.processes import free_port, run, start, stop

WORKER = ["manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]


class Inbox:
    """What the server accepted: (recipient, Message-ID); each message takes ``delay`` seconds."""

    def __init__(self, delay=0.0):
        self.received = []
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for recipient in envelope.rcpt_tos:
            if recipient.endswith("@press.example"):  # not the staff's own notifications of the review
                self.received.append((recipient, str(message["Message-ID"])))
        return "250 Message accepted for delivery"


@pytest.fixture
def slow_smtp():
    inbox = Inbox(delay=0.02)
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    yield server, inbox
    server.stop()


def wait_for(inbox, count, seconds=90):
    deadline = time.monotonic() + seconds
    while len(inbox.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_two_workers_send_each_address_once(slow_smtp, database_url):
    """Two workers, four tasks for one publication racing for its rows: every address gets exactly one mail."""
    server, inbox = slow_smtp
    run(["-m", "tests.distribution.scenario", "setup", "300"], database_url)
    run(["-m", "tests.distribution.scenario", "approve"], database_url)
    run(["-m", "tests.distribution.scenario", "again"], database_url)
    workers = [start(WORKER, database_url, server.port) for _ in range(2)]
    try:
        wait_for(inbox, 300)
        time.sleep(1)  # long enough for a duplicate to arrive, if one were coming
    finally:
        errors = stop(workers)
    assert [process.returncode for process in workers] == [0, 0], errors
    counts = Counter(recipient for recipient, _ in inbox.received)
    assert len(counts) == 300 and set(counts.values()) == {1}


def sent_rows(database_url):
    """(address, Message-ID) of the rows the database records as sent, read by a process of its own."""
    import subprocess
    import sys

    from tests.notifications.processes import ROOT, environment

    code = (
        "import django; django.setup(); from distribution.models import Delivery; "
        "print('\\n'.join(f'{a} {m}' for a, m in Delivery.objects.filter(state='sent').values_list('address', 'message_id')))"
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment(database_url),
                            capture_output=True, text=True, check=True).stdout
    return dict(line.split(" ", 1) for line in output.splitlines() if line)


def test_worker_killed_mid_batch_sends_no_sent_row_again(slow_smtp, database_url, monkeypatch):
    """
    Killed (SIGKILL) in the middle of a batch, then the waiting work enqueued again and a new
    worker started: everyone gets the mail, and no row recorded as sent before the kill goes twice.
    A row the server accepted but the worker could not record may go twice, with the same Message-ID.
    """
    monkeypatch.setenv("NEWSROOM_DELIVERY_CLAIM_SECONDS", "1")
    server, inbox = slow_smtp
    run(["-m", "tests.distribution.scenario", "setup", "250"], database_url)
    run(["-m", "tests.distribution.scenario", "approve"], database_url)
    worker = start(WORKER, database_url, server.port)
    wait_for(inbox, 130)  # past the first batch of 100, inside the second
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    worker.log.close()
    recorded = sent_rows(database_url)
    before = len(inbox.received)
    assert 100 <= len(recorded) < 250 and before < 250

    time.sleep(1.5)  # the dead worker's claims expire
    run(["-m", "tests.distribution.scenario", "waiting"], database_url)
    run(["manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay"], database_url, server.port)

    counts = Counter(recipient for recipient, _ in inbox.received)
    assert len(counts) == 250
    assert all(counts[address] == 1 for address in recorded)
    twice = [address for address, count in counts.items() if count > 1]
    assert len(twice) <= 1  # at most the one in flight when the worker died
    for address in twice:
        assert len({message_id for recipient, message_id in inbox.received if recipient == address}) == 1
    assert set(sent_rows(database_url)) == set(counts)
