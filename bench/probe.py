"""
Before the load: pick the URLs to load, log a staff user in, and EXPLAIN the
main queries. Prints one JSON line for bench/run.py.
"""
import json
import sys

from bench.generate import setup_django


def explain(sql, params):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING ON) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def slowest_query(client, path):
    """The slowest SQL query a page runs, as (sql, params, seconds); None if it runs none."""
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    if not captured.captured_queries:
        return None  # the bare view, a kept page: nothing to explain
    query = max(captured.captured_queries, key=lambda q: float(q["time"]))
    # Re-run through the cursor with the real parameters (captured SQL has them inlined).
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(query["sql"])
    return query["sql"], [], time.perf_counter() - start


def main():
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    from releases.models import Release, Source

    cache.clear()
    User = get_user_model()
    admin = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "bench@example.org", "bench-admin-password",
    )
    client = Client()
    client.force_login(admin)
    session = client.cookies["sessionid"].value
    anonymous = Client()
    published = Release.objects.published().order_by("-published_at")
    total = published.count()
    detail = published[total // 2].get_absolute_url()
    deep_page = deep_page_url(published, total)
    source = Source.objects.order_by("pk").first().get_absolute_url()
    plans = {}
    for name, path, who in (
        ("home", "/", anonymous), ("deep page", deep_page, anonymous), ("detail", detail, anonymous),
        ("source page", source, anonymous), ("search", "/?q=cyber+defence", anonymous),
        ("admin changelist", "/admin/releases/release/", client),
    ):
        slowest = slowest_query(who, path)
        if slowest is None:
            plans[name] = "no query"
            continue
        sql, params, _ = slowest
        plans[name] = f"{sql[:600]}\n" + explain(sql, params)
    print(json.dumps({
        "session": session, "detail": detail, "deep_page": deep_page, "source": source, "explain": plans,
    }))


def deep_page_url(published, total):
    """A page about 90% of the way into the archive, reached the way a reader does: by 'Older' links."""
    from releases.views import page_cursor

    item = published[int(total * 0.9)]
    return "/?" + page_cursor(item)


if __name__ == "__main__":
    sys.exit(main())
