"""Production: the base settings, tightened. Refuses to start without a secret key or with DEBUG on."""
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DEBUG, SECRET_KEY, STORAGES, env_bool, env_int

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
