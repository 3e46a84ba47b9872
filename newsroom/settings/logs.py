"""
Error reporting, shared by every profile: log records as one JSON object per line on standard
error, mail to ``ADMINS`` on a 500, and Sentry when ``SENTRY_DSN`` is set (see ``base``).
"""
import json
import logging
from datetime import datetime, timezone
from email.utils import getaddresses

from django.core.exceptions import ImproperlyConfigured

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class JSONFormatter(logging.Formatter):
    """
    One JSON object per line, the traceback inside it: what a log collector (journald, a container
    runtime, Loki, CloudWatch) takes apart without parsing rules. Non-ASCII characters are written
    as JSON escapes, so a record survives a terminal or pipe of any encoding and parses back intact.
    """

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        # django.request and django.security pass the request and the status code along.
        request = getattr(record, "request", None)
        if hasattr(request, "method") and hasattr(request, "path"):
            entry["method"], entry["path"] = request.method, request.path
        if getattr(record, "status_code", None) is not None:
            entry["status"] = record.status_code
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def log_level(value):
    level = (value or "INFO").strip().upper()
    if level not in LEVELS:
        raise ImproperlyConfigured(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, not {value!r}.")
    return level


def admins(value):
    """
    ``ADMINS="Ops <ops@example.org>, ana@example.org"`` as Django's (name, address) pairs.
    Anything that isn't an address stops the start: a typo would otherwise silence every error mail.
    """
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    pairs = []
    for name, address in getaddresses([value or ""]):  # a quoted name may hold a comma
        if not (name or address):
            continue  # a stray comma
        try:
            validate_email(address)
        except ValidationError:
            raise ImproperlyConfigured(
                f"ADMINS: {address or name!r} is not an e-mail address; write \"Name <address>, other@address\"."
            ) from None
        pairs.append((name, address))
    return pairs


def logging_config(level):
    """
    Everything at ``level`` and above goes to standard error as JSON; Django's errors (500s)
    also go to ``ADMINS`` by mail when DEBUG is off (Django sends nothing while ADMINS is empty).
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JSONFormatter}},
        "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "json"},
            "mail_admins": {
                "class": "django.utils.log.AdminEmailHandler", "level": "ERROR", "filters": ["require_debug_false"],
            },
        },
        "root": {"handlers": ["stderr"], "level": level},
        # Django's records reach the root's handler too (propagation), so tests' caplog still sees them.
        "loggers": {
            "django": {"handlers": ["mail_admins"], "level": level},
            # django-axes reports every start and every successful login at INFO; lockouts are WARNING.
            "axes": {"level": "WARNING" if level in ("DEBUG", "INFO") else level},
        },
    }


def start_sentry(dsn, environment=""):
    """Report errors to Sentry; refuse to start when the SDK is missing, rather than report nothing."""
    try:
        import sentry_sdk
    except ImportError:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but the Sentry SDK is not installed: install the project with its "
            "'sentry' extra (pip install 'newsroom[sentry]', or pip install -e '.[sentry]'), or unset SENTRY_DSN."
        ) from None
    # The Django integration switches itself on; personal data (cookies, users, bodies) stays out.
    sentry_sdk.init(dsn=dsn, environment=environment or None, send_default_pii=False, traces_sample_rate=0)
