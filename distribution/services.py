"""
The outbox of e-mails to journalists, and the sending.

``on_public_changed`` runs INSIDE the transaction of every move that changes what
the public sees (``releases.signals.public_changed``): it writes one ``Delivery``
per address in bulk, or cancels the queued ones, atomically with the move. On
commit one ``send_publication`` task is enqueued per publication, to run at its
due time (django-tasks' ``run_after``): no other scheduler.

A worker claims a batch of due rows (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL; one conditional UPDATE per row on SQLite, whose writers queue for the
database lock), sends them over one SMTP connection, and marks each row sent as
soon as the server accepted it. Between the server's acceptance and that commit a
crash leaves the row "sending"; after ``NEWSROOM_DELIVERY_CLAIM_SECONDS`` it is claimed again and
sent a second time, with the same Message-ID, so that receivers may drop it.
"""
import logging
import secrets
import smtplib
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import BigIntegerField, DateTimeField, F, IntegerField, Min, Q, Value
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from newsroom.tasks import enqueue_at
from releases.localtime import local
from releases.text import readable_text
from releases.workflow import State

from .models import Delivery, Distribution, Publication

logger = logging.getLogger(__name__)


def claim_expires():
    """A row claimed this long ago and never marked is taken to have died with its worker."""
    return timedelta(seconds=settings.NEWSROOM_DELIVERY_CLAIM_SECONDS)

#: Rows claimed, and sent over one SMTP connection, at a time.
BATCH = 100
#: Rows written per INSERT.
INSERT_BATCH = 2000
#: At most this many tasks share a large publication (one per thousand rows).
PARALLEL = 4
EMBARGO_SALT = "distribution.embargo"


# --- who an item goes to -----------------------------------------------------------------

def distribution_for(model, document, create=False):
    content_type = ContentType.objects.get_for_model(model)
    if create:
        return Distribution.objects.get_or_create(content_type=content_type, document=document)[0]
    return Distribution.objects.filter(content_type=content_type, document=document).first()


def list_members(media_lists):
    """{address: name} of everyone on these media lists who may be mailed (an address once)."""
    return dict(members_of(media_lists).values_list("email", "name").iterator(chunk_size=2000))


def subscriptions_installed():
    return apps.is_installed("subscriptions")


def subscriber_select(subscriptions):
    """These subscriptions' subscribers as a SELECT for ``insert_select`` (a subscriber matching twice: once)."""
    return subscriptions.values("subscriber_id").annotate(
        _address=F("subscriber__email"), _name=Value(""), _via=Value(Delivery.Via.SUBSCRIPTION),
        _subscriber=F("subscriber_id"),
    )


def members_of(media_lists):
    """
    Everyone on these media lists, as one queryset (an address once: the directory holds it
    once), but for the addresses that bounced or asked to stop (suppressed).
    """
    from journalists.models import Journalist, MediaList

    media_lists = list(media_lists)
    if not media_lists:
        return Journalist.objects.none()
    # The static lists as one EXISTS (a ``pk IN (…)`` per list cost 10,000 members a hash
    # aggregate and 10,000 primary-key lookups); each criteria list's own query.
    static = [media_list.pk for media_list in media_lists if media_list.kind == MediaList.Kind.STATIC]
    condition = Q(MediaList.chosen_for(static)) if static else Q()
    for media_list in media_lists:
        if media_list.kind != MediaList.Kind.STATIC:
            condition |= Q(pk__in=media_list.members().values("pk"))
    members = Journalist.objects.filter(condition)
    if subscriptions_installed():
        from subscriptions.models import suppressed

        members = members.exclude(suppressed("email"))
    return members


def recipients(edition):
    """
    The item's recipients as (SELECT for ``insert_select``, whether it yields an address once), in
    order: its media lists' members, then the matching confirmed subscribers (an address on a list
    and subscribed is written once, the list's; a subscriber matching twice is yielded twice).
    """
    selects = []
    distribution = distribution_for(type(edition), edition.document)
    if distribution:
        selects.append((members_of(distribution.media_lists.all()).values("pk").annotate(
            _address=F("email"), _name=F("name"), _via=Value(Delivery.Via.MEDIA_LIST),
            # Typed, or PostgreSQL reads a NULL in a subquery as text.
            _subscriber=Cast(Value(None), BigIntegerField()),
        ), True))
    if subscriptions_installed():
        from subscriptions.models import Subscription

        selects.append((subscriber_select(Subscription.objects.matching(edition)), False))
    return selects


# --- the outbox --------------------------------------------------------------------------

def on_public_changed(sender, edition, action, **kwargs):
    """Receiver of ``public_changed``, inside the move's transaction: an error here undoes the move."""
    content_type = ContentType.objects.get_for_model(sender)
    if action in ("withdraw", "unschedule"):
        cancel(content_type, edition.document, "The item was withdrawn." if action == "withdraw"
               else "The scheduled publication was cancelled before it was due.")
        return
    if action not in ("approve", "import") or edition.state != State.PUBLISHED:
        return
    now = timezone.now()
    if action == "import" and edition.published_at <= now:
        return  # An archive migration: the public has had it for years; nobody is mailed.
    from . import digest
    # The other editions' publications, read once (a first approval: none, and no more queries).
    originals = dict(Publication.objects.filter(
        content_type=content_type, document=edition.document, kind=Publication.Kind.ORIGINAL,
    ).exclude(object_id=edition.pk).values_list("pk", "due_at"))
    if waiting := [pk for pk, due_at in originals.items() if due_at > now]:
        # A new edition of a scheduled item replaces the one that was to go out.
        cancel(content_type, edition.document, "A newer edition was approved before this one was due.",
               publications=Publication.objects.filter(pk__in=waiting))
    if went_out := [pk for pk, due_at in originals.items() if due_at <= now]:
        if edition.change_note:
            # One row per address that got the original (the earliest, should there be several).
            got_it = Delivery.objects.filter(pk__in=(
                Delivery.objects.filter(publication__in=went_out, state__in=[Delivery.State.SENT, Delivery.State.SENDING])
                .exclude(address="").values("address").annotate(first=Min("pk")).values("first")
            )).values("pk").annotate(_address=F("address"), _name=F("name"), _via=F("via"), _subscriber=F("subscriber_id"))
            write(edition, content_type, Publication.Kind.UPDATE, now, selects=[(got_it, True)])
            digest.queue(edition, now)
        return  # A minor change sends nothing.
    write(edition, content_type, Publication.Kind.ORIGINAL, edition.published_at, selects=recipients(edition))
    digest.queue(edition, edition.published_at)


def write(edition, content_type, kind, due_at, rows=(), user=None, tokens=False, selects=()):
    """
    One publication and its deliveries, in bulk: each of ``selects`` (a queryset of address, name,
    via, subscriber id, and whether it yields an address once) copied by an INSERT … SELECT inside
    the database, then ``rows`` in batches; an address already written is skipped. Its sending is
    enqueued on commit.
    """
    publication, created = Publication.objects.get_or_create(
        content_type=content_type, object_id=edition.pk, kind=kind,
        defaults={"document": edition.document, "version": edition.version, "due_at": due_at, "created_by": user,
                  "embargo_until": edition.published_at if kind == Publication.Kind.PREBRIEF else None},
    ) if kind != Publication.Kind.PREBRIEF else (Publication.objects.create(
        content_type=content_type, object_id=edition.pk, kind=kind, document=edition.document,
        version=edition.version, due_at=due_at, created_by=user, embargo_until=edition.published_at,
    ), True)
    if not created:
        return publication  # written already, with the move that created it
    # The publication is this transaction's own (a second approval waits on its unique row and
    # finds it written): the first select finds no row of it; if it yields an address once, no
    # conflict is possible.
    count = sum(
        insert_select(publication, due_at, select, fresh=not n and once) for n, (select, once) in enumerate(selects)
    )
    deliveries = (
        Delivery(
            publication=publication, address=address, name=name[:200], via=via, subscriber_id=subscriber_id,
            due_at=due_at, token=secrets.token_urlsafe(32) if tokens else "",
        )
        for address, name, via, subscriber_id in rows
    )
    batch = []
    for delivery in deliveries:
        batch.append(delivery)
        count += 1
        if len(batch) == INSERT_BATCH:
            Delivery.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        Delivery.objects.bulk_create(batch, ignore_conflicts=True)
    copies = copies_for(count)
    transaction.on_commit(lambda: enqueue(publication.pk, due_at, copies))
    return publication


def copies_for(count):
    """A large mailing is worked by several workers at once: a task each, sharing the rows by claiming them."""
    return min(PARALLEL, 1 + count // 1000)


def insert_select(publication, due_at, select, fresh=False):
    """
    Copy the recipients ``select`` yields into queued deliveries with one INSERT … SELECT (10,000
    rows never pass through Python); the number written. ``select`` is a queryset annotated with
    ``_address``, ``_name``, ``_via`` and ``_subscriber``. An address the publication already has
    is skipped (ON CONFLICT DO NOTHING: a day's digest gathers the subscribers of several items,
    perhaps approved at once on two connections).

    ``fresh``: the publication was created in this transaction, so nobody else can write rows into
    it, and ``select`` yields each address once. Then a plain INSERT: the unique constraint is
    still checked on every row (a duplicate would fail the whole move, never be skipped), without
    PostgreSQL's speculative insertion of ON CONFLICT, which costs 10,000 rows about 40 % of the
    INSERT (see docs/distribution.md, Measured).
    """
    constants = {
        "_publication": Value(publication.pk, BigIntegerField()), "_state": Value(Delivery.State.QUEUED),
        "_due_at": Value(due_at, DateTimeField()), "_attempts": Value(0, IntegerField()),
        "_hash": Value(""), "_error": Value(""), "_message_id": Value(""), "_token": Value(""),
    }
    names = ["_publication", "_address", "_name", "_via", "_subscriber", "_state", "_due_at", "_attempts",
             "_hash", "_error", "_message_id", "_token"]
    # Every column an annotation, added in the INSERT's order: the SELECT lists them in that order.
    queryset = select.order_by().annotate(**constants).values_list(*names)
    sql, params = queryset.query.sql_with_params()
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Delivery._meta.db_table} (publication_id, address, name, via, subscriber_id, state, due_at, "
            # SQLite needs the WHERE to tell the SELECT's end from the ON CONFLICT clause.
            f"attempts, address_hash, last_error, message_id, token) SELECT * FROM ({sql}) AS recipients WHERE true"
            + ("" if fresh else " ON CONFLICT DO NOTHING"), params,
        )
        return cursor.rowcount


def cancel(content_type, document, reason, publications=None):
    """Cancel what hasn't gone out yet for a document (or these publications), and revoke its pre-brief links."""
    if publications is None:
        publications = Publication.objects.filter(content_type=content_type, document=document)
    now = timezone.now()
    Delivery.objects.filter(publication__in=publications, state=Delivery.State.QUEUED).update(
        state=Delivery.State.CANCELLED, last_error=reason,
    )
    Delivery.objects.filter(
        publication__in=publications.filter(kind=Publication.Kind.PREBRIEF), revoked_at=None,
    ).update(revoked_at=now)


def enqueue(publication_id, due_at, copies=1):
    """Enqueue the sending of a publication at its due time; an error is logged, the rows stay queued."""
    from .tasks import send_publication

    try:
        for _ in range(copies):
            enqueue_at(send_publication, due_at, publication_id)
    except Exception:
        logger.exception("Could not enqueue publication %s; `manage.py send_distribution` retries it", publication_id)


def enqueue_waiting():
    """Enqueue every publication with rows waiting (or held by a dead worker)."""
    now = timezone.now()
    waiting = Delivery.objects.filter(
        Q(state=Delivery.State.QUEUED) | Q(state=Delivery.State.SENDING, claimed_at__lt=now - claim_expires())
    ).values_list("publication", "publication__due_at").distinct()
    for publication_id, due_at in waiting:
        enqueue(publication_id, due_at)
    return len(waiting)


def retry(delivery_ids):
    """
    The admin's retry of failed deliveries: queued again now, and sent. Retrying a bounce is the
    press office saying the address works again: its bounce suppression is lifted (never a
    suppression the person asked for).
    """
    rows = Delivery.objects.filter(pk__in=delivery_ids, state=Delivery.State.FAILED)
    ids = list(rows.values_list("pk", flat=True))
    if subscriptions_installed():
        import subscriptions

        for address in rows.filter(last_error__startswith="Bounced").exclude(address="").values_list("address", flat=True):
            subscriptions.lift_bounce(address)
    Delivery.objects.filter(pk__in=ids).update(state=Delivery.State.QUEUED, due_at=timezone.now(), attempts=0)
    for publication_id in Delivery.objects.filter(pk__in=ids).values_list("publication", flat=True).distinct():
        transaction.on_commit(lambda pk=publication_id: enqueue(pk, timezone.now()))
    return len(ids)


# --- the pre-brief --------------------------------------------------------------------------

class PrebriefError(Exception):
    pass


def may_send_prebrief(user, edition):
    return user.has_perm("distribution.send_prebrief") and user.has_perm(type(edition).publish_permission())


def send_prebrief(edition, user, media_lists):
    """A reviewer sends an approved, scheduled item ahead of its time to these media lists, each with a personal link."""
    if not may_send_prebrief(user, edition):
        raise PrebriefError("You may not send embargoed pre-briefs.")
    with transaction.atomic():
        edition = type(edition).objects.select_for_update().get(pk=edition.pk)
        if not edition.is_scheduled:
            raise PrebriefError("Only an approved item scheduled for later can be sent under embargo.")
        members = list_members(media_lists)
        if not members:
            raise PrebriefError("The chosen lists have nobody on them.")
        # Someone who already holds a valid link to this item gets no second mail and link.
        holding = set(Delivery.objects.filter(
            publication__content_type=ContentType.objects.get_for_model(type(edition)),
            publication__document=edition.document, publication__kind=Publication.Kind.PREBRIEF,
            revoked_at=None, address__in=list(members),
        ).exclude(state__in=[Delivery.State.CANCELLED, Delivery.State.FAILED]).values_list("address", flat=True))
        members = {address: name for address, name in members.items() if address not in holding}
        if not members:
            raise PrebriefError("Everyone on the chosen lists already has a valid link to this item.")
        rows = [(address, name, Delivery.Via.MEDIA_LIST, None) for address, name in members.items()]
        return write(
            edition, ContentType.objects.get_for_model(type(edition)), Publication.Kind.PREBRIEF, timezone.now(),
            rows, user=user, tokens=True,
        )


def revoke(deliveries):
    return deliveries.filter(revoked_at=None).exclude(token="").update(revoked_at=timezone.now())


def embargo_path(delivery):
    return reverse("distribution:embargo", args=[signing.Signer(salt=EMBARGO_SALT).sign(delivery.token)])


def delivery_for_link(signed):
    """The pre-brief delivery a signed link names, or None for a forged or unknown one."""
    try:
        token = signing.Signer(salt=EMBARGO_SALT).unsign(signed)
    except signing.BadSignature:
        return None
    if not token:
        return None
    return (
        Delivery.objects.select_related("publication__content_type")
        .filter(token=token, publication__kind=Publication.Kind.PREBRIEF).first()
    )


def live_edition(publication):
    """The document's published edition now (scheduled or public), or None."""
    model = publication.content_type.model_class()
    return model.objects.filter(document=publication.document, state=State.PUBLISHED).first()


def embargo_until_text(moment):
    """'Wed 8 Nov 2023 17:30 CET', in the newsroom's zone."""
    moment = local(moment)
    return f"{dateformat.format(moment, 'D j M Y')} {moment:%H:%M} {moment.tzname()}"


# --- the sending ---------------------------------------------------------------------------

def still_wanted(publication):
    """Why a publication's rows should no longer go out, or "" when they should."""
    if publication.kind == Publication.Kind.DIGEST:
        return ""  # composed per subscriber from what is public when it goes out
    edition = publication.edition()
    if edition is None:
        return "The item was deleted."
    if publication.kind == Publication.Kind.PREBRIEF:
        live = live_edition(publication)
        if live is None or not live.is_scheduled:
            return "The item is no longer scheduled for later: the embargo is over or was cancelled."
        return ""
    if not type(edition).objects.filter(document=publication.document).published().exists():
        return "The item is not public (withdrawn, or its publication was cancelled)."
    return ""


def claim(publication, now, size=BATCH):
    """Take up to ``size`` due rows of the publication for this worker; the rows taken."""
    due = Delivery.objects.filter(
        Q(state=Delivery.State.QUEUED) | Q(state=Delivery.State.SENDING, claimed_at__lt=now - claim_expires()),
        publication=publication, due_at__lte=now,
    )
    if db_connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)[:size])
            Delivery.objects.filter(pk__in=ids).update(
                state=Delivery.State.SENDING, claimed_at=now, attempts=F("attempts") + 1,
            )
    else:
        ids = [
            pk for pk in due.order_by("pk").values_list("pk", flat=True)[:size]
            if due.filter(pk=pk).update(state=Delivery.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        ]
    return list(Delivery.objects.filter(pk__in=ids).order_by("pk"))


def send_publication(publication_id):
    """Send every due row of a publication, a batch per SMTP connection; returns how many were sent."""
    publication = Publication.objects.select_related("content_type").filter(pk=publication_id).first()
    if publication is None:
        return 0
    if publication.due_at > timezone.now():
        # Run early (a clock ahead of the one that set the time): wait for the due time again.
        enqueue(publication.pk, publication.due_at)
        return 0
    if reason := still_wanted(publication):
        Delivery.objects.filter(publication=publication, state=Delivery.State.QUEUED).update(
            state=Delivery.State.CANCELLED, last_error=reason,
        )
        return 0
    sent = 0
    mail = None
    while rows := claim(publication, timezone.now()):
        mail = mail or mail_for(publication)
        sent += send_batch(mail, rows)
    later = (
        Delivery.objects.filter(publication=publication, state=Delivery.State.QUEUED)
        .order_by("due_at").values_list("due_at", flat=True).first()
    )
    if later is not None:
        enqueue(publication.pk, later)
    return sent


def mail_for(publication):
    if publication.kind == Publication.Kind.DIGEST:
        from .digest import DigestMail

        return DigestMail(publication)
    return Mail(publication)


def still_subscribed(mail, rows):
    """
    The rows to send: a subscriber who unsubscribed or was suppressed since the row was queued,
    or a list member whose address bounced or asked to stop meanwhile, is not mailed.
    """
    if not subscriptions_installed():
        return rows
    from subscriptions.models import Subscription, Suppression

    ids = {row.subscriber_id for row in rows if row.via == Delivery.Via.SUBSCRIPTION}
    current = set(
        Subscription.objects.matching(mail.edition).filter(subscriber_id__in=ids).values_list("subscriber_id", flat=True)
    ) if ids else set()
    stopped = set(Suppression.objects.filter(
        email__in=[row.address for row in rows if row.via == Delivery.Via.MEDIA_LIST],
    ).values_list("email", flat=True))
    gone = [
        row.pk for row in rows
        if (row.via == Delivery.Via.SUBSCRIPTION and row.subscriber_id not in current) or row.address in stopped
    ]
    Delivery.objects.filter(pk__in=gone).update(
        state=Delivery.State.CANCELLED, last_error="Unsubscribed or suppressed before the mail went out.",
    )
    return [row for row in rows if row.pk not in gone]


def send_batch(mail, rows):
    rows = mail.select(rows)
    sent = 0
    connection = get_connection()
    try:
        connection.open()
        for row in rows:
            message = mail.message(row)
            message.connection = connection
            try:
                message.send()
            except Exception as error:
                failed(row, error)
                if not isinstance(error, smtplib.SMTPRecipientsRefused):
                    connection.close()  # the session may be broken: a fresh one for the next row
                continue
            Delivery.objects.filter(pk=row.pk).update(
                state=Delivery.State.SENT, sent_at=timezone.now(), message_id=message.extra_headers["Message-ID"],
                last_error="",
            )
            sent += 1
    except Exception as error:  # the server could not be reached at all
        for row in rows:
            if Delivery.objects.filter(pk=row.pk, state=Delivery.State.SENDING).exists():
                failed(row, error)
    finally:
        connection.close()
    return sent


def failed(row, error):
    """
    Only a recipient refused with a 5xx is a bounce: the row fails and the address is suppressed.
    A message refused with a 5xx (after DATA) fails for good, the address not blamed. Anything else
    (a refused sender, a login, a connection, a 4xx) says nothing about the recipient: the row is
    tried again later, waiting longer each time, until NEWSROOM_MAIL_ATTEMPTS.
    """
    text = f"{type(error).__name__}: {error}"[:2000]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = min((code for code, _ in error.recipients.values()), default=None)
        if code is not None and code >= 500:
            Delivery.objects.filter(pk=row.pk).update(state=Delivery.State.FAILED, last_error=f"Bounced: {text}")
            suppress(row.address)
            return
    elif isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500:
        Delivery.objects.filter(pk=row.pk).update(state=Delivery.State.FAILED, last_error=f"Refused: {text}")
        return
    if row.attempts >= settings.NEWSROOM_MAIL_ATTEMPTS:
        logger.error("Delivery %s failed for good after %s attempts: %s", row.pk, row.attempts, text)
        Delivery.objects.filter(pk=row.pk).update(state=Delivery.State.FAILED, last_error=text)
        return
    wait = timedelta(seconds=settings.NEWSROOM_MAIL_RETRY_SECONDS * 2 ** (row.attempts - 1))
    Delivery.objects.filter(pk=row.pk).update(
        state=Delivery.State.QUEUED, last_error=text, due_at=timezone.now() + wait,
    )


def suppress(address):
    """A bounced address is never mailed again by subscription (the subscriptions app keeps the list)."""
    if subscriptions_installed() and address:
        try:
            import subscriptions

            subscriptions.suppress(address, "bounced")
        except Exception:
            logger.exception("Could not suppress bounced address")


# --- the mail -------------------------------------------------------------------------------

def absolute(path):
    return settings.NEWSROOM_BASE_URL + path


def one_line(text):
    return " ".join(str(text).split())


def mail_domain():
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "newsroom.invalid"


class Mail:
    """A publication's message, rendered once per batch; ``message(row)`` adds what is personal."""

    def __init__(self, publication):
        self.publication = publication
        self.edition = edition = publication.edition()
        model = type(edition)
        self.is_advisory = model._meta.model_name == "advisory"
        if publication.kind == Publication.Kind.PREBRIEF:
            prefix = _("EMBARGOED UNTIL %(when)s: ") % {"when": embargo_until_text(edition.published_at)}
        elif publication.kind == Publication.Kind.UPDATE:
            prefix = _("Updated: ")
        else:
            prefix = ""
        self.subject = one_line(prefix + edition.title)
        picture = edition.lead_picture
        self.context = {
            "site_name": settings.NEWSROOM_SITE_NAME,
            "site_url": settings.NEWSROOM_BASE_URL,
            "publication": publication,
            "prebrief": publication.kind == Publication.Kind.PREBRIEF,
            "embargo_until": embargo_until_text(edition.published_at) if edition.published_at else "",
            "item": edition,
            "kind": edition.kind_label,
            "contacts": list(edition.contacts.public()),
            # Before the embargo the picture's public address answers nothing: the link's page shows it.
            "picture": picture if publication.kind != Publication.Kind.PREBRIEF else None,
            "change_note": edition.change_note if publication.kind == Publication.Kind.UPDATE else "",
            "public_url": absolute(edition.get_absolute_url()),
            "body_text": readable_text(edition.body_html),
        }
        self.ics = None
        if self.is_advisory:
            from django.test import RequestFactory

            from releases.calendar import build_calendar

            request = RequestFactory().get("/", HTTP_HOST=settings.NEWSROOM_BASE_URL.split("://")[-1])
            self.ics = build_calendar([edition], request, edition.title)
        self.text = render_to_string("distribution/email.txt", self.context)
        self.html = render_to_string("distribution/email.html", self.context)

    def select(self, rows):
        return still_subscribed(self, rows)

    def message(self, row):
        attachments = [(f"{self.edition.slug or 'event'}.ics", self.ics, "text/calendar")] if self.ics else []
        return compose(self.publication, row, self.subject, self.text, self.html, attachments)


def personal(publication, row):
    """(links, headers) of one recipient: the Message-ID, their embargo link or their unsubscribe links."""
    links = {}
    headers = {
        "Message-ID": f"<delivery.{row.pk}.{publication.pk}@{mail_domain()}>",
        "Auto-Submitted": "auto-generated",
    }
    if row.token:
        links["embargo_url"] = absolute(embargo_path(row))
    if row.via == Delivery.Via.SUBSCRIPTION and row.subscriber_id and subscriptions_installed():
        try:
            import subscriptions
            from subscriptions.links import manage_url, unsubscribe_url
            from subscriptions.models import Subscriber

            subscriber = Subscriber.objects.get(pk=row.subscriber_id)
            links["unsubscribe_url"] = unsubscribe_url(subscriber)
            links["manage_url"] = manage_url(subscriber)
            headers.update(subscriptions.headers(subscriber))
        except Exception:
            logger.exception("Could not add the unsubscribe links of delivery %s", row.pk)
    elif row.via == Delivery.Via.MEDIA_LIST and row.address and subscriptions_installed():
        import subscriptions
        from subscriptions.links import stop_url

        links["stop_url"] = stop_url(row.address)
        headers.update(subscriptions.stop_headers(row.address))
    return links, headers


def compose(publication, row, subject, text, html, attachments=()):
    """One recipient's message: the rendered text and HTML with their links (an embargo link first, the others last)."""
    links, headers = personal(publication, row)
    if links.get("embargo_url"):
        text = f"Your personal link (do not forward it): {links['embargo_url']}\n\n{text}"
    text += render_to_string("distribution/email_links.txt", links)
    html = html.replace("<!--personal-->", render_to_string("distribution/email_links.html", links))
    message = EmailMultiAlternatives(subject=subject, body=text, to=[row.address], headers=headers)
    message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(*attachment)
    return message


# --- personal data ------------------------------------------------------------------------------

def export_deliveries(address):
    rows = Delivery.objects.filter(address=address).select_related("publication__content_type")
    return [
        {"item": f"{row.publication.content_type.model} {row.publication.document}" if row.publication.content_type
         else f"daily digest of {row.publication.due_at.isoformat()}", "version": row.publication.version,
         "mailing": row.publication.get_kind_display(), "state": row.state,
         "sent_at": row.sent_at.isoformat() if row.sent_at else None, "message_id": row.message_id,
         "openings": [opening.at.isoformat() for opening in row.openings.all()]}
        for row in rows
    ]


def erase_deliveries(address):
    """Keep that a mail was sent or not, and when, with a salted hash of the address instead of it."""
    # The error text goes too: a refusal names the address ("550 <ana@…>: no such user").
    count = Delivery.objects.filter(address=address).update(
        address="", name="", address_hash=Delivery.hash_address(address), subscriber_id=None, last_error="",
    )
    return f"{count} deliver{'ies' if count != 1 else 'y'} anonymised" if count else ""


def embargo_picture_path(signed, picture, name):
    return reverse("distribution:embargo-picture", args=[signed, picture.key, name.rsplit("/", 1)[-1]])


def embargo_documents(signed, edition):
    """The edition's documents, each with its address through the personal link as ``download_url``."""
    documents = list(edition.documents.all())
    for document in documents:
        document.download_url = reverse("distribution:embargo-document", args=[signed, document.key])
    return documents
