"""Tests: fast password hashing, media in a temporary folder; the cache is in memory, or Redis when REDIS_URL is set."""
import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import CACHES
from .base import SECRET_KEY as _SECRET_KEY

# A run against a shared Redis keeps its keys apart from other runs and from a live site.
CACHES["default"]["KEY_PREFIX"] = f"newsroom-test-{os.getpid()}"

SECRET_KEY = _SECRET_KEY or "test-only-insecure-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="newsroom-test-media-"))
ALLOWED_HOSTS = ["*"]
