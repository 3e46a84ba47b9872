from django.core.management.base import BaseCommand

from releases.roles import setup_roles


class Command(BaseCommand):
    help = "Create or update the Writers, Reviewers and Press office groups with their permissions (idempotent)."

    def handle(self, *args, **options):
        for group, count in setup_roles():
            self.stdout.write(f"{group.name}: {count} permissions")
