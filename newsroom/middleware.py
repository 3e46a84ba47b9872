"""
The newsroom's own middleware: the page's language from its address, the page cache's fast path,
a CSP header built once, and sessions and messages made only when used.

``PageCacheMiddleware`` sits right after ``SecurityMiddleware`` (which still redirects plain HTTP
and adds its headers), before sessions, authentication, CSRF and messages. An anonymous GET or
HEAD (no session or messages cookie) is answered from the page cache with one cache round trip
(one ``MGET`` of the public state and the page, on Redis) and no database query, as a 200 or a 304;
anything else, and every miss, goes down the whole stack. The page is the *final* response of an
earlier anonymous GET (every middleware's headers included), stored here on its way out only when
``releases.caching.public_cache`` marked it cacheable and it sets no cookie. It is used only while
the public state it was rendered under is the current one and younger than
``NEWSROOM_PAGE_CACHE_SECONDS``: exactly the rules of ``releases/caching.py``, which this applies.
"""
import functools
import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.core.signals import setting_changed
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject, empty
from django.utils.http import parse_http_date_safe

from csp.middleware import CheckableLazyObject, CSPMiddleware

from newsroom.cache import cache_values

#: v2: a page is stored as plain values (see ``PageCacheMiddleware``), not as a pickled response.
PAGE_KEY = "newsroom:page:v2:{path}"
#: The attribute ``public_cache`` sets on an anonymous response it may share: the ETag it carries.
MARK = "_newsroom_page_etag"
#: The attribute ``public_cache`` sets on the views it wraps.
PUBLIC = "newsroom_public_cache"
#: The request headers that can make a stored page's answer a 304 or a 412.
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")

def redis_round_trip(keys):
    """The page cache's one round trip: the public state (``keys[0]``) and the stored page."""
    return cache_values(keys, state_first=True)


@functools.lru_cache(maxsize=4096)
def public_view(path):
    """Whether ``path`` goes to a view wrapped by ``public_cache`` (remembered: resolving costs)."""
    try:
        view = resolve(path).func
    except Resolver404:
        return False
    dispatch = getattr(getattr(view, "view_class", None), "dispatch", None)
    return bool(getattr(view, PUBLIC, False) or getattr(dispatch, PUBLIC, False))


def page_key(request):
    return PAGE_KEY.format(path=hashlib.sha256(request.get_full_path().encode()).hexdigest())


def shareable_request(request):
    """An anonymous GET or HEAD: no session (so no login) and no pending messages."""
    return (
        settings.NEWSROOM_PAGE_CACHE
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


class PageLanguageMiddleware:
    """
    Activates the language of the page asked for, decided by its address alone: /fr/… is French,
    an unprefixed address the default language (``releases.languages``). No Accept-Language and no
    cookie: a page is the same for every visitor, so the page cache and Varnish keep it by its URL
    (no ``Vary``). Before ``PageCacheMiddleware``, which resolves the address with it. The language
    before the request is restored after it (a test's ``reverse`` after a French page stays English).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from releases import languages

        if not languages.multilingual():
            # One language: every page is in LANGUAGE_CODE, Django's language when none is activated.
            return self.get_response(request)
        with translation.override(languages.django_language(languages.from_path(request.path_info))):
            request.LANGUAGE_CODE = translation.get_language()
            return self.get_response(request)


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not shareable_request(request) or not public_view(request.path_info):
            return self.get_response(request)  # not a public_cache view: no round trip for it
        try:
            request.get_host()  # an unknown Host goes down the stack, to its 400
        except DisallowedHost:
            return self.get_response(request)
        from releases.caching import STATE_KEY

        key = page_key(request)
        state, stored = redis_round_trip([STATE_KEY, key])
        if stored is not None and state is not None:
            etag, stored_at, last_modified, headers, content = stored
            now = timezone.now()
            if (
                state.now <= now < state.valid_until
                and etag == state.etag(False)
                and timedelta(0) <= now - stored_at < timedelta(seconds=settings.NEWSROOM_PAGE_CACHE_SECONDS)
            ):
                response = HttpResponse(content)
                # The stored headers are those of a response Django built and checked: they are put
                # back as they are, not checked one by one again (half the cost of making the response).
                response.headers._store = {name.lower(): (name, value) for name, value in headers.items()}
                if any(name in request.META for name in CONDITIONAL):
                    return get_conditional_response(request, etag=etag, last_modified=last_modified, response=response)
                return response  # what get_conditional_response returns for a request without conditions
        response = self.get_response(request)
        etag = getattr(response, MARK, None)
        if (
            etag is not None and request.method == "GET" and response.status_code == 200
            and not response.streaming and not response.cookies
        ):
            # Plain values, not the response object: a pickled HttpResponse (its headers object, its
            # attributes) costs several times as much to read back as its bytes and header pairs.
            last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
            stored = (etag, timezone.now(), last_modified, dict(response.items()), response.content)
            cache.set(key, stored, settings.NEWSROOM_PAGE_CACHE_SECONDS)
        return response


class CachedCSPMiddleware(CSPMiddleware):
    """django-csp, with the site-wide policy built once instead of on every response.

    A response that carries its own policy (``_csp_update``, ``_csp_replace``, ``_csp_config``) or a
    request that used a nonce still goes through django-csp's own code."""

    _built = {}

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in ("_csp_update", "_csp_replace", "_csp_config", "_csp_exempt",
                                                         "_csp_update_ro", "_csp_replace_ro", "_csp_config_ro",
                                                         "_csp_exempt_ro"))
        ):
            return super().process_response(request, response)
        headers = self._built.get("headers")
        if headers is None:
            probe = HttpResponse()
            super().process_response(request, probe)
            headers = self._built["headers"] = {
                name: probe[name] for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
                if name in probe
            }
            self._built["excluded"] = {
                name: tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
                for name, setting in (("Content-Security-Policy", "CONTENT_SECURITY_POLICY"),
                                      ("Content-Security-Policy-Report-Only", "CONTENT_SECURITY_POLICY_REPORT_ONLY"))
            }
        if settings.DEBUG and response.status_code in (404, 500):
            return response
        for name, value in headers.items():
            if name not in response and not request.path_info.startswith(self._built["excluded"][name]):
                response[name] = value
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # as django-csp does
        return response


def _settings_changed(setting, **kwargs):
    """Tests change settings: forget what was worked out from them."""
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        CachedCSPMiddleware._built.clear()
    if setting in ("ROOT_URLCONF", "NEWSROOM_LANGUAGES", "LANGUAGE_CODE"):
        # Which prefixes exist (and so what resolves, and to what ``reverse`` prefixes) follows the languages.
        from django.urls import clear_url_caches

        clear_url_caches()
        public_view.cache_clear()


setting_changed.connect(_settings_changed)


class LazySessionMiddleware(SessionMiddleware):
    """Django's, but the session store is made only when something reads the session: a public GET
    by a visitor without a session never builds one, and its response gets no ``Vary: Cookie``."""

    def process_request(self, request):
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        request.session = SimpleLazyObject(lambda: self.SessionStore(session_key))

    def process_response(self, request, response):
        if untouched(request, "session"):
            return response
        return super().process_response(request, response)


class LazyMessageMiddleware(MessageMiddleware):
    """Django's, but the message storage is made only when a message is added or read."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        if untouched(request, "_messages"):
            return response
        return super().process_response(request, response)


def untouched(request, name):
    value = request.__dict__.get(name)
    return isinstance(value, SimpleLazyObject) and value._wrapped is empty


class AdminLocaleMiddleware:
    """
    The admin (every address under ``/admin/``) in its user's language: the one chosen in the admin's
    header (Django's ``set_language`` view, a cookie), else the browser's ``Accept-Language``, else
    ``LANGUAGE_CODE``. Only the admin: the public pages are cached per address and never read the cookie
    or the header (the address decides their language). The language is active only for the admin's own
    request, so a worker's next (public) request starts from the default again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(admin_prefix()):
            return self.get_response(request)
        from releases import languages

        # The default language is the newsroom's own variant of it (LANGUAGE_CODE, "en-gb"): a browser
        # asking for en-US must not get American date formats, which read 08/11/2030 as 11 August.
        language = languages.django_language(translation.get_language_from_request(request))
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


@functools.cache
def admin_prefix():
    from django.urls import reverse

    return reverse("admin:index")
