"""
Topics: what a release or advisory is about, from the press office's list.

Topics are django-taggit tags with our own model (``models.Topic``, curated by
the press office) and one through table per model (``TaggedRelease``,
``TaggedAdvisory``), each row carrying a copy of its edition's publication time
while the edition is PUBLISHED (``public_since``) and its source. "The newest
public items on a topic" is then the end of one partial index on the through
table, ``(tag, public_since DESC, item DESC)``, however large the archive:
``related_items`` reads a fixed number of rows per topic from it, never a topic's
whole list (docs/scale.md shows the plan at a million items).
"""
import heapq

from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from .models import Advisory, Release

RELATED_COUNT = 4


def newest_tagged(model, topic_ids, now, limit, exclude=None, source_id=None):
    """
    ``Q`` matching the ``limit`` newest public items of ``model`` on each topic (of
    ``source_id`` only, when given): one LIMITed index scan per topic, in one query.
    """
    through = model.topics.through
    rows = through.objects.filter(public_since__lte=now)
    if exclude is not None:
        rows = rows.exclude(content_object=exclude)
    if source_id is not None:
        rows = rows.filter(source=source_id)
    matches = Q(pk__in=[])
    for topic_id in topic_ids:
        newest = rows.filter(tag=topic_id).order_by("-public_since", "-content_object").values("content_object")
        matches |= Q(pk__in=newest[:limit])
    return matches


def related_items(item, limit=RELATED_COUNT, now=None):
    """
    Up to ``limit`` published releases and advisories sharing a topic with ``item``,
    those from its source first, then the most recent first; never ``item`` itself.
    One query for the item's topics (none when prefetched) and one per model,
    however many topics and related items there are.
    """
    topic_ids = [topic.pk for topic in item.topics.all()]
    if not topic_ids:
        return []
    now = now or timezone.now()
    same_source = Case(When(source=item.source_id, then=Value(0)), default=Value(1), output_field=IntegerField())
    found = []
    for model in (Release, Advisory):
        exclude = item.pk if isinstance(item, model) else None
        candidates = newest_tagged(model, topic_ids, now, limit, exclude) | newest_tagged(
            model, topic_ids, now, limit, exclude, source_id=item.source_id
        )
        found.append(
            model.objects.published(now).filter(candidates).select_related("source").defer("body", "body_html")
            .annotate(other_source=same_source).order_by("other_source", "-published_at", "-pk")[:limit]
        )
    merged = heapq.merge(*found, key=lambda entry: (entry.other_source, -entry.published_at.timestamp(), -entry.pk))
    return list(merged)[:limit]


def on_topic(queryset, topic):
    """The items of ``queryset`` filed under ``topic`` in their current public edition."""
    through = queryset.model.topics.through
    return queryset.filter(pk__in=through.objects.filter(tag=topic, public_since__isnull=False).values("content_object"))
