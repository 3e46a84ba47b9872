"""Production: the base settings, tightened. Refuses to start without a secret key or with DEBUG on."""
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DATABASES, DEBUG, SECRET_KEY, STORAGES, env_bool, env_int

if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
if DEBUG:
    # DEBUG pages show settings and source to anyone who triggers an error.
    raise ImproperlyConfigured("DEBUG must be off in production; use newsroom.settings.dev to debug.")

# Collected static files (`manage.py collectstatic`) with content hashes in their names and
# gzip copies beside them; whitenoise serves them with far-future cache headers.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# One database connection kept per worker instead of one opened per request: gunicorn's sync workers
# serve a request at a time, so this is one connection per worker (2 per core by default), and opening
# a connection was about 12 % of an uncached detail page's time (docs/scale.md). Health-checked before
# reuse (base.py), so a connection PostgreSQL dropped is replaced. DATABASE_CONN_MAX_AGE=0 turns it off
# (behind a transaction-pooling PgBouncer, say). Development keeps 0: runserver's threads would each
# keep one.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)

# gunicorn listens on 127.0.0.1 behind a proxy that terminates TLS and sets this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Off unless the operator opts in: preloading binds the whole domain to HTTPS for a long time.
# `check --deploy` warns (security.W021) until it is on.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
