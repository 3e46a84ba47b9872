"""
The newsroom side of the real-worker test (test_real_worker.py), run as its own process:
``python -m tests.notifications.scenario people|loop|again`` against DATABASE_URL.
"""
import sys
from datetime import timedelta

import django


def people():
    """The roles, a writer and two reviewers with addresses, and one release."""
    from releases.roles import setup_roles
    from tests.factories import make_release, make_user

    setup_roles()
    writer = make_user("writer", group="Writers", email="writer@newsroom.example")
    make_user("reviewer", group="Reviewers", email="reviewer@newsroom.example")
    make_user("reviewer2", group="Reviewers", email="reviewer2@newsroom.example")
    make_release(title="Summit in Chișinău", author=writer)


def loop():
    """Round the loop twice, the last approval scheduled a few seconds ahead."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from releases.models import Release

    users = {user.username: user for user in get_user_model().objects.all()}
    release = Release.objects.get()
    release.submit(users["writer"])
    release.return_to_draft(users["reviewer"], "Add the venue, please.")
    release.add_comment(users["writer"], "Done: Palace of the Republic.")
    release.submit(users["writer"])
    release.approve(users["reviewer2"], publish_at=timezone.now() + timedelta(seconds=4))


def again():
    """Every delivery enqueued a second time, as a retry or a duplicate would."""
    from django.core.management import call_command

    from notifications.models import Notification
    from notifications.tasks import deliver_notification

    for pk in Notification.objects.values_list("pk", flat=True):
        deliver_notification.enqueue(pk)
    call_command("send_notifications")


if __name__ == "__main__":
    django.setup()
    {"people": people, "loop": loop, "again": again}[sys.argv[1]]()
