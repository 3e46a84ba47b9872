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
from django.utils import translation
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


#: How a day, a time and a time range are written in each interface language (Django's date-format
#: letters; "\\h" is a literal h). French follows the Imprimerie nationale's rule: "17 h 30", with
#: no-break spaces so that a line never breaks inside a time (docs/translations.md says why).
#: A language not listed is written as English.
WRITTEN = {
    "en": {"day": "l j F Y", "short_day": "D j M Y", "time": "H:i", "range": "{start}–{end}"},
    "fr": {"day": "l j F Y", "short_day": "D j N Y", "time": "G\u00a0\\h\u00a0i", "range": "{start} – {end}"},
}
#: The zone abbreviations as French writes them (heure normale / avancée d'Europe centrale...);
#: an abbreviation not listed, and every one in English, is the zone database's own.
ZONE_ABBREVIATIONS = {
    "fr": {
        "CET": "HNEC", "CEST": "HAEC", "EET": "HNEE", "EEST": "HAEE", "WET": "HNEO", "WEST": "HAEO",
    },
}


def _language():
    """The active language's base code ("fr" for "fr-be"): what ``WRITTEN`` and ``ZONE_ABBREVIATIONS`` are keyed by."""
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def _written(part):
    return WRITTEN.get(_language(), WRITTEN["en"])[part]


def written_day(value):
    """'Wednesday 8 November 2023' / 'mercredi 8 novembre 2023': a date (or a datetime's own day)."""
    return dateformat.format(value, _written("day"))


def written_time(value):
    """'17:30' / '17 h 30': a wall time (a datetime's or a time's), 24-hour, in the active language."""
    return dateformat.time_format(value, _written("time"))


def zone_abbreviation(value):
    """'CET' / 'HNEC': the abbreviation of an aware datetime's zone at that moment, in the active language."""
    name = value.tzname()
    return ZONE_ABBREVIATIONS.get(_language(), {}).get(name, name)


def zone_city(zone_name=None):
    """'Brussels' / 'Bruxelles': the city a zone is named after (the newsroom's by default), in the active
    language, from the Unicode CLDR's exemplar cities (through Babel)."""
    from babel.dates import get_timezone_location

    try:
        return get_timezone_location(zone_name or settings.NEWSROOM_TIME_ZONE, locale=_language(), return_city=True)
    except LookupError:  # a zone or language the CLDR doesn't know: the zone's own last part
        return (zone_name or settings.NEWSROOM_TIME_ZONE).rsplit("/", 1)[-1].replace("_", " ")


def written_range(start, end):
    """'17:30–18:30' / '17 h 30 – 18 h 30': two already written times."""
    return _written("range").format(start=start, end=end)


def describe(value):
    """'Wed 8 Nov 2023 at 17:30 CET': a moment as the newsroom reads it, 24-hour, with the zone."""
    if value is None:
        return "—"
    moment = local(value)
    return _("%(date)s at %(time)s %(zone)s") % {
        "date": dateformat.format(moment, _written("short_day")),
        "time": written_time(moment),
        "zone": zone_abbreviation(moment),
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
