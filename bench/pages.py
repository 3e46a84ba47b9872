"""
p50 of single pages in-process (the whole WSGI stack, no gunicorn or network), for the pages
that grow with the archive: search (a common and a rare query), the calendar, the feeds, beside
the bare view. Figures of one run compare with each other; on a shared machine absolute ones
don't travel, so the load average is printed with them.

    DJANGO_SETTINGS_MODULE=newsroom.settings.production DATABASE_URL=postgres://… REDIS_URL=redis://… \\
        SECRET_KEY=… ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=0 NEWSROOM_PAGE_CACHE=0 \\
        .venv/bin/python -m bench.pages --repeat 30
"""
import argparse
import os
import statistics
import time

from bench.generate import setup_django
from bench.inprocess import call

PAGES = {
    "bare view": "/healthz",
    "search common": "/?q=cyber+defence",
    "search rare": "/?q=pangea",
    "search two pages": "/?q=security&page=2",
    "calendar": "/advisories.ics",
    "feed rss": "/feeds/latest.rss",
    "feed atom": "/feeds/latest.atom",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", help="comma-separated page names")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN (ANALYZE, BUFFERS) of each page's slowest query instead")
    parser.add_argument("--ranked", type=int, help="search.RANKED_MATCHES for this run")
    args = parser.parse_args()
    setup_django()
    if args.ranked:
        from releases import search

        search.RANKED_MATCHES = args.ranked
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    names = args.only.split(",") if args.only else list(PAGES)
    if args.explain:
        from django.test import Client

        from bench.probe import explain, slowest_query

        for name in names:
            slowest = slowest_query(Client(), PAGES[name])
            if slowest is None:
                print(f"-- {name}: {PAGES[name]}\nno query\n", flush=True)
                continue
            sql, params, _ = slowest
            print(f"-- {name}: {PAGES[name]}\n{sql}\n{explain(sql, params)}\n", flush=True)
        return
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; "
          f"page cache {os.environ.get('NEWSROOM_PAGE_CACHE', '?')}; {args.repeat} requests per page")
    for name in names:
        path = PAGES[name]
        status, _, body = call(application, path)  # warm the code path (and the caches)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            call(application, path)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{name:<18} {status[:3]} p50 {statistics.median(times):8.2f} ms  min {min(times):8.2f} ms  "
              f"{len(body):8d} bytes  {path}", flush=True)


if __name__ == "__main__":
    main()
