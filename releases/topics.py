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

from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
from django.utils import timezone

from .models import Advisory, Release, Topic

MODELS = (Release, Advisory)

RELATED_COUNT = 4


def related_items(item, limit=RELATED_COUNT, now=None):
    """
    Up to ``limit`` published releases and advisories sharing a topic with ``item``,
    those from its source first, then the most recent first; never ``item`` itself.

    At most four queries however many topics and related items there are: the
    item's topics (none when prefetched); the candidates, one row per topic whose
    columns are the ``limit`` newest public items of each model on it, of any
    source and of the item's (each a LIMIT 1 subquery reading the through table's
    index from its end); then, per model, the candidates that ``published()``
    still shows, by primary key.
    """
    topic_ids = [topic.pk for topic in item.topics.all()]
    if not topic_ids:
        return []
    now = now or timezone.now()
    columns = {}
    for model in MODELS:
        newest = model.topics.through.objects.filter(tag=OuterRef("pk"), public_since__lte=now)
        if isinstance(item, model):
            newest = newest.exclude(content_object=item.pk)
        newest = newest.order_by("-public_since", "-content_object").values("content_object")
        for scope, rows in (("any", newest), ("source", newest.filter(source=item.source_id))):
            for n in range(limit):
                columns[f"{model.kind}_{scope}_{n}"] = Subquery(rows[n : n + 1])
    candidates = {model.kind: set() for model in MODELS}
    for row in Topic.objects.filter(pk__in=topic_ids).annotate(**columns).values(*columns):
        for column, pk in row.items():
            if pk is not None:
                candidates[column.split("_", 1)[0]].add(pk)
    same_source = Case(When(source=item.source_id, then=Value(0)), default=Value(1), output_field=IntegerField())
    found = [
        model.objects.published(now).filter(pk__in=candidates[model.kind]).select_related("source")
        .defer("body", "body_html").annotate(other_source=same_source)
        .order_by("other_source", "-published_at", "-pk")[:limit]
        for model in MODELS if candidates[model.kind]
    ]
    merged = heapq.merge(*found, key=lambda entry: (entry.other_source, -entry.published_at.timestamp(), -entry.pk))
    return list(merged)[:limit]


def on_topic(queryset, topic):
    """
    The items of ``queryset`` filed under ``topic``. A join, not ``pk IN (…)``: PostgreSQL
    may then walk the list's own index and probe the through table (a common topic) or
    read the topic's rows from the through table's index (a rare one).
    """
    return queryset.filter(tagged_topics__tag=topic, tagged_topics__public_since__isnull=False)
