from django.core.management.base import BaseCommand

from notifications.services import enqueue_pending


class Command(BaseCommand):
    help = (
        "Enqueue every notification still waiting to go out (after the queue was lost or unreachable, say); "
        "each is sent once however often this runs."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{enqueue_pending()} notifications enqueued.")
