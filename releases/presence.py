"""
Who has an edition's form open: a soft notice ("Jane has been editing this since
10:42"), never a lock. The change form reports its user when it opens and then
every ``HEARTBEAT`` seconds while it stays open; a user not heard from for
``EXPIRES`` seconds is forgotten. Kept in the shared cache (Redis in production,
so every worker sees the same), one entry per edition.
"""
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT = 30
EXPIRES = 90


def _key(edition):
    return f"newsroom:editing:{edition._meta.label_lower}:{edition.pk}"


def _current(edition, now):
    editors = cache.get(_key(edition)) or {}
    return {user_id: entry for user_id, entry in editors.items() if (now - entry["seen"]).total_seconds() < EXPIRES}


def mark_editing(edition, user):
    """``user`` has the form open now; keeps the time they opened it while they stay."""
    now = timezone.now()
    editors = _current(edition, now)
    entry = editors.get(user.pk) or {"name": user.get_full_name() or user.get_username(), "since": now}
    editors[user.pk] = {**entry, "seen": now}
    cache.set(_key(edition), editors, EXPIRES)


def stop_editing(edition, user):
    editors = _current(edition, timezone.now())
    if editors.pop(user.pk, None) is not None:
        cache.set(_key(edition), editors, EXPIRES)


def others_editing(edition, user):
    """[(name, since)] of the other people who have the form open, earliest first."""
    editors = _current(edition, timezone.now())
    return sorted(
        ((entry["name"], entry["since"]) for user_id, entry in editors.items() if user_id != user.pk),
        key=lambda pair: pair[1],
    )
