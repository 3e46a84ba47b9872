"""
The query plans of related items and topic pages on a large archive (PostgreSQL).

Generates the benchmark's archive (``bench.generate``, without its search index,
which these queries don't read) unless the database already holds one, files
every item under one of 15 common topics by SQL, and a few under a rare one, then
prints ``EXPLAIN (ANALYZE, BUFFERS)`` of each query ``related_items`` runs for an
item on a common topic and for one on the rare topic, and of a topic page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_topics \\
        .venv/bin/python -m bench.topics_plan --items 1000000
"""
import argparse
import time

from bench import generate

COMMON = 15
RARE_EVERY = 20000


def tag_archive(out=print):
    """Each item on topic ``id % 15``; one in RARE_EVERY also on "Rare topic". The index copy filled as the workflow would."""
    from django.db import connection

    from releases.models import Advisory, Release, Topic

    topics = [Topic.objects.get_or_create(name=f"Common topic {n}")[0] for n in range(COMMON)]
    rare = Topic.objects.get_or_create(name="Rare topic")[0]
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (Release, Advisory):
            through, table = model.topics.through._meta.db_table, model._meta.db_table
            cursor.execute(f"TRUNCATE {through}")
            copy = (
                "id, CASE WHEN state = 'published' THEN published_at END, source_id FROM " + table
            )
            cursor.execute(
                f"INSERT INTO {through} (tag_id, content_object_id, public_since, source_id) "
                f"SELECT %s + id %% {COMMON}, {copy}", [topics[0].pk],
            )
            cursor.execute(
                f"INSERT INTO {through} (tag_id, content_object_id, public_since, source_id) "
                f"SELECT %s, {copy} WHERE id %% {RARE_EVERY} = 0", [rare.pk],
            )
        cursor.execute("ANALYZE")
    out(f"  topics filed in {time.perf_counter() - start:.1f} s")
    return topics, rare


def explain(sql, params, out=print):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        out("\n".join(row[0] for row in cursor.fetchall()))


def plans(topics, rare, out=print):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from releases.models import Advisory, Release
    from releases.topics import on_topic
    from releases.views import NewestFirst

    common_item = Release.objects.published().filter(tagged_topics__tag=topics[3]).order_by("-published_at")[1000]
    rare_item = Release.objects.published().filter(tagged_topics__tag=rare).order_by("published_at").first()
    for label, item in (("common topic", common_item), ("rare topic (and a common one)", rare_item)):
        if item is None:
            continue
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            related = item.related()
            elapsed = (time.perf_counter() - start) * 1000
        out(f"\n## Related items of an item on a {label}: {len(related)} found, {len(queries)} queries, {elapsed:.1f} ms")
        for query in queries.captured_queries[1:]:  # the first reads the item's own topics
            out(f"\n{query['sql']}\n")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                out("\n".join(row[0] for row in cursor.fetchall()))
    for label, topic in (("common", topics[3]), ("rare", rare)):
        with CaptureQueriesContext(connection) as queries:
            NewestFirst(*(on_topic(model.objects.published(), topic) for model in (Release, Advisory)))[:20]
        out(f"\n## First page of a {label} topic's page (releases' keys)\n")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + queries.captured_queries[0]["sql"])
            out("\n".join(row[0] for row in cursor.fetchall()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1000000)
    args = parser.parse_args()
    generate.setup_django()
    from django.core.management import call_command

    from releases.models import Advisory, Release

    call_command("migrate", verbosity=0)
    if Release.objects.count() + Advisory.objects.count() < args.items * 0.9:
        generate.rebuild_search_index = lambda out=print: out("  search index not built (not read here)")
        rate = generate.generate(args.items)
        print(f"Generated {args.items:,} items at {rate:,.0f} items/s")
    plans(*tag_archive())


if __name__ == "__main__":
    main()
