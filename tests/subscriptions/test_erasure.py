"""GDPR Art. 17 leaves no copy of the address behind: not in the admin's history, the task queue or a delivery's error text."""
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from journalists import personal_data
from subscriptions.models import Subscriber, Suppression

from .conftest import make_subscriber

pytestmark = pytest.mark.django_db


def test_the_admin_history_forgets_the_address(admin_user):
    """An edit of the subscriber and of its suppression in the admin: the history keeps who and when, not the address."""
    subscriber = make_subscriber("ana.novak@example.org")
    suppression = Suppression(email="ana.novak@example.org", reason="bounced")
    suppression.at = subscriber.created_at
    suppression.save()
    for row in (subscriber, suppression):
        LogEntry.objects.log_actions(admin_user.pk, [row], CHANGE, change_message="Changed")
    personal_data.erase("ana.novak@example.org")
    history = LogEntry.objects.filter(content_type__in=ContentType.objects.get_for_models(Subscriber, Suppression).values())
    assert history.count() == 2
    assert not history.filter(object_repr__icontains="novak").exists()


def test_confirmation_mails_waiting_or_sent_leave_the_task_queue(post_subscribe, work_the_queue):
    """The confirmation task's arguments hold the address: erased with the rest, for people who never confirmed too."""
    from django_tasks_db.models import DBTaskResult

    post_subscribe({"email": "Ion.Popescu@example.md", "kinds": "both", "frequency": "immediate"})
    work_the_queue()  # sent: its row stays in the queue's table
    post_subscribe({"email": "ion.popescu@example.md", "kinds": "releases", "frequency": "daily"})  # waiting
    post_subscribe({"email": "someone.else@example.org", "kinds": "both", "frequency": "immediate"})
    assert DBTaskResult.objects.count() == 3
    done = personal_data.erase("ion.popescu@example.md")
    assert done == {"subscriptions": "2 confirmation mails removed from the task queue"}
    [left] = DBTaskResult.objects.all()
    assert "someone.else@example.org" in str(left.args_kwargs)

