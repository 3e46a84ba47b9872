"""
Settings shared by every profile.

What changes between deployments is read from the environment; the defaults
are safe for development (SQLite in the project folder, DEBUG off unless the
dev profile turns it on).
"""
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from . import logs

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.")


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_filters",
    # Topics: django-taggit's managers and through models, with our own Topic model (releases.Topic).
    "taggit",
    # The body's rich-text editor: only its static files (ProseMirror/Tiptap, served from here).
    "django_prose_editor",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "releases",
    "notifications",
    "journalists",
    "distribution",
    "subscriptions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The page's language, from its address alone (/fr/…): before the page cache, which resolves it.
    "newsroom.middleware.PageLanguageMiddleware",
    # An anonymous page-cache hit is answered here, before sessions, auth, CSRF and messages.
    "newsroom.middleware.PageCacheMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newsroom.middleware.LazySessionMiddleware",  # Django's, the store made only when read
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "newsroom.middleware.AdminLocaleMiddleware",  # the admin in its user's language; public pages untouched
    "newsroom.middleware.LazyMessageMiddleware",  # Django's, the storage made only when used
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "newsroom.middleware.CachedCSPMiddleware",  # django-csp's, with the policy built once
    # Last, as django-axes asks: it turns a lockout flagged during authentication into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # With persistent connections, a connection PostgreSQL dropped is noticed before a request uses it.
        conn_health_checks=True,
    )
}
# Server-side cursors cost three round trips for a form's choices; our result sets are small, and
# transaction-pooling proxies (PgBouncer) don't support them anyway.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters sent apart from the query, so that a query's text is the same whatever its values,
    # and a text a connection has run DATABASE_PREPARE_THRESHOLD times is prepared: PostgreSQL
    # parses and plans it once per connection instead of on every request (a detail page's share
    # of PostgreSQL's CPU fell to about a third: docs/scale.md). "off" for a proxy that can't keep
    # prepared statements (PgBouncer in transaction mode before 1.21).
    threshold = None
    if os.environ.get("DATABASE_PREPARE_THRESHOLD", "").strip().lower() != "off":
        threshold = env_int("DATABASE_PREPARE_THRESHOLD", 5)
        if threshold < 0:
            raise ImproperlyConfigured(f"DATABASE_PREPARE_THRESHOLD must be 0 or more, or off, not {threshold}.")
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=threshold)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Every transaction takes SQLite's write lock when it begins, so two editors' transactions
    # queue for up to `timeout` seconds instead of one failing with "database is locked" when
    # it tries to write after reading (SQLite can't upgrade a read lock under contention).
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache, and the sessions through it, live in Redis when REDIS_URL is set (several gunicorn
# workers then share one cache); otherwise each process keeps its own in memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "newsroom")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "newsroom.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
    # Read from Redis, written through to the database: a Redis restart logs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
# Each process's own: the public pages' chrome (the header's links, the stylesheet and feed links),
# the same on every page of a language and a deploy (templates/base.html, ``newsroom.chrome_variant``).
CACHES["local"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "chrome"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# The interface's translations (docs/translations.md): Django's own catalogues for the admin, ours in
# locale/ (compiled by `make`, with Babel: no gettext needed to run). Which languages are offered is
# LANGUAGES, below.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# The newsroom's own time (releases/localtime.py): reviewers type publication times in it and every
# admin display names it ("Goes public on Wed 8 Nov 2023 at 17:30 CET"). TIME_ZONE stays the server's;
# public pages show advisories in their event's zone.
NEWSROOM_TIME_ZONE = os.environ.get("NEWSROOM_TIME_ZONE", "Europe/Brussels")
# The languages items are written in, the default first (releases/languages.py, docs/translations.md).
# English only by default: then nothing about languages or translations shows to anyone.
NEWSROOM_LANGUAGES = [("en", "English")]
# Django's own list follows it (a settings file that changes NEWSROOM_LANGUAGES says so again, as dev.py
# does). Public pages never negotiate: their address decides (docs/translations.md, "Addresses").
LANGUAGES = NEWSROOM_LANGUAGES

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads go to an S3-compatible bucket (django-storages) when its name is set. The bucket stays
# private: pictures reach the public only through the view that checks publication. boto3 reads
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment itself.
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "location": os.environ.get("AWS_LOCATION", "media"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
        },
    }

# Development and tests serve static files straight from the apps' folders; production serves collected ones.
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "admin:login"

# Security headers, in every profile so that development and the tests run under them;
# production adds HTTPS on top (redirect, secure cookies, HSTS).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # for old browsers; CSP's frame-ancestors says the same to new ones
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        # Everything is served from this site: one local stylesheet, the admin's own scripts and
        # styles (Django 5.2's admin has no inline scripts or style attributes; only a changelist
        # without actions adds a <style>, and tests/test_security.py renders every admin page to
        # keep it so), no CDN. JSON-LD blocks are data, not scripts, and need no exception.
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Pictures come through this site's own checking view, even with S3 storage. A data:
        # image can't run script, so inline placeholders cost no policy change.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# How many proxies of ours stand in front of gunicorn, each appending to X-Forwarded-For
# (newsroom/clients.py): the subscribe form's per-client limit counts the address they saw.
NEWSROOM_PROXIES = env_int("NEWSROOM_PROXIES", 0)

# Admin login throttling (django-axes): after AXES_FAILURE_LIMIT failed attempts for one
# username from one address, that pair is refused (HTTP 429) for the cool-off time, even with the
# right password. Keyed on the pair so one noisy address can't lock every editor out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Background tasks (notifications/tasks.py), through Django's Tasks API (the django-tasks backport).
# TASKS_BACKEND=database (the default) keeps the queue in the database, worked by `manage.py
# db_worker` (`make run` starts one beside the server); TASKS_BACKEND=rq keeps it in Redis (REDIS_URL),
# shared by `manage.py rqworker default --with-scheduler --job-class django_tasks_rq.Job` workers on
# any number of machines.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be 'database' or 'rq', not {TASKS_BACKEND!r}.")
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 300}}
RQ_SHOW_ADMIN_LINK = False

# E-mail: EMAIL_URL (smtp://user:password@host:25, submission://…:587 for STARTTLS, smtp://…:465?ssl=1,
# console:, file:///absolute/folder) or the EMAIL_* variables one by one. With neither, mail is
# printed on the console: the terminal of `make run`, or the worker's log.
_email = dj_email_url.parse(os.environ["EMAIL_URL"]) if os.environ.get("EMAIL_URL") else {}
if os.environ.get("EMAIL_URL", "").startswith("file:"):
    _email["EMAIL_FILE_PATH"] = urlparse(os.environ["EMAIL_URL"]).path  # dj-email-url drops the leading /
EMAIL_BACKEND = _email.get("EMAIL_BACKEND") or os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = _email.get("EMAIL_HOST") or os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT") or env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS") or env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL") or env_bool("EMAIL_USE_SSL")
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or os.environ.get("EMAIL_FILE_PATH", "")
# A mail server that doesn't answer holds a worker this long; then the delivery is tried again later.
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT") or env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = _email.get("DEFAULT_FROM_EMAIL") or os.environ.get("DEFAULT_FROM_EMAIL", "newsroom@localhost")
SERVER_EMAIL = _email.get("SERVER_EMAIL") or os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Links in e-mails are absolute: the address the newsroom's staff reach the site at.
NEWSROOM_BASE_URL = os.environ.get("NEWSROOM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Notifications (notifications/): how many times one is tried before it is marked failed in the
# admin, and the first wait between tries (doubled after each failure).
NEWSROOM_MAIL_ATTEMPTS = env_int("NEWSROOM_MAIL_ATTEMPTS", 5)
NEWSROOM_MAIL_RETRY_SECONDS = env_int("NEWSROOM_MAIL_RETRY_SECONDS", 60)
# Distribution (distribution/): a delivery claimed this long ago by a worker that never marked it
# sent is taken to have died with it and is sent again (with the same Message-ID).
NEWSROOM_DELIVERY_CLAIM_SECONDS = env_int("NEWSROOM_DELIVERY_CLAIM_SECONDS", 600)
# The daily digest goes at this time (HH:MM, 24-hour) in NEWSROOM_TIME_ZONE to subscribers who chose it.
NEWSROOM_DIGEST_TIME = os.environ.get("NEWSROOM_DIGEST_TIME", "08:00")

# Public lists
NEWSROOM_PAGE_SIZE = env_int("NEWSROOM_PAGE_SIZE", 20)
NEWSROOM_SITE_NAME = os.environ.get("NEWSROOM_SITE_NAME", "Newsroom")
# Public surfaces (releases/feeds.py, calendar.py, caching.py): entries per feed; how many days
# a past event stays in the calendar feed (a subscribed client deletes what the feed drops);
# how long anonymous responses may be reused without asking (0: revalidate every time, with
# ETag/Last-Modified; more suits a CDN, which may then show any change up to that many seconds
# late, a scheduled publication too: the value never shrinks before one, to keep its time secret);
# a string to change on deploys that change templates, so that cached pages are revalidated.
NEWSROOM_FEED_SIZE = env_int("NEWSROOM_FEED_SIZE", 50)
NEWSROOM_CALENDAR_PAST_DAYS = env_int("NEWSROOM_CALENDAR_PAST_DAYS", 30)
# How long a rendered calendar event stays in the cache (releases/calendar.py): its key already
# changes with the edition, so this only lets unused entries go.
NEWSROOM_CALENDAR_EVENT_SECONDS = env_int("NEWSROOM_CALENDAR_EVENT_SECONDS", 7 * 24 * 3600)
NEWSROOM_CACHE_MAX_AGE = env_int("NEWSROOM_CACHE_MAX_AGE", 0)
NEWSROOM_CACHE_VERSION = os.environ.get("NEWSROOM_CACHE_VERSION", "")
# Anonymous pages and feeds kept in the cache (Redis in production), out of use the moment anything
# public changes, and expired after this many seconds in any case (releases/caching.py).
NEWSROOM_PAGE_CACHE = env_bool("NEWSROOM_PAGE_CACHE", True)
NEWSROOM_PAGE_CACHE_SECONDS = env_int("NEWSROOM_PAGE_CACHE_SECONDS", 60)
# A shared HTTP cache in front (Varnish with xkey, deploy/varnish/newsroom.vcl; docs/operations.md):
# the URLs purged by surrogate key when anything public changes (comma-separated, e.g.
# http://127.0.0.1:6081/). Only when set do public responses carry s-maxage (this many seconds):
# a shared cache that isn't purged must not keep a withdrawn item.
NEWSROOM_PURGE_URLS = [url for url in os.environ.get("NEWSROOM_PURGE_URLS", "").split(",") if url.strip()]
NEWSROOM_SHARED_CACHE_SECONDS = env_int("NEWSROOM_SHARED_CACHE_SECONDS", 3600)

# Error reporting (newsroom/settings/logs.py), the same in every profile: log records at LOG_LEVEL
# (default INFO) and above go to standard error as one JSON object per line, tracebacks inside;
# a 500 is mailed to ADMINS ("Ops <ops@example.org>, other@example.org") when set, and reported
# to Sentry when SENTRY_DSN is set (the 'sentry' extra; without it the newsroom refuses to start).
LOGGING = logs.logging_config(logs.log_level(os.environ.get("LOG_LEVEL")))
ADMINS = logs.admins(os.environ.get("ADMINS"))
if os.environ.get("SENTRY_DSN"):
    logs.start_sentry(os.environ["SENTRY_DSN"], environment=os.environ.get("SENTRY_ENVIRONMENT", ""))

# Pictures (releases/pictures.py). An upload above either limit is refused with a form error.
# Django streams uploads above FILE_UPLOAD_MAX_MEMORY_SIZE (default 2.5 MB) to a temporary file,
# so the byte limit costs no memory; cap the request body at the proxy too (see README).
NEWSROOM_MAX_IMAGE_PIXELS = env_int("NEWSROOM_MAX_IMAGE_PIXELS", 40_000_000)
NEWSROOM_MAX_UPLOAD_BYTES = env_int("NEWSROOM_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
NEWSROOM_PICTURE_WIDTHS = (320, 640, 1280)
# How long browsers and CDNs may keep a public picture: a withdrawn item's pictures vanish after this.
NEWSROOM_PICTURE_CACHE_SECONDS = env_int("NEWSROOM_PICTURE_CACHE_SECONDS", 3600)
# Media kits (docs/pictures.md#media-kit): the byte limit per document; kits larger than the
# second figure are zipped by the worker and cached in storage, smaller ones in the request.
NEWSROOM_MAX_DOCUMENT_BYTES = env_int("NEWSROOM_MAX_DOCUMENT_BYTES", 20 * 1024 * 1024)
NEWSROOM_MEDIA_KIT_INLINE_BYTES = env_int("NEWSROOM_MEDIA_KIT_INLINE_BYTES", 20 * 1024 * 1024)
