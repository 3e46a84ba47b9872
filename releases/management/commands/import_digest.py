from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from releases.importers import DigestError, import_digest


class Command(BaseCommand):
    help = (
        "Import a press digest (UTF-8 text). New items go to review, or are published at once with --publish; "
        "items already present (same source, title and text) are skipped. A malformed digest is refused, naming the "
        "line, and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("digest", help="Path to the digest file.")
        parser.add_argument(
            "--publish", action="store_true",
            help="Publish new items at once (for archive migration), keeping the digest's order.",
        )

    def handle(self, *args, digest, publish, **options):
        path = Path(digest)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Can't read {digest}: {error.strerror}.") from error
        try:
            result = import_digest(data, publish=publish, name=path.name)
        except DigestError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(result))
