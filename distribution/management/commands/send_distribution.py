from django.core.management.base import BaseCommand

from distribution import services


class Command(BaseCommand):
    help = (
        "Enqueue the sending of every publication with deliveries waiting, or held by a worker that died "
        "(claimed longer ago than NEWSROOM_DELIVERY_CLAIM_SECONDS). Safe to run at any time: a row is sent once."
    )

    def handle(self, *args, **options):
        count = services.enqueue_waiting()
        self.stdout.write(f"{count} publication{'s' if count != 1 else ''} enqueued.")
