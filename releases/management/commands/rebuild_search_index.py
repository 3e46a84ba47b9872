from django.core.management.base import BaseCommand
from django.db import transaction

from releases import search
from releases.caching import public_changed
from releases.models import Advisory, Release


class Command(BaseCommand):
    help = (
        "Refill the full-text search index from the published editions, after a restore or a bulk load "
        "that bypassed the workflow (whose transitions keep the index in step)."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            indexed = search.rebuild_index([Release, Advisory])
            # Search results may differ now: cached pages and validators must not outlive that.
            public_changed()
        self.stdout.write(f"Search index: {indexed} published editions indexed.")
