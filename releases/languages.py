"""
The newsroom's languages (``NEWSROOM_LANGUAGES``): which ones items may be written in.

The first listed is the site's default language: every item written without
choosing one is in it, and every item that existed before languages did was
migrated to English. With one language configured (the default), nothing about
languages shows to anyone: no field, no filter, no "Translate into" button.
"""
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def languages():
    """The configured languages as (code, name) pairs, the default first."""
    configured = list(getattr(settings, "NEWSROOM_LANGUAGES", None) or [("en", "English")])
    if len({code for code, _name in configured}) != len(configured):
        raise ImproperlyConfigured("NEWSROOM_LANGUAGES lists a language twice.")
    return configured


def language_choices():
    return languages()


def default_language():
    return languages()[0][0]


def codes():
    return [code for code, _name in languages()]


def name(code):
    return dict(languages()).get(code, code)


def multilingual():
    """True when the newsroom has more than one language: only then does any of this show."""
    return len(languages()) > 1
