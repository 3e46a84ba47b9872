"""
The newsroom's own time: what reviewers type a publication time in, and what
every admin display shows, with the zone named ("Wed 8 Nov 2023 at 17:30 CET").

The server keeps its own ``TIME_ZONE`` (UTC by default) and the database stores
instants; ``NEWSROOM_TIME_ZONE`` (Europe/Brussels in the demo) is only how
people in the newsroom read and write them. Public pages are untouched: an
advisory's event is shown in the event's own zone.

A local wall time doesn't always name one instant: on the night clocks go
forward an hour of local times never happens (the gap), and on the night they
go back an hour happens twice (the overlap). ``local_instant`` never guesses:
a time in the gap is refused, saying so, and one in the overlap needs the
caller to say which of the two it means.
"""
import zoneinfo
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import dateformat
from django.utils.translation import gettext as _

FIRST, SECOND = "first", "second"


def newsroom_zone():
    """The zone the newsroom works in (``NEWSROOM_TIME_ZONE``)."""
    name = settings.NEWSROOM_TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ImproperlyConfigured(f"NEWSROOM_TIME_ZONE={name!r} is not a known time zone.") from error


def local(value):
    """An aware datetime in the newsroom's zone."""
    return value.astimezone(newsroom_zone())


def describe(value):
    """'Wed 8 Nov 2023 at 17:30 CET': a moment as the newsroom reads it, 24-hour, with the zone."""
    if value is None:
        return "—"
    moment = local(value)
    return _("%(date)s at %(time)s %(zone)s") % {
        "date": dateformat.format(moment, "D j M Y"),
        "time": f"{moment:%H:%M}",
        "zone": moment.tzname(),
    }


def overlap_choices(day, wall_time, zone=None):
    """
    For a wall time that happens twice on ``day`` (clocks going back), the two
    readings as (FIRST|SECOND, label, instant): "02:30 CEST (first)", "02:30 CET (second)".
    Empty when the time happens once (or never).
    """
    zone = zone or newsroom_zone()
    first = datetime.combine(day, wall_time, tzinfo=zone)
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return []
    return [
        (FIRST, _("%(time)s %(zone)s (the first, before the clocks go back)") % {
            "time": f"{first:%H:%M}", "zone": first.tzname()}, first),
        (SECOND, _("%(time)s %(zone)s (the second, after the clocks go back)") % {
            "time": f"{second:%H:%M}", "zone": second.tzname()}, second),
    ]


def local_instant(day, wall_time, which=None, zone=None):
    """
    The aware instant (in UTC) of ``wall_time`` on ``day`` in the newsroom's zone.

    Raises ``ValidationError`` (code ``gap``) for a time the clocks skip, and
    (code ``ambiguous``) for one they pass twice unless ``which`` is FIRST or SECOND.
    """
    zone = zone or newsroom_zone()
    wall = datetime.combine(day, wall_time, tzinfo=zone)
    # A time in the gap comes back from UTC as another wall time: it never happens.
    if wall.astimezone(dt_timezone.utc).astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        before = (wall - timedelta(hours=3)).astimezone(zone)
        after = (wall + timedelta(hours=3)).astimezone(zone)
        raise ValidationError(
            _(
                "%(time)s on %(date)s doesn't exist in %(zone)s: the clocks go forward that night "
                "(%(before)s to %(after)s), so no time between their change happens. Choose a time "
                "outside that hour."
            ) % {
                "time": f"{wall:%H:%M}", "date": dateformat.format(wall, "j M Y"), "zone": zone.key,
                "before": before.tzname(), "after": after.tzname(),
            },
            code="gap",
        )
    choices = overlap_choices(day, wall_time, zone)
    if choices:
        chosen = {key: instant for key, _label, instant in choices}.get(which)
        if chosen is None:
            raise ValidationError(
                _(
                    "%(time)s on %(date)s happens twice in %(zone)s: the clocks go back that night. "
                    "Choose which one you mean: %(first)s or %(second)s."
                ) % {
                    "time": f"{wall:%H:%M}", "date": dateformat.format(wall, "j M Y"), "zone": zone.key,
                    "first": choices[0][1], "second": choices[1][1],
                },
                code="ambiguous",
            )
        return chosen.astimezone(dt_timezone.utc)
    return wall.astimezone(dt_timezone.utc)
