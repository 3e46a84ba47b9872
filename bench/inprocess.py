"""
In-process cost of a public GET, without gunicorn, wrk or the network: many requests through the
WSGI handler (the whole middleware stack) with the production settings, so that figures are
comparable within one run on a busy machine. For each page: microseconds per request, database
queries and cache round trips per request, and the time each middleware adds (its own work,
measured by wrapping each layer of the stack).

    DJANGO_SETTINGS_MODULE=newsroom.settings.production DATABASE_URL=postgres://… REDIS_URL=redis://… \\
        SECRET_KEY=… ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=0 .venv/bin/python -m bench.inprocess
    … .venv/bin/python -m bench.inprocess --profile /     # and a cProfile of one page, by cumulative time
    … .venv/bin/python -m bench.inprocess --cpu           # CPU per request: Python, PostgreSQL, Redis

The archive is bench.generate's (see bench/probe.py for the URLs).
"""
import argparse
import cProfile
import importlib
import io
import pstats
import sys
import time

from bench.generate import setup_django


def environ(path, headers=()):
    query = ""
    if "?" in path:
        path, query = path.split("?", 1)
    env = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }
    for name, value in headers:
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def call(application, path, headers=()):
    status = []
    body = application(environ(path, headers), lambda s, h, exc_info=None: status.append((s, dict(h))))
    content = b"".join(body)
    if hasattr(body, "close"):
        body.close()
    return status[0][0], status[0][1], content


class Counting:
    """Counts cache round trips (get/get_many/set…) and database queries while active."""

    def __init__(self):
        from django.core.cache import caches
        from django.db import connection

        self.cache, self.connection, self.trips, self.queries = caches["default"], connection, 0, 0

    def __enter__(self):
        self.patched = []
        klass = type(self.cache)
        for name in ("get", "get_many", "set", "add", "incr", "delete", "set_many", "has_key"):
            original = getattr(klass, name)

            def counted(*args, _original=original, **kwargs):
                self.trips += 1
                return _original(*args, **kwargs)

            setattr(klass, name, counted)
            self.patched.append((klass, name, original))
        # Every read beside redis-py's client goes through ``_mget`` (the page cache's, the public state's,
        # a detail page's kept parts): in newsroom.cache, in newsroom.middleware before it moved there; a
        # checkout from before it had only the middleware's ``redis_round_trip``.
        self.module, self.name = None, None
        for module_name, name in (("newsroom.cache", "_mget"), ("newsroom.middleware", "_mget"),
                                  ("newsroom.middleware", "redis_round_trip")):
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            if hasattr(module, name):
                self.module, self.name = module, name
                break
        self.raw = getattr(self.module, self.name) if self.name else None
        if self.raw is not None:
            setattr(self.module, self.name,
                    lambda *a, **k: (setattr(self, "trips", self.trips + 1), self.raw(*a, **k))[1])
        self.connection.force_debug_cursor = True
        self.connection.queries_log.clear()
        return self

    def __exit__(self, *exc):
        if self.raw is not None:
            setattr(self.module, self.name, self.raw)
        for klass, name, original in self.patched:
            if name in vars(klass) and vars(klass)[name] is not original:
                delattr(klass, name)
            if getattr(klass, name) is not original:
                setattr(klass, name, original)
        self.queries = len(self.connection.queries_log)
        self.connection.force_debug_cursor = False


def measure(application, path, headers, repeat):
    call(application, path, headers)
    with Counting() as counting:
        status, response_headers, _ = call(application, path, headers)
    start = time.perf_counter()
    for _ in range(repeat):
        call(application, path, headers)
    elapsed = (time.perf_counter() - start) / repeat
    return status, elapsed, counting.queries, counting.trips, response_headers


def layer_times(path, headers, repeat):
    """Per middleware: microseconds it adds to a request, measured as the difference between
    handlers built with the first k and the first k+1 middleware of MIDDLEWARE."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    full = list(settings.MIDDLEWARE)
    costs, previous = {}, None
    try:
        for k in range(len(full) + 1):
            settings.MIDDLEWARE = full[:k]
            handler = WSGIHandler()
            call(handler, path, headers)
            best = min(timed(handler, path, headers, repeat) for _ in range(3))
            if previous is not None:
                costs[full[k - 1]] = best - previous
            else:
                costs["(no middleware)"] = best
            previous = best
    finally:
        settings.MIDDLEWARE = full
    return costs


def timed(application, path, headers, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        call(application, path, headers)
    return (time.perf_counter() - start) / repeat


#: Django's startproject middleware: the Wagtail peer's bare view runs through these (peers/README.md).
STANDARD = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def stacks(path, repeat, rounds=5):
    """The bare view through Newsroom's middleware and through Django's standard list, interleaved."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    ours = list(settings.MIDDLEWARE)
    handlers = {}
    for name, middleware in (("newsroom", ours), ("standard", STANDARD)):
        settings.MIDDLEWARE = middleware
        handlers[name] = WSGIHandler()
    settings.MIDDLEWARE = ours
    best = {name: float("inf") for name in handlers}
    for _ in range(rounds):
        for name, handler in handlers.items():
            call(handler, path)
            best[name] = min(best[name], timed(handler, path, (), repeat))
    return best


def process_cpu(pid):
    """Seconds of CPU (user and system) process ``pid`` has used, from /proc (Linux)."""
    import os

    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_split(application, path, repeat, rounds=5):
    """
    CPU per request, median of ``rounds``, in µs: this process, the PostgreSQL backend serving its
    connection (read from /proc, so PostgreSQL must run on this machine) and the Redis server (its
    ``INFO cpu``: the whole server, so nothing else should use it meanwhile). Unlike wall time this
    leaves out waiting for the CPU, which is most of a round trip's cost on a busy machine.
    """
    import statistics

    from django.core.cache import caches
    from django.db import connection

    call(application, path)
    connection.ensure_connection()  # the bare view opens none
    backend = connection.connection.info.backend_pid
    redis = caches["default"]._cache.get_client(write=False)

    def redis_cpu():
        info = redis.info("cpu")
        return info["used_cpu_user"] + info["used_cpu_sys"]

    samples = []
    for _ in range(rounds):
        before = (time.process_time(), process_cpu(backend), redis_cpu())
        for _ in range(repeat):
            call(application, path)
        after = (time.process_time(), process_cpu(backend), redis_cpu())
        if connection.connection.info.backend_pid != backend:
            raise SystemExit("the database connection changed during the run: set DATABASE_CONN_MAX_AGE")
        samples.append([(b - a) / repeat * 1e6 for a, b in zip(before, after)])
    return [statistics.median(column) for column in zip(*samples)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--profile", help="a path to cProfile (e.g. /)")
    parser.add_argument("--sort", default="cumulative", help="the profile's order: cumulative (default), tottime…")
    parser.add_argument("--lines", type=int, default=40, help="how many of the profile's lines to print")
    parser.add_argument("--layers", action="store_true", help="time each middleware on the bare view")
    parser.add_argument("--stacks", action="store_true",
                        help="the bare view through Newsroom's middleware beside Django's standard list")
    parser.add_argument("--cpu", action="store_true",
                        help="CPU per request of each page: this process, its PostgreSQL backend, Redis")
    args = parser.parse_args()
    setup_django()
    import json
    import subprocess

    from django.core.wsgi import get_wsgi_application

    facts = json.loads(subprocess.run([sys.executable, "-m", "bench.probe"], capture_output=True, text=True,
                                      check=True).stdout.strip().splitlines()[-1])
    application = get_wsgi_application()
    if args.profile:
        call(application, args.profile)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeat):
            call(application, args.profile)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)
        return
    if args.stacks:
        for name, seconds in stacks("/healthz", args.repeat).items():
            print(f"bare view, {name} middleware: {seconds * 1e6:.0f} µs/request (best of 5 rounds)")
        return
    pages = {"bare view": "/healthz", "home": "/", "deep page": facts["deep_page"], "detail": facts["detail"]}
    if args.cpu:
        print(f"{'page':<12} {'Python µs':>10} {'PostgreSQL µs':>14} {'Redis µs':>9} {'total µs':>9}  (median of 5 rounds)")
        for name, path in pages.items():
            python, postgres, redis = cpu_split(application, path, args.repeat)
            print(f"{name:<12} {python:>10.0f} {postgres:>14.0f} {redis:>9.0f} {python + postgres + redis:>9.0f}")
        return
    print(f"{'page':<22} {'status':<6} {'µs/request':>10} {'queries':>8} {'cache trips':>11}")
    for name, path in pages.items():
        status, elapsed, queries, trips, headers = measure(application, path, (), args.repeat)
        print(f"{name:<22} {status[:3]:<6} {elapsed * 1e6:10.0f} {queries:8d} {trips:11d}")
        if "ETag" in headers:
            status, elapsed, queries, trips, _ = measure(application, path, [("If-None-Match", headers["ETag"])],
                                                         args.repeat)
            print(f"{name + ' (304)':<22} {status[:3]:<6} {elapsed * 1e6:10.0f} {queries:8d} {trips:11d}")
        if args.layers and name == "bare view":
            for layer, seconds in layer_times(path, (), args.repeat // 3).items():
                print(f"    {layer:<40} {seconds * 1e6:8.1f} µs")


if __name__ == "__main__":
    main()
