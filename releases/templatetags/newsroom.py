from django import template
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from .. import localtime

register = template.Library()


@register.simple_tag
def event_time(advisory, value=None):
    """
    A time in the event's own zone with its abbreviation: "17:30 CET" ("17 h 30 HNEC" in French),
    whatever the server's or the reader's zone. ``value`` is a programme entry's local time.
    """
    local = advisory.local_start
    if value is not None:
        local = local.replace(hour=value.hour, minute=value.minute)
    return f"{localtime.written_time(local)} {localtime.zone_abbreviation(local)}"


@register.simple_tag
def event_when_text(advisory):
    """The event's day, and its start when known, as plain text (e-mails): "Wednesday 8 November 2023, 17:30 CET"."""
    day = localtime.written_day(advisory.local_start if advisory.time_known else advisory.event_date)
    return f"{day}, {event_time(advisory)}" if advisory.time_known else day


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

    def at(value):
        return f"{localtime.written_time(value)} {localtime.zone_abbreviation(value)}"

    day = localtime.written_day(start)
    if end is None:  # no representable end: the start alone
        return moment(start, f"{day}, {at(start)}")
    if end.date() != start.date():
        return format_html(
            escape(_("%(start)s to %(end)s")) % {"start": "{}", "end": "{}"},
            moment(start, f"{day}, {at(start)}"), moment(end, f"{localtime.written_day(end)}, {at(end)}"),
        )
    if end.tzname() != start.tzname():
        return format_html(localtime.written_range("{}", "{}"), moment(start, f"{day}, {at(start)}"), moment(end, at(end)))
    return format_html(
        localtime.written_range("{}", "{}") + " {}",
        moment(start, f"{day}, {localtime.written_time(start)}"), moment(end, localtime.written_time(end)),
        localtime.zone_abbreviation(end),
    )


@register.simple_tag
def entry_fragments(entries):
    """Each entry's HTML, rendered once per edition and kept in the cache (see ``releases.fragments``)."""
    from .. import fragments

    return fragments.rendered_entries(entries)


@register.simple_tag(takes_context=True)
def filters_fragment_key(context):
    """The filter form's cache key, or "" when it must be rendered (see ``releases.fragments.filters_key``)."""
    from .. import fragments

    return fragments.filters_key(context.get("request"), context.get("filter"), context.get("source"))


@register.simple_tag(takes_context=True)
def public_fragment_key(context, name):
    """The key of a fragment that depends on what the public sees as a whole (see ``releases.fragments.state_key``)."""
    from .. import fragments

    return fragments.state_key(context.get("request"), name)


@register.simple_tag
def chrome_variant():
    """
    What the site's chrome varies by (``{% cache … using="local" %}`` in ``base.html``): the templates
    and translations deployed, the language and the address the site is mounted at. Its links are
    relative and its text the interface's own, so nothing else.
    """
    from .. import fragments

    return f"{fragments.template_version()}:{translation.get_language()}:{get_script_prefix()}"


class PageFragmentNode(template.Node):
    def __init__(self, part, nodelist):
        self.part, self.nodelist = part, nodelist

    def render(self, context):
        kept = context.get("page_fragments")
        if kept is None or context.get("preview"):
            return self.nodelist.render(context)
        return kept.render(self.part, lambda: self.nodelist.render(context))


@register.tag
def page_fragment(parser, token):
    """
    ``{% page_fragment "article" %}…{% endpage_fragment %}``: a part of a detail page, rendered once
    per edition and public state and reused (``releases.fragments.PageFragments``, which the view
    puts in the context as ``page_fragments``); rendered each time in a preview or without it.
    """
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one quoted part name")
    from .. import fragments

    part = bits[1][1:-1]
    if part not in fragments.PAGE_PARTS:
        raise template.TemplateSyntaxError(f"{bits[0]}: {part!r} is none of {', '.join(fragments.PAGE_PARTS)}")
    nodelist = parser.parse(("endpage_fragment",))
    parser.delete_first_token()
    return PageFragmentNode(part, nodelist)


@register.filter
def written_time(value):
    """A moment's wall time in the current zone (as the ``date`` filter), in the active language: "17:30", "17 h 30"."""
    return localtime.written_time(template_localtime(value))


@register.filter
def zone_abbreviation(value):
    """A moment's zone abbreviation in the current zone (as the ``date`` filter's "T"): "CET", "HNEC" in French."""
    return localtime.zone_abbreviation(template_localtime(value))
