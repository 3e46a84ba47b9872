"""The newsroom's time in admin templates: ``{{ value|newsroom_time }}`` → "Wed 8 Nov 2023 at 17:30 CET"."""
from django import template

from .. import localtime

register = template.Library()


@register.filter
def newsroom_time(value):
    return localtime.describe(value)


@register.simple_tag
def newsroom_zone_name():
    """The zone's name and its abbreviation today: "Europe/Brussels (CET)"."""
    from django.utils import timezone

    zone = localtime.newsroom_zone()
    return f"{zone.key} ({timezone.now().astimezone(zone).tzname()})"
