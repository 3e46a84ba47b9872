"""Tests: fast password hashing, in-memory cache, media in a temporary folder."""
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY as _SECRET_KEY

SECRET_KEY = _SECRET_KEY or "test-only-insecure-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="newsroom-test-media-"))
ALLOWED_HOSTS = ["*"]
