"""gunicorn settings, read from the environment: `gunicorn newsroom.wsgi` picks this file up.

gunicorn listens on 127.0.0.1 behind a web server or load balancer that terminates TLS and sets
X-Forwarded-Proto. Django answers everything itself: whitenoise serves the collected static files,
and pictures go through the view that checks publication.
"""
import multiprocessing
import os


def _whole_number(name, default):
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}.") from None


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# gunicorn's own rule of thumb: the workers wait on the database more than they compute.
workers = _whole_number("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
# A request that takes longer than this is stuck: its worker is killed and replaced.
timeout = _whole_number("GUNICORN_TIMEOUT", 30)
graceful_timeout = _whole_number("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _whole_number("GUNICORN_KEEPALIVE", 5)
# Recycle each worker after 50,000 requests (± up to 5,000, so workers don't restart together), as
# insurance against a slow leak. Not fewer: a restart re-imports Django and reopens the database and
# Redis connections (about a second of one worker), and at the few hundred requests per second a
# worker serves from the page cache, 1,000 meant a restart every few seconds under load. At 50,000 a
# busy worker restarts every few minutes. 0 turns recycling off (the side-by-side benchmark does).
max_requests = _whole_number("GUNICORN_MAX_REQUESTS", 50_000)
max_requests_jitter = _whole_number("GUNICORN_MAX_REQUESTS_JITTER", 5_000)
# "-" is standard output (the access log) and standard error (gunicorn's own messages), where a process
# manager (systemd, a container runtime) collects them. The application's records, tracebacks
# included, go to standard error as JSON lines (LOG_LEVEL, newsroom/settings/logs.py). The access
# log is GUNICORN_ACCESS_LOG, as documented (GUNICORN_ACCESSLOG, an older spelling, is read too).
# "off" writes none, and formats none: behind Varnish or nginx, which log every request (cache hits
# included, which gunicorn never sees) in C, that is the cheap way (docs/operations.md). /dev/null
# means the same: gunicorn would otherwise format every line (about 150 µs of a worker's CPU per
# request here, a fifth of a bare view's: docs/scale.md) only to throw it away.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or os.environ.get("GUNICORN_ACCESSLOG") or "-"
if accesslog in ("off", os.devnull):
    accesslog = None
errorlog = os.environ.get("GUNICORN_ERROR_LOG") or "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
