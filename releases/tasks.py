"""Background work for releases, through Django's Tasks API: the worker runs these, never a request."""
from django.apps import apps
from django_tasks import task

from . import documents
from .models import Document


@task()
def build_media_kit(model_label, pk):
    """Zip a large media kit into storage, once per edition; nothing for an edition no longer public."""
    model = apps.get_model(model_label)
    item = model.objects.published().prefetch_related("pictures", "documents").filter(pk=pk).first()
    if item is None:
        return None
    return documents.build_kit(item, Document._meta.get_field("file").storage)
