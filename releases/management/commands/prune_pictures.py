from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from releases import documents, pictures
from releases.models import Document, Picture


class Command(BaseCommand):
    help = (
        "Delete stored picture and document files that no row uses any more (left by a bulk delete or a "
        "rolled-back upload). Files younger than --min-age-minutes are kept: their upload may still be saving."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-age-minutes", type=int, default=60)

    def handle(self, *args, min_age_minutes, **options):
        storage = Picture._meta.get_field("image").storage
        used = set(Picture.objects.values_list("key", flat=True))
        older_than = timezone.now() - timedelta(minutes=min_age_minutes)
        deleted = pictures.prune(storage, used, older_than)
        used_documents = set(Document.objects.values_list("key", flat=True))
        deleted_documents = pictures.prune(storage, used_documents, older_than, root=documents.FOLDER)
        self.stdout.write(
            f"Deleted the files of {len(deleted)} unused picture(s) and {len(deleted_documents)} unused document(s)."
        )
