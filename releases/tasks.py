"""Background work of the public side, through Django's Tasks API: the worker runs these, never a request."""
from datetime import timedelta

from django.apps import apps
from django.utils import timezone
from django_tasks import task

#: Retries of a failed purge, after 2, 4, 8 … seconds (about 34 minutes in all).
PURGE_ATTEMPTS = 11


@task()
def purge_keys(keys, attempt):
    """Purge ``keys`` from the shared HTTP cache (``releases/purge.py``); on failure, try again later."""
    from . import purge

    if purge.send(keys) and attempt < PURGE_ATTEMPTS:
        purge_keys.using(run_after=timezone.now() + timedelta(seconds=2 ** attempt)).enqueue(keys, attempt + 1)
        return False
    return True


@task()
def build_media_kit(model_label, pk):
    """Zip a large media kit into storage, once per edition; nothing for an edition no longer public."""
    from . import documents
    from .models import Document

    model = apps.get_model(model_label)
    item = model.objects.published().prefetch_related("pictures", "documents").filter(pk=pk).first()
    if item is None:
        return None
    return documents.build_kit(item, Document._meta.get_field("file").storage)
