from django.core.management.base import BaseCommand
from django.db import transaction

from releases import public, search
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
            public.changed(keys={public.LISTS})
        self.stdout.write(f"Search index: {indexed} published editions indexed.")
