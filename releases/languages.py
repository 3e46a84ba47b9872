"""
The newsroom's languages (``NEWSROOM_LANGUAGES``): which ones items may be written in.

The first listed is the site's default language: every item written without
choosing one is in it, and every item that existed before languages did was
migrated to English. With one language configured (the default), nothing about
languages shows to anyone: no field, no filter, no "Translate into" button.
"""
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import translation


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


# --- The public side per language (docs/translations.md, "Addresses"). ---------------------------
# The default language's pages stay unprefixed (every address from before languages keeps working,
# and a one-language newsroom is unchanged); every other language's pages are under /<code>/.
# A page's language is decided by its address alone (``newsroom.middleware.PageLanguageMiddleware``):
# no Accept-Language, no cookie, so a page is the same for everyone and cacheable by its URL.


def django_language(code):
    """
    The Django language activated for pages in ``code``: ``LANGUAGE_CODE`` for the default language
    when it is a variant of it ("en-gb" for "en": the interface keeps its British formats), else ``code``.
    """
    if code == default_language() and settings.LANGUAGE_CODE.lower().split("-")[0] == code:
        return settings.LANGUAGE_CODE
    return code


def active():
    """The newsroom language of the page being rendered (the active Django language), else the default."""
    current = (translation.get_language() or "").lower()
    for code in codes():
        if current == code or current.startswith(f"{code}-"):
            return code
    return default_language()


def public(code):
    """The language whose pages show an item written in ``code``: itself, or the default when it is not configured."""
    return code if code in codes() else default_language()


def prefix(code):
    """The address prefix of ``code``'s pages: "" for the default language, "/fr" for French."""
    code = public(code)
    return "" if code == default_language() else f"/{code}"


def from_path(path):
    """The language of the page at ``path``: its first segment when it is a prefixed language's code."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first != default_language() and first in codes() else default_language()


def strip_prefix(path):
    """``path`` without its language prefix: "/fr/events/" → "/events/"."""
    code = from_path(path)
    return path[len(prefix(code)):] if code != default_language() else path


def reverse_in(code, viewname, **kwargs):
    """``reverse`` for a page in ``code``, whatever language is active."""
    if not multilingual():
        return reverse(viewname, **kwargs)
    with translation.override(django_language(public(code))):
        return reverse(viewname, **kwargs)
