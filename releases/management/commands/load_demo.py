from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from releases import languages
from releases.demo.topics import load_topics
from releases.importers import import_digest
from releases.models import Advisory, Contact, Source
from releases.roles import setup_roles
from releases.translations import Translation, translate

DIGEST = Path(__file__).resolve().parents[2] / "demo" / "digest.txt"
#: Each item's publication day, the date its text states (the rule is in docs/import.md).
DIGEST_DATES = DIGEST.with_suffix(".dates")
#: The digest's own date, for the items whose text states none: the newest date its items state.
DIGEST_PUBLISHED_ON = date(2023, 11, 8)

SOURCES = {
    "NATO": {
        "website": "https://www.nato.int",
        "description": "The North Atlantic Treaty Organization: press releases, speeches and media advisories.",
    },
    "Europol": {
        "website": "https://www.europol.europa.eu",
        "description": "The European Union Agency for Law Enforcement Cooperation.",
    },
}
CONTACTS = [
    {"source": "NATO", "name": "NATO Press Office", "kind": Contact.Kind.OFFICE, "role": "Press and Media",
     "email": "press@hq.nato.int", "phone": "+32 2 707 50 41", "is_public": True},
]
#: One demo item in French, so that ``/fr/`` and the language switch show a translation in ``make run``
#: (when French is one of the newsroom's languages, as in the development settings): NATO's media
#: advisory, which NATO publishes in French too. The wording is the demo's own translation.
FRENCH = {
    "original": "NATO Secretary General meets with the President of Hungary",
    "fields": {
        "title": "Le secrétaire général de l’OTAN rencontre la présidente de la Hongrie",
        "summary": (
            "Le mercredi 8 novembre 2023, le secrétaire général de l’OTAN, M. Jens Stoltenberg, rencontrera la "
            "présidente de la Hongrie, Mme Katalin Novák, au siège de l’OTAN. Le secrétaire général et la "
            "présidente donneront une conférence de presse conjointe au siège de l’OTAN à l’issue de leur entretien."
        ),
        "body": (
            "<p>Le mercredi 8 novembre 2023, le secrétaire général de l’OTAN, M. Jens Stoltenberg, rencontrera la "
            "présidente de la Hongrie, Mme Katalin Novák, au siège de l’OTAN. Le secrétaire général et la "
            "présidente donneront une conférence de presse conjointe au siège de l’OTAN à l’issue de leur "
            "entretien.</p>"
        ),
        "venue": "Siège de l’OTAN",
        "accreditation": (
            "Les représentants des médias titulaires d’une accréditation annuelle auprès de l’OTAN pour 2023 "
            "peuvent couvrir la conférence de presse sur place."
        ),
        "live_stream": "Les déclarations à la presse seront retransmises en direct sur le site web de l’OTAN.",
        "video_download": (
            "La vidéo pourra être téléchargée gratuitement sur le portail multimédia de l’OTAN après l’événement."
        ),
        "transcript": (
            "La transcription des propos du secrétaire général, ainsi que les photos prises par les photographes "
            "de l’OTAN, seront disponibles sur le site web de l’OTAN."
        ),
    },
    "programme": {
        "Press conference by the NATO Secretary General and the President of Hungary":
            "Conférence de presse du secrétaire général de l’OTAN et de la présidente de la Hongrie",
    },
}

#: Development accounts: username -> (group, password). Printed by the command; never in production.
ACCOUNTS = {
    "writer": ("Writers", "writer-demo-2023"),
    "reviewer": ("Reviewers", "reviewer-demo-2023"),
    "pressoffice": ("Press office", "pressoffice-demo-2023"),
}


class Command(BaseCommand):
    help = "Load the demo newsroom: roles, the seed digest published, the NATO Press Office, demo accounts."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("load_demo creates accounts with known passwords: run it with DEBUG on only.")
        setup_roles()
        with transaction.atomic():
            result = import_digest(DIGEST, publish=True, published_on=DIGEST_PUBLISHED_ON, dates=DIGEST_DATES)
            for name, details in SOURCES.items():
                Source.objects.filter(name=name).update(**details)
            for contact in CONTACTS:
                source = Source.objects.get(name=contact["source"])
                Contact.objects.update_or_create(
                    source=source, name=contact["name"],
                    defaults={k: v for k, v in contact.items() if k not in ("source", "name")},
                )
            load_topics()
            created_accounts = self.create_accounts()
            translated = self.translate_into_french()
        self.stdout.write(f"Demo content: {len(result.created)} created, {len(result.existing)} already present.")
        if translated:
            self.stdout.write(f"In French: {translated.get_absolute_url()}")
        self.stdout.write("Demo accounts (development only) at http://127.0.0.1:8000/admin/:")
        for username, (group, password) in ACCOUNTS.items():
            note = "created" if username in created_accounts else "exists"
            self.stdout.write(f"  {username:<12} password {password:<22} ({group}, {note})")

    def translate_into_french(self):
        """``FRENCH``, translated by the demo writer and published on its original's date (once; None if it exists)."""
        if "fr" not in languages.codes():
            return None
        original = Advisory.objects.published().get(title=FRENCH["original"], language=languages.default_language())
        group = Translation.objects.filter(document=original.document).values("group")
        if Translation.objects.filter(group__in=group, language="fr").exists():
            return None
        User = get_user_model()
        writer = User.objects.get(username="writer")
        draft = translate(original, "fr", writer)
        for name, value in FRENCH["fields"].items():
            setattr(draft, name, value)
        draft.save_edit(writer, draft.revision, list(FRENCH["fields"]))
        for entry in draft.programme.all():
            entry.description = FRENCH["programme"].get(entry.description, entry.description)
            entry.save(update_fields=["description"])
        # Published on the original's date, as NATO publishes both (never the load date: see docs/import.md);
        # a new, never-public item may take a past date only as a trusted import does.
        draft.receive_import(publish_at=original.published_at, comment="Demo translation, published with its original")
        return draft

    def create_accounts(self):
        User = get_user_model()
        created = []
        for username, (group, password) in ACCOUNTS.items():
            user, was_created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
            if was_created:
                user.set_password(password)
                created.append(username)
            if not user.email:
                # An address, so that the demo's review loop sends its notifications (to the console).
                user.email = f"{username}@newsroom.localhost"
            user.save()
            user.groups.add(Group.objects.get(name=group))
        return created
