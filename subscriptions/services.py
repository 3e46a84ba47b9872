"""Steps that touch several models, the cache or the mail: subscribing, confirming, leaving, erasing."""
import hashlib
import json
from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from journalists.models import normalise_email

from .models import Subscriber, Subscription, Suppression, address_hash

HOUR = 3600


# --- rate limits ---------------------------------------------------------------------------

def over_limit(kind, value, limit, window=HOUR):
    """
    Count one more request for (kind, value) in the shared cache (Redis in production, so
    every worker counts together); True once there were more than ``limit`` in the window.
    The value is hashed: no address or IP stands in the cache in clear.
    """
    key = "subscriptions:rate:%s:%s" % (kind, hashlib.sha256(value.encode()).hexdigest()[:32])
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count > limit


def client_limited(ip):
    return over_limit("client", ip or "unknown", getattr(settings, "SUBSCRIPTIONS_PER_CLIENT_PER_HOUR", 10))


def address_limited(email):
    return over_limit("address", email, getattr(settings, "SUBSCRIPTIONS_PER_ADDRESS_PER_HOUR", 3))


# --- subscribing -------------------------------------------------------------------------------

def request_subscription(email, sources, kinds, frequency):
    """
    Send the confirmation mail, in the background once the request's transaction commits.
    Nothing is read or written about the address here: the answer and its timing are the
    same whether it is known or not.
    """
    from .tasks import send_confirmation

    source_ids = [source.pk for source in sources]
    transaction.on_commit(lambda: send_confirmation.enqueue(email, source_ids, kinds, frequency))


def confirm(request):
    """
    Carry out a confirmed request (from ``links.read_confirmation``): the subscriber is
    active again, the address no longer suppressed, and the subscription added or merged
    with one of the same kinds and frequency. Returns the subscriber, or None when the
    request is older than the address's last unsubscription or bounce (an old link must
    not undo a later "stop").
    """
    email = normalise_email(request["e"])
    asked_at = datetime.fromtimestamp(request["t"], tz=dt_timezone.utc)
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.select_for_update().get_or_create(email=email)
        suppression = Suppression.objects.filter(address_hash=address_hash(email)).first()
        stopped = [at for at in (subscriber.unsubscribed_at, suppression and suppression.at) if at]
        if any(at > asked_at for at in stopped):
            return None
        if suppression:
            suppression.delete()
        now = timezone.now()
        subscriber.confirmed_at = subscriber.confirmed_at or now
        subscriber.unsubscribed_at = None
        subscriber.save()
        from releases.models import Source

        sources = list(Source.objects.filter(pk__in=request["s"]))
        if request["s"] and not sources:
            sources = None  # every source named is gone: nothing sensible to subscribe to
        if sources is not None:
            add_subscription(subscriber, sources, request["k"], request["f"])
    return subscriber


def add_subscription(subscriber, sources, kinds, frequency):
    """Merge with a subscription of the same kinds and frequency (no sources = all of them), or add one."""
    same = subscriber.subscriptions.filter(kinds=kinds, frequency=frequency).prefetch_related("sources").first()
    if same is None:
        subscription = Subscription.objects.create(subscriber=subscriber, kinds=kinds, frequency=frequency)
        subscription.sources.set(sources)
        return subscription
    if same.sources.exists():
        if sources:
            same.sources.add(*sources)
        else:
            same.sources.clear()
    return same


def unsubscribe(subscriber):
    """Stop every mail to the subscriber; also suppress the address. Doing it twice changes nothing."""
    stop(subscriber.email)
    subscriber.refresh_from_db(fields=["unsubscribed_at"])


def stop(email):
    """Stop every mail to an address, subscriber or journalist on a media list: suppressed until it subscribes again."""
    email = normalise_email(email)
    with transaction.atomic():
        Subscriber.objects.filter(email=email, unsubscribed_at=None).update(unsubscribed_at=timezone.now())
        suppress(email, Suppression.Reason.UNSUBSCRIBED)


def suppress(email, reason):
    """Record (or update) the suppression of an address; returns the row."""
    email = normalise_email(email)
    suppression = Suppression.objects.filter(address_hash=address_hash(email)).first() or Suppression(email=email)
    if suppression.email is None and reason != Suppression.Reason.ERASED:
        suppression.email = email
    suppression.reason = reason
    suppression.at = timezone.now()
    suppression.save()
    return suppression


# --- personal data (GDPR) ----------------------------------------------------------------------

def export_subscriber(address):
    subscriber = Subscriber.objects.filter(email=address).prefetch_related("subscriptions__sources").first()
    suppression = Suppression.objects.filter(address_hash=address_hash(address)).first()
    data = {}
    if subscriber:
        data["subscriber"] = {
            "email": subscriber.email,
            "created_at": subscriber.created_at.isoformat(),
            "confirmed_at": subscriber.confirmed_at and subscriber.confirmed_at.isoformat(),
            "unsubscribed_at": subscriber.unsubscribed_at and subscriber.unsubscribed_at.isoformat(),
            "subscriptions": [
                {"sources": [source.name for source in subscription.sources.all()] or "all",
                 "kinds": subscription.kinds, "frequency": subscription.frequency,
                 "created_at": subscription.created_at.isoformat()}
                for subscription in subscriber.subscriptions.all()
            ],
        }
    if suppression:
        data["suppression"] = {"reason": suppression.reason, "at": suppression.at.isoformat()}
    return data


def confirmation_tasks(address):
    """
    The database queue's rows of confirmation mails to ``address`` (their arguments hold it),
    done or waiting; none when another queue (RQ) is used, whose finished jobs expire by themselves.
    """
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return Subscriber.objects.none()
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast
    from django_tasks_db.models import DBTaskResult

    from .tasks import send_confirmation

    # SQLite keeps the JSON as written (non-ASCII escaped); PostgreSQL's jsonb prints it unescaped.
    spellings = {json.dumps(address)[1:-1], json.dumps(address, ensure_ascii=False)[1:-1]}
    condition = Q()
    for spelling in spellings:
        condition |= Q(arguments__contains=f'"{spelling}"')
    return DBTaskResult.objects.filter(task_path=send_confirmation.module_path).annotate(
        arguments=Cast("args_kwargs", TextField()),
    ).filter(condition)


def erase_subscriber(address):
    """
    Delete the subscriber and their subscriptions. A suppression stays, as a keyed hash
    without the address, so that an unsubscribed or bounced address is still never
    mailed; an address that had none gets one (reason "erased") for the same reason.
    """
    subscriber = Subscriber.objects.filter(email=address).first()
    suppression = Suppression.objects.filter(address_hash=address_hash(address)).first()
    tasks = confirmation_tasks(address)
    if subscriber is None and suppression is None and not tasks.exists():
        return ""
    done = []
    if count := tasks.delete()[0]:
        done.append(f"{count} confirmation mail{'s' if count != 1 else ''} removed from the task queue")
    if subscriber is None and suppression is None:
        return "; ".join(done)
    for row in filter(None, (subscriber, suppression)):
        # The admin's history keeps that a row was changed and by whom, no longer its address.
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(row), object_id=str(row.pk),
        ).update(object_repr=f"erased {row._meta.verbose_name} #{row.pk}")
    if subscriber:
        count = subscriber.subscriptions.count()
        subscriber.delete()
        done.append(f"subscriber deleted, with {count} subscription{'s' if count != 1 else ''}")
    if suppression is None:
        suppression = Suppression(address_hash=address_hash(address), reason=Suppression.Reason.ERASED,
                                  at=timezone.now())
    suppression.email = None
    suppression.save()
    done.append("suppression kept as a keyed hash")
    return "; ".join(done)
