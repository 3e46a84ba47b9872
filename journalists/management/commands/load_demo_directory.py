"""
The demo's media directory: a few journalists (at example addresses, which reach nobody; in
development mail is printed, not sent) on a chosen list and a criteria list, so that a press
officer trying `make run` finds lists to send to. Running it again changes nothing.
"""
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from journalists.models import Journalist, Language, MediaList
from releases.models import Source

JOURNALISTS = [
    # name, outlet, address, languages, sources covered, kinds
    ("Ana Novák", "Deník N", "ana.novak@denikn.example", ["cs", "en"], ["NATO"], "both"),
    ("Ion Popescu", "Radio Chișinău", "ion.popescu@radiochisinau.example", ["ro", "en"], ["NATO"], "releases"),
    ("Sofie Janssens", "De Standaard", "sofie.janssens@standaard.example", ["nl", "fr", "en"], ["NATO", "Europol"], "both"),
    ("Marc Dubois", "Agence Europe", "marc.dubois@agenceeurope.example", ["fr"], ["Europol"], "advisories"),
]


class Command(BaseCommand):
    help = "Load the demo's media directory: four journalists, a chosen list and a criteria list."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("load_demo_directory is demo data: run it with DEBUG on only.")
        with transaction.atomic():
            people = []
            for name, outlet, email, languages, sources, kinds in JOURNALISTS:
                journalist, _ = Journalist.objects.get_or_create(email=email, defaults={
                    "name": name, "outlet": outlet, "kinds": kinds,
                    "basis": Journalist.Basis.PROFESSIONAL, "basis_date": date(2023, 1, 10),
                })
                journalist.languages.set(Language.objects.filter(code__in=languages))
                journalist.sources.set(Source.objects.filter(name__in=sources))
                people.append(journalist)
            chosen, _ = MediaList.objects.get_or_create(name="Summit correspondents", defaults={
                "kind": MediaList.Kind.STATIC, "description": "Accredited for the summit week.",
            })
            chosen.journalists.set(people[:3])
            nato, _ = MediaList.objects.get_or_create(name="Covers NATO", defaults={
                "kind": MediaList.Kind.CRITERIA, "description": "Everyone whose beat includes NATO.",
            })
            nato.sources.set(Source.objects.filter(name="NATO"))
        self.stdout.write(f"Demo media directory: {len(people)} journalists, 2 media lists.")
