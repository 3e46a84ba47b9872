"""Enqueueing background work through Django's Tasks API, shared by the apps that send mail."""
from datetime import timedelta

from django.utils import timezone


def enqueue_at(task, due_at, *args):
    """Enqueue ``task(*args)`` to run at ``due_at``, never before (RQ schedules to the whole second,
    rounding down: round up instead); at once when ``due_at`` has come."""
    if due_at > timezone.now():
        return task.using(run_after=due_at.replace(microsecond=0) + timedelta(seconds=1)).enqueue(*args)
    return task.enqueue(*args)
