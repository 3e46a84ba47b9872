"""Background work, through Django's Tasks API: the confirmation mail never goes out in the request."""
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django_tasks import task

from . import links


@task()
def send_confirmation(email, source_ids, kinds, frequency):
    """The one mail an address gets before it confirms: the signed, expiring confirmation link."""
    from releases.models import Source

    from .models import Frequency, Kinds

    context = {
        "confirm_url": links.confirmation_url(email, source_ids, kinds, frequency),
        "sources": list(Source.objects.filter(pk__in=source_ids)),
        "kinds": Kinds(kinds).label,
        "frequency": Frequency(frequency).label.lower(),
        "days": links.confirm_days(),
        "site": settings.NEWSROOM_BASE_URL,
    }
    EmailMessage(
        subject=gettext("Confirm your Newsroom subscription"),
        body=render_to_string("subscriptions/confirmation_email.txt", context),
        to=[email],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()
