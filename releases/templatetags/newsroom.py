from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def event_time(advisory, value=None):
    """
    A time in the event's own zone with its abbreviation: "17:30 CET", whatever
    the server's or the reader's zone. ``value`` is a programme entry's local time.
    """
    local = advisory.local_start
    if value is not None:
        local = local.replace(hour=value.hour, minute=value.minute)
    return f"{local:%H:%M} {local.tzname()}"


@register.simple_tag
def event_datetime(advisory):
    """The start as ISO 8601 with the event's offset, for <time datetime> and structured data."""
    if advisory.time_known:
        return advisory.local_start.isoformat()
    return advisory.event_date.isoformat()


@register.filter
def kind_label(item):
    return "media advisory" if item.kind == "advisory" else "press release"


@register.simple_tag
def event_status(advisory):
    """The event's label, upcoming, today or past, on the calendar of its own zone."""
    status = advisory.event_status()
    return format_html('<span class="event-status event-status--{}">{}</span>', status.value, status.label)


@register.simple_tag
def entry_fragments(entries):
    """Each entry's HTML, rendered once per edition and kept in the cache (see ``releases.fragments``)."""
    from .. import fragments

    return fragments.rendered_entries(entries)
