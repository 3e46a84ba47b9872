"""Security headers on public and admin pages, pages that work under the CSP, admin login throttling."""
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from .factories import make_advisory, make_contact, make_release, make_source, make_user, publish

LOGIN_URL = "/admin/login/?next=/admin/"


def policy(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in parts}


def assert_security_headers(response):
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in csp.values() for source in sources)
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


# --- headers -----------------------------------------------------------------


@pytest.fixture
def published_items(writer, reviewer):
    source = make_source("Europol")
    release = make_release(source, title="Ransomware gang dismantled", author=writer)
    release.contacts.add(make_contact(source, name="Europol Press Office", email="press@europol.example"))
    release = publish(release, reviewer)
    advisory = publish(make_advisory(source, title="Press conference in The Hague", author=writer), reviewer)
    return release, advisory


def test_public_pages_send_security_headers(client, published_items):
    release, advisory = published_items
    for url in ["/", release.get_absolute_url(), advisory.get_absolute_url(), release.source.get_absolute_url()]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)


def test_not_found_page_sends_security_headers(client):
    response = client.get("/releases/no-such-release/")
    assert response.status_code == 404
    assert_security_headers(response)


def test_admin_login_page_sends_security_headers(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert_security_headers(response)


def test_admin_pages_send_security_headers(client, writer, published_items):
    client.force_login(writer)
    release, _ = published_items
    for url in ["/admin/", reverse("admin:releases_release_change", args=[release.pk])]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)


def test_https_is_not_forced_outside_production(client):
    """Development and the tests run over plain HTTP: no HSTS, no redirect (production adds them)."""
    response = client.get("/", secure=True)
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


# --- pages that work under the policy ------------------------------------------


class InlineCodeFinder(HTMLParser):
    """Collects what `script-src 'self'; style-src 'self'` would block in a page."""

    DATA_TYPES = {"application/json", "application/ld+json"}

    def __init__(self):
        super().__init__()
        self.blocked = []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = not attrs.get("src") and attrs.get("type") not in self.DATA_TYPES
            src = attrs.get("src") or ""
            if src.startswith(("http:", "https:", "//")):
                self.blocked.append(f"script from another site: {src}")
        if tag == "style":
            self.blocked.append("<style> element")
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "") and (attrs.get("href") or "").startswith(
            ("http:", "https:", "//")
        ):
            self.blocked.append(f"stylesheet from another site: {attrs['href']}")
        for name, value in attrs.items():
            if name == "style":
                self.blocked.append(f'style="{value}" on <{tag}>')
            if name.startswith("on"):
                self.blocked.append(f"{name} handler on <{tag}>")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.blocked.append(f"javascript: URL on <{tag}>")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.blocked.append(f"inline script: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def blocked_by_policy(response):
    finder = InlineCodeFinder()
    finder.feed(response.content.decode())
    return finder.blocked


def test_inline_code_finder_spots_what_the_policy_blocks():
    """The checker used below does find inline code (otherwise the tests after it prove nothing)."""

    class Page:
        content = (b'<p style="color:red" onclick="x()">a</p><script>alert(1)</script><style>p{}</style>'
                   b'<script type="application/ld+json">{"@type": "NewsArticle"}</script>'
                   b'<script src="/static/a.js"></script><a href="javascript:void(0)">b</a>')

    assert blocked_by_policy(Page) == [
        'style="color:red" on <p>', "onclick handler on <p>", "inline script: 'alert(1)'", "<style> element",
        "javascript: URL on <a>",
    ]


def test_public_pages_need_nothing_the_policy_blocks(client, published_items):
    release, advisory = published_items
    for url in ["/", "/?kind=advisory", release.get_absolute_url(), advisory.get_absolute_url(),
                release.source.get_absolute_url()]:
        response = client.get(url)
        assert blocked_by_policy(response) == [], url


def test_admin_pages_need_nothing_the_policy_blocks(client, rf, writer, reviewer, published_items):
    """The login page, every admin list and add form, change forms with their workflow panel, the review queue."""
    assert blocked_by_policy(client.get(LOGIN_URL)) == []
    release, advisory = published_items
    in_review = make_release(author=writer, title="Waiting for review")
    in_review.submit(writer)
    superuser = make_user("root", is_superuser=True)
    client.force_login(superuser)
    request = rf.get("/admin/")
    request.user = superuser
    urls = ["/admin/", reverse("review-queue"),
            reverse("admin:releases_release_change", args=[release.pk]),
            reverse("admin:releases_release_change", args=[in_review.pk]),
            reverse("admin:releases_advisory_change", args=[advisory.pk]),
            reverse("admin:auth_user_change", args=[superuser.pk]),
            reverse("admin:auth_user_password_change", args=[superuser.pk])]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert len(urls) > 15
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert blocked_by_policy(response) == [], url


# --- login throttling ------------------------------------------------------------


def log_in(client, username, password, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password, "next": "/admin/"}, **extra)


def logged_in(client):
    return client.get("/admin/").status_code == 200


def test_repeated_failed_logins_lock_the_account_out(client, settings, writer):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert log_in(client, "writer-1", "wrong password").status_code == 200  # the form, with an error
    response = log_in(client, "writer-1", "wrong password")
    assert response.status_code == 429
    assert b"too many login attempts" in response.content
    assert_security_headers(response)
    # Now even the right password is refused.
    response = log_in(client, "writer-1", "pw")
    assert response.status_code == 429
    assert not logged_in(client)


def test_failures_below_the_limit_do_not_lock_out(client, settings, writer):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "writer-1", "wrong password")
    response = log_in(client, "writer-1", "pw")
    assert response.status_code == 302
    assert logged_in(client)


def test_a_successful_login_resets_the_count(client, settings, writer):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "writer-1", "wrong password")
    assert log_in(client, "writer-1", "pw").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "writer-1", "wrong password").status_code == 200
    assert log_in(client, "writer-1", "pw").status_code == 302


def test_lockout_is_per_username_and_address(client, settings, writer, writer2):
    """One locked pair doesn't lock other editors out, nor the same editor from elsewhere."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "writer-1", "wrong password")
    assert log_in(client, "writer-1", "pw").status_code == 429
    assert log_in(client, "writer-2", "pw").status_code == 302
    client.logout()
    assert log_in(client, "writer-1", "pw", REMOTE_ADDR="192.0.2.10").status_code == 302


def test_lockout_ends_after_the_cool_off_time(client, settings, writer):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "writer-1", "wrong password")
    assert log_in(client, "writer-1", "pw").status_code == 429
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert log_in(client, "writer-1", "pw").status_code == 302


def test_failed_logins_are_recorded_for_the_admin(client, settings, writer):
    for _ in range(2):
        log_in(client, "writer-1", "wrong password")
    attempt = AccessAttempt.objects.get(username="writer-1")
    assert attempt.failures_since_start == 2
    assert attempt.ip_address == "127.0.0.1"
