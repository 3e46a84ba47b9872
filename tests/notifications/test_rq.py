"""
The production queue: tasks in Redis through django-tasks-rq, worked by ``manage.py rqworker``
processes (as on several machines), mail to a real SMTP server. Needs REDIS_URL (CI's second pass).
"""
import os
import time
from collections import Counter

import pytest

from .processes import run, start, stop, wait_for
from .test_real_worker import EXPECTED

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs Redis for the RQ queue: set REDIS_URL=redis://127.0.0.1:6379/N (make test-postgres sets it)",
)


@pytest.fixture
def empty_queue():
    """The RQ queue in REDIS_URL's database, emptied before and after (nothing left over from another run)."""
    import django_rq
    from rq.registry import ScheduledJobRegistry
    from rq.scheduler import RQScheduler

    queue = django_rq.get_queue("default")

    def empty():
        queue.empty()
        scheduled = ScheduledJobRegistry(queue=queue)
        for job_id in scheduled.get_job_ids():
            scheduled.remove(job_id, delete_job=True)
        # A worker stopped by a signal leaves its scheduler's lock for a minute; the next run's would wait.
        queue.connection.delete(RQScheduler.get_locking_key(queue.name))

    empty()
    yield queue
    empty()


def test_rq_workers_send_each_notification_once(smtp, database_url, empty_queue):
    """Moves enqueue into Redis; two rqworker processes (one scheduling) deliver once; a second enqueue sends nothing."""
    server, inbox = smtp
    run(["-m", "tests.notifications.scenario", "people"], database_url, tasks_backend="rq")
    run(["-m", "tests.notifications.scenario", "loop"], database_url, tasks_backend="rq")
    assert empty_queue.count > 0 and inbox.received == []  # waiting in Redis, not sent by the request

    worker = ["manage.py", "rqworker", "default", "--with-scheduler", "--job-class", "django_tasks_rq.Job"]
    workers = [start(worker, database_url, server.port, tasks_backend="rq") for _ in range(2)]
    try:
        wait_for(inbox, sum(EXPECTED.values()))
        time.sleep(1)
    finally:
        errors = stop(workers)
    assert Counter(inbox.received) == EXPECTED, errors

    run(["-m", "tests.notifications.scenario", "again"], database_url, tasks_backend="rq")
    run(["manage.py", "rqworker", "default", "--burst", "--job-class", "django_tasks_rq.Job"], database_url, server.port, tasks_backend="rq")
    assert Counter(inbox.received) == EXPECTED
