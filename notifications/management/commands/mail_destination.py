from django.conf import settings
from django.core.management.base import BaseCommand


def mail_destination():
    """Where the e-mail this configuration sends ends up, in a sentence."""
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    return {
        "console": "printed in this terminal by the worker (console backend); set EMAIL_URL to send it",
        "filebased": f"written as files into {settings.EMAIL_FILE_PATH}",
        "smtp": f"sent through the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}",
        "locmem": "kept in memory (tests)",
        "dummy": "thrown away (dummy backend)",
    }.get(backend, f"handed to {settings.EMAIL_BACKEND}")


class Command(BaseCommand):
    help = "Say where e-mail goes with the current settings (EMAIL_URL or the EMAIL_* variables)."

    def handle(self, *args, **options):
        self.stdout.write(f"Mail: {mail_destination()}.")
