import importlib

import pytest

from journalists.models import Language

SEEDED = importlib.import_module("journalists.migrations.0002_languages").LANGUAGES


@pytest.fixture(autouse=True)
def languages(db):
    """The languages the migration seeds, again: a transactional test elsewhere (the browser suite) flushes them."""
    if Language.objects.count() < len(SEEDED):
        Language.objects.bulk_create([Language(code=code, name=name) for code, name in SEEDED], ignore_conflicts=True)
