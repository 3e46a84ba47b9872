from django import template
from django.utils.dateformat import format as date_format
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


@register.simple_tag
def event_status(advisory):
    """The event's label, upcoming, today or past, on the calendar of its own zone."""
    status = advisory.event_status()
    return format_html('<span class="event-status event-status--{}">{}</span>', status.value, status.label)


@register.simple_tag
def event_span(advisory):
    """
    A timed event's day, start and end in its own zone, each in a <time>: "Wednesday 8 November
    2023, 17:30–18:30 CET"; each end of it with its own abbreviation when a clock change falls
    inside ("01:30 CEST–02:30 CET"), and the end's day when it ends on another one.
    """
    start, end = advisory.local_start, advisory.local_end

    def moment(value, text):
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), text)

    day = date_format(start, "l j F Y")
    if end is None:  # no representable end: the start alone
        return moment(start, f"{day}, {start:%H:%M} {start.tzname()}")
    if end.date() != start.date():
        return format_html("{} to {}", moment(start, f"{day}, {start:%H:%M} {start.tzname()}"),
                           moment(end, f"{date_format(end, 'l j F Y')}, {end:%H:%M} {end.tzname()}"))
    if end.tzname() != start.tzname():
        return format_html("{}–{}", moment(start, f"{day}, {start:%H:%M} {start.tzname()}"),
                           moment(end, f"{end:%H:%M} {end.tzname()}"))
    return format_html("{}–{} {}", moment(start, f"{day}, {start:%H:%M}"), moment(end, f"{end:%H:%M}"), end.tzname())


@register.simple_tag
def entry_fragments(entries):
    """Each entry's HTML, rendered once per edition and kept in the cache (see ``releases.fragments``)."""
    from .. import fragments

    return fragments.rendered_entries(entries)


@register.simple_tag(takes_context=True)
def edition_body(context, template_name):
    """The page's body (``template_name``, in the page's context), rendered once per edition (see ``releases.fragments``)."""
    from .. import fragments

    return fragments.rendered_body(context, template_name)
