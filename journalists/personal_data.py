"""
Everything held about one e-mail address, exported (GDPR Art. 15) or erased
(Art. 17), across every app that keeps personal data.

An app adds its part in its ``AppConfig.ready()``::

    personal_data.register("subscriptions", export_subscriptions, erase_subscriptions)

- ``exporter(address)`` returns JSON-serialisable data (a dict or a list), or
  an empty value when the app holds nothing about the address;
- ``eraser(address)`` removes it, or keeps only what the app must prove without
  the address, and returns a short description of what it did ("2 deliveries
  anonymised"), or an empty string when there was nothing.

The address is passed normalised (``normalise_email``). ``erase`` calls every
eraser in one transaction: all of them succeed, or nothing is erased.
"""
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .models import Journalist, normalise_email

_sections = {}


def register(section, exporter, eraser):
    """Add (or replace) an app's part of the export and the erasure, under a name such as "subscriptions"."""
    _sections[section] = (exporter, eraser)


def export(address):
    """{"address", "exported_at", "sections": {section: data}} with only the sections that hold something."""
    address = normalise_email(address)
    sections = {}
    for section, (exporter, _) in _sections.items():
        data = exporter(address)
        if data:
            sections[section] = data
    return {"address": address, "exported_at": timezone.now().isoformat(), "sections": sections}


def erase(address):
    """Erase the address everywhere; returns {section: what was done} for the sections that held it."""
    address = normalise_email(address)
    done = {}
    with transaction.atomic():
        for section, (_, eraser) in _sections.items():
            if outcome := eraser(address):
                done[section] = outcome
    return done


# --- the directory's own part ---------------------------------------------------

def export_journalist(address):
    journalist = (
        Journalist.objects.with_email(address).prefetch_related("languages", "sources", "media_lists").first()
    )
    if journalist is None:
        return None
    history = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Journalist), object_id=str(journalist.pk),
    ).order_by("action_time")
    return {
        "name": journalist.name,
        "outlet": journalist.outlet,
        "email": journalist.email,
        "languages": [language.code for language in journalist.languages.all()],
        "beat_sources": [source.name for source in journalist.sources.all()],
        "beat_kinds": journalist.kinds,
        "notes": journalist.notes,
        "basis": journalist.basis,
        "basis_label": str(journalist.get_basis_display()),
        "basis_date": journalist.basis_date.isoformat(),
        "created_at": journalist.created_at.isoformat(),
        "updated_at": journalist.updated_at.isoformat(),
        "media_lists": [media_list.name for media_list in journalist.media_lists.all()],
        "admin_history": [
            {"when": entry.action_time.isoformat(), "what": entry.get_action_flag_display(),
             "change": entry.get_change_message()}
            for entry in history
        ],
    }


def erase_journalist(address):
    """
    Delete the journalist and their list memberships. The admin's history keeps
    that a journalist was changed and by whom, but no longer their name.
    """
    journalist = Journalist.objects.with_email(address).first()
    if journalist is None:
        return ""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Journalist), object_id=str(journalist.pk),
    ).update(object_repr=f"erased journalist #{journalist.pk}")
    lists = journalist.media_lists.count()
    journalist.delete()
    return f"journalist deleted, with {lists} list membership{'s' if lists != 1 else ''}"
