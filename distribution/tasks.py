"""Background work, through Django's Tasks API: the worker runs these, never a request."""
from django_tasks import task

from . import services


@task()
def send_publication(publication_id):
    """Send a publication's due rows (so running it twice, or on two workers, sends each row once)."""
    return services.send_publication(publication_id)
