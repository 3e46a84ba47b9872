"""What a public GET costs: the page cache answers before the session, auth, CSRF and messages
middleware, in one round trip; gunicorn's defaults don't recycle workers every few seconds."""
import os
import runpy
from pathlib import Path

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.conf import settings
from django.urls import reverse

from newsroom import cache as newsroom_cache
from newsroom import middleware

from .factories import make_release, make_source, publish

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def release(writer, reviewer):
    return publish(make_release(source=make_source("NATO", slug="nato"), author=writer, title="Summit declaration"),
                   reviewer)


@pytest.fixture
def stack(monkeypatch):
    """Records which of the heavier middleware ran, and the page cache's round trips."""
    ran = []
    for klass, name in ((middleware.LazySessionMiddleware, "SessionMiddleware"),
                        (AuthenticationMiddleware, "AuthenticationMiddleware"),
                        (CsrfViewMiddleware, "CsrfViewMiddleware"), (middleware.LazyMessageMiddleware, "MessageMiddleware")):
        original = klass.process_request

        def recorded(self, request, _original=original, _name=name):
            ran.append(_name)
            return _original(self, request)

        monkeypatch.setattr(klass, "process_request", recorded)
    trips = []
    raw = middleware.redis_round_trip
    monkeypatch.setattr(middleware, "redis_round_trip", lambda keys: trips.append(list(keys)) or raw(keys))
    return ran, trips


@pytest.mark.parametrize("page", ["home", "detail", "feed"])
def test_a_hit_is_answered_before_sessions_auth_csrf_and_messages(client, release, stack, page,
                                                                  django_assert_num_queries):
    url = {"home": reverse("releases:home"), "detail": release.get_absolute_url(),
           "feed": reverse("releases:feed-rss")}[page]
    ran, trips = stack
    first = client.get(url)
    assert "SessionMiddleware" in ran and "AuthenticationMiddleware" in ran  # a miss goes down the stack
    ran.clear(), trips.clear()
    with django_assert_num_queries(0):
        again = client.get(url)
    assert ran == []
    assert len(trips) == 1 and len(trips[0]) == 2  # the state and the page, together
    assert again.status_code == 200 and again.content == first.content
    # Every header of the full stack is there: the cached page is the final response.
    for header in ("Content-Security-Policy", "X-Frame-Options", "ETag", "Cache-Control", "X-Content-Type-Options"):
        assert again[header] == first[header], header
    ran.clear(), trips.clear()
    with django_assert_num_queries(0):
        not_modified = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == first["ETag"] and "public" in not_modified["Cache-Control"]
    assert ran == [] and len(trips) == 1


def test_a_visitor_with_a_session_goes_down_the_whole_stack(client, release, stack, writer):
    url = reverse("releases:home")
    client.get(url)
    client.get(url)
    ran, trips = stack
    ran.clear(), trips.clear()
    client.force_login(writer)
    response = client.get(url)
    assert "SessionMiddleware" in ran and trips == []
    assert "private" in response["Cache-Control"]


def test_a_withdrawal_retires_the_page_the_fast_path_holds(client, release, reviewer, stack):
    url = release.get_absolute_url()
    client.get(url)
    assert "Summit declaration" in client.get(url).content.decode()
    release.withdraw(reviewer, "Issued in error.")
    response = client.get(url)
    assert "has been withdrawn" in response.content.decode()


def test_views_outside_the_page_cache_cost_no_round_trip(client, release, stack):
    ran, trips = stack
    client.get("/healthz")
    client.get("/healthz")
    assert trips == []  # not a public_cache view: not even a round trip


def test_an_unknown_host_is_refused_even_for_a_cached_page(client, release, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    url = reverse("releases:home")
    client.get(url)
    assert client.get(url).status_code == 200
    assert client.get(url, HTTP_HOST="evil.example").status_code == 400


def test_an_anonymous_public_get_builds_no_session_and_varies_on_nothing_it_did_not_read(client, release):
    response = client.get("/healthz")
    assert "Cookie" not in response.get("Vary", "")
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    request = response.wsgi_request
    assert middleware.untouched(request, "session") and middleware.untouched(request, "_messages")


def test_a_logged_in_visitor_still_has_a_session_and_varies_on_cookie(client, writer):
    client.force_login(writer)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200 and "Cookie" in response["Vary"]


def test_gunicorn_recycles_workers_rarely_and_at_staggered_times(monkeypatch):
    for name in ("GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER", "GUNICORN_ACCESS_LOG", "GUNICORN_ACCESSLOG"):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["max_requests"] >= 10_000 and config["max_requests_jitter"] >= config["max_requests"] // 20
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "off")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["accesslog"] is None


def test_an_access_log_to_dev_null_is_not_formatted_at_all(monkeypatch):
    """gunicorn formats every access-log line it is given a file for, /dev/null included."""
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "/dev/null")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["accesslog"] is None
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "/var/log/newsroom/access.log")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["accesslog"] == "/var/log/newsroom/access.log"


def test_the_benchmark_sets_the_variables_gunicorn_reads():
    from bench.run import environment

    env = environment("postgres://x/y", page_cache=True)
    config_text = (ROOT / "gunicorn.conf.py").read_text()
    for name in (n for n in env if n.startswith("GUNICORN_")):
        assert f'"{name}"' in config_text, name
    assert env["GUNICORN_ACCESS_LOG"] == "off"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="set REDIS_URL: the fast path's own Redis connection")
def test_a_redis_connection_the_server_dropped_costs_no_error_and_no_stale_page(client, release, reviewer):
    """The fast path keeps a connection of its own; Redis may close it (a restart, a timeout). The hit
    in hand then goes through redis-py's client, the next one reconnects, and a withdrawal still shows."""
    import redis
    from django.core.cache import caches

    url = release.get_absolute_url()
    first = client.get(url)
    assert client.get(url).content == first.content  # a hit, on the fast path's connection
    client_id = id(caches["default"]._cache)
    connection = newsroom_cache._redis[client_id][1]
    connection.send_command("CLIENT", "ID")
    own_id = connection.read_response()
    redis.Redis.from_url(os.environ["REDIS_URL"]).client_kill_filter(_id=own_id)
    again = client.get(url)
    assert again.status_code == 200 and again.content == first.content
    assert client.get(url).content == first.content
    assert newsroom_cache._redis[client_id][1].send_command("CLIENT", "ID") is None  # connected again
    assert newsroom_cache._redis[client_id][1].read_response() != own_id
    release.withdraw(reviewer, "Issued in error.")
    assert "has been withdrawn" in client.get(url).content.decode()
