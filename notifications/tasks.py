"""Background work, through Django's Tasks API: the worker runs these, never a request."""
from django_tasks import task

from . import services


@task()
def deliver_notification(notification_id):
    """Send one outbox row, if it is still due and unsent (so running it twice sends once)."""
    return services.deliver(notification_id)
