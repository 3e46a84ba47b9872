from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from releases.importers import DigestError, import_digest


def iso_date(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date: write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Import a press digest (UTF-8 text). New items go to review, or are published with --publish, dated "
        "--published-on (the digest's date) or by a --dates file, else now; items already present (same source, "
        "title and text) are skipped. A malformed digest is refused, naming the line, and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("digest", help="Path to the digest file.")
        parser.add_argument(
            "--publish", action="store_true",
            help="Publish new items (for archive migration), keeping the digest's order.",
        )
        parser.add_argument(
            "--published-on", metavar="YYYY-MM-DD",
            help="With --publish: the day the digest's items were first published (default: now, for today's digest).",
        )
        parser.add_argument(
            "--dates", metavar="FILE",
            help="With --publish: a dates file giving items their own day, one 'YYYY-MM-DD  Title' a line.",
        )

        parser.add_argument(
            "--language", metavar="CODE",
            help="The language of the digest's items, one of NEWSROOM_LANGUAGES (default: the site's default).",
        )
        parser.add_argument(
            "--translation-of", metavar="URL_OR_ID",
            help="Link the digest's one item, as a translation, to this original: its public address (/releases/<slug>/), "
                 "its original URL or its id.",
        )

    def handle(self, *args, digest, publish, published_on, dates, language, translation_of, **options):
        if (published_on or dates) and not publish:
            raise CommandError("--published-on and --dates date a publication: use them with --publish.")
        published_on = iso_date(published_on) if published_on else None
        data = self.read(digest)
        dates_data = self.read(dates) if dates else None
        path = Path(digest)
        try:
            result = import_digest(
                data, publish=publish, name=path.name, published_on=published_on, dates=dates_data, language=language,
                translation_of=translation_of,
            )
        except (DigestError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(result))

    def read(self, name):
        try:
            return Path(name).read_bytes()
        except OSError as error:
            raise CommandError(f"Can't read {name}: {error.strerror}.") from error
