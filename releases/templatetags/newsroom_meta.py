"""
Metadata for search engines and social previews on detail pages: the
canonical address and schema.org JSON-LD (``NewsArticle`` for releases,
``Event`` for advisories). Used by ``releases/includes/meta.html``.

A withdrawn item keeps only what its notice page shows (title, dates, the
cancelled state); its summary and body never reach a meta tag or the JSON-LD.

Texts reach them on one line through ``normalise_text``: input is normalised on
save, but a row stored earlier must not carry a control character into what
crawlers and social previews read.
"""
import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

from releases.text import normalise_text

register = template.Library()

#: As django.utils.html.json_script does: nothing in the data can close the <script> element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def one_line(value):
    """Text for a meta tag: one line, no control characters."""
    return normalise_text(str(value), multiline=False) if value else value


def one_line_texts(data):
    """The JSON-LD data with every string on one line (dicts and lists walked through)."""
    if isinstance(data, str):
        return normalise_text(data, multiline=False)
    if isinstance(data, dict):
        return {key: one_line_texts(value) for key, value in data.items()}
    if isinstance(data, list):
        return [one_line_texts(value) for value in data]
    return data


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    return context["request"].build_absolute_uri(path)


@register.simple_tag
def site_name():
    return settings.NEWSROOM_SITE_NAME


@register.simple_tag(takes_context=True)
def json_ld(context, item):
    """A ``<script type="application/ld+json">`` block describing ``item``, or nothing."""
    request = context["request"]
    data = advisory_data(item, request) if item.kind == "advisory" else release_data(item, request)
    if data is None:
        return ""
    text = json.dumps(one_line_texts(data), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).translate(JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')


def organisation(source):
    data = {"@type": "Organization", "name": source.name}
    if source.website:
        data["url"] = source.website
    return data


def picture_url(item, request):
    picture = item.lead_picture
    return request.build_absolute_uri(picture.largest_url) if picture is not None else None


def release_data(release, request):
    """A NewsArticle; none for a withdrawn release, whose page is a notice and not indexed."""
    if release.state != "published" or release.published_at is None:
        return None
    url = request.build_absolute_uri(release.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": release.title,
        "datePublished": release.published_at.isoformat(),
        "dateModified": (release.public_updated_at or release.published_at).isoformat(),
        "publisher": organisation(release.source),
        "author": organisation(release.source),
        "mainEntityOfPage": url,
        "url": url,
    }
    if release.summary:
        data["description"] = release.summary
    if image := picture_url(release, request):
        data["image"] = [image]
    return data


def advisory_data(advisory, request):
    """An Event: scheduled, or cancelled once the advisory is withdrawn (without its text, then)."""
    if advisory.published_at is None:
        return None
    withdrawn = advisory.state == "withdrawn"
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": advisory.title,
        # With the event's own offset ("2023-11-08T17:30:00+01:00"); a date alone when the time isn't known.
        "startDate": advisory.local_start.isoformat() if advisory.time_known else advisory.event_date.isoformat(),
        # Start plus the advisory's duration, as in the .ics; an event without a stated time takes its day.
        "endDate": advisory.local_end.isoformat() if advisory.local_end else advisory.event_date.isoformat(),
        "eventStatus": "https://schema.org/EventCancelled" if withdrawn else "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "organizer": organisation(advisory.source),
        "url": request.build_absolute_uri(advisory.get_absolute_url()),
    }
    if advisory.location and not withdrawn:
        address = {"@type": "PostalAddress"}
        if advisory.city:
            address["addressLocality"] = advisory.city
        if advisory.country:
            address["addressCountry"] = advisory.country
        data["location"] = {"@type": "Place", "name": advisory.venue or advisory.city or advisory.country}
        if len(address) > 1:
            data["location"]["address"] = address
    if not withdrawn:
        if advisory.summary:
            data["description"] = advisory.summary
        if image := picture_url(advisory, request):
            data["image"] = [image]
    return data
