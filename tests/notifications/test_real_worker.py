"""
Each notification is sent exactly once by real worker processes (``manage.py db_worker``,
the database queue) to a real SMTP server (aiosmtpd) on this machine.

The newsroom side runs in its own processes too (tests/notifications/scenario.py), against
a database file (SQLite) or, when the suite runs on PostgreSQL, the test database itself.
"""
import time
from collections import Counter

from .processes import run, start, stop, wait_for

#: A review loop round twice, the approval scheduled (scenario.py): who receives what, how often.
EXPECTED = Counter({
    ("reviewer@newsroom.example", "[Newsroom] Submitted for review: “Summit in Chișinău”"): 2,
    ("reviewer2@newsroom.example", "[Newsroom] Submitted for review: “Summit in Chișinău”"): 2,
    ("writer@newsroom.example", "[Newsroom] Returned to draft: “Summit in Chișinău”"): 1,
    ("reviewer@newsroom.example", "[Newsroom] New comment: “Summit in Chișinău”"): 1,
    ("writer@newsroom.example", "[Newsroom] Approved and scheduled: “Summit in Chișinău”"): 1,
    ("writer@newsroom.example", "[Newsroom] Now live: “Summit in Chișinău”"): 1,
})


def test_each_person_gets_each_notification_once_from_real_workers(smtp, database_url):
    """Two workers on one queue, a scheduled item going live, then every task enqueued again: one mail per person and event."""
    server, inbox = smtp
    run(["-m", "tests.notifications.scenario", "people"], database_url)
    run(["-m", "tests.notifications.scenario", "loop"], database_url)
    worker = ["manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]
    workers = [start(worker, database_url, server.port) for _ in range(2)]
    try:
        wait_for(inbox, sum(EXPECTED.values()))
        time.sleep(1)  # long enough for a duplicate to arrive, if one were coming
    finally:
        errors = stop(workers)
    assert [process.returncode for process in workers] == [0, 0], errors
    assert Counter(inbox.received) == EXPECTED

    run(["-m", "tests.notifications.scenario", "again"], database_url)
    run(["manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay"], database_url, server.port)
    assert Counter(inbox.received) == EXPECTED
