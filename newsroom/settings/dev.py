"""Development: DEBUG on by default; a throwaway secret key only while DEBUG is on."""
import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F401,F403
from .base import DEBUG, SECRET_KEY  # noqa: E402

if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

# The demo newsroom publishes in English and French, as NATO does (docs/translations.md).
NEWSROOM_LANGUAGES = [("en", "English"), ("fr", "Français")]
LANGUAGES = NEWSROOM_LANGUAGES
