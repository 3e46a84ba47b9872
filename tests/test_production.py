"""The production profile: `check --deploy`, HTTPS headers, gunicorn serving collected static files, Redis."""
import contextlib
import email
import email.utils
import gzip
import http.client
import http.server
import json
import os
import runpy
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

import newsroom.settings.base
from releases.models import Release

from .factories import make_release, make_user, publish

ROOT = Path(settings.BASE_DIR)
HOST = "newsroom.example.org"


def production_env(tmp_path, **extra):
    """The environment the README documents for production, with a throwaway SQLite database."""
    env = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "SECURE_", "GUNICORN_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        SECURE_HSTS_PRELOAD="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    env.update(extra)
    return env


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


# --- check --deploy ----------------------------------------------------------


def test_check_deploy_is_clean_with_the_documented_variables(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_reports_a_weakened_setting(tmp_path):
    """The check above would notice a problem: switch the HTTPS redirect off and it fails."""
    result = manage(production_env(tmp_path, SECURE_SSL_REDIRECT="0"), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W008" in result.stderr


def test_check_deploy_reports_a_weak_secret_key(tmp_path):
    result = manage(production_env(tmp_path, SECRET_KEY="short"), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_keeps_a_database_connection_per_worker_unless_told_not_to(tmp_path):
    show = "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    kept = manage(production_env(tmp_path), "shell", "-c", show)
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.split()[-1] == "60"
    off = manage(production_env(tmp_path, DATABASE_CONN_MAX_AGE="0"), "shell", "-c", show)
    assert off.stdout.split()[-1] == "0"


def test_postgresql_binds_on_the_server_and_prepares_after_five_runs_unless_told_not_to(tmp_path):
    show = "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']; " \
        "print(o['server_side_binding'], o['prepare_threshold'])"
    url = "postgres://newsroom@db.example.org:5432/newsroom"  # read, never connected to
    default = manage(production_env(tmp_path, DATABASE_URL=url), "shell", "-c", show)
    assert default.returncode == 0, default.stderr
    assert default.stdout.split()[-2:] == ["True", "5"]
    off = manage(production_env(tmp_path, DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="off"), "shell", "-c", show)
    assert off.stdout.split()[-2:] == ["True", "None"]
    bad = manage(production_env(tmp_path, DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="often"), "check")
    assert bad.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD must be a whole number, not 'often'." in bad.stderr
    negative = manage(production_env(tmp_path, DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="-1"), "check")
    assert negative.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD must be 0 or more, or off, not -1." in negative.stderr
    sqlite = manage(production_env(tmp_path), "shell", "-c", "from django.conf import settings; "
                    "print(sorted(settings.DATABASES['default'].get('OPTIONS', {})))")
    assert "server_side_binding" not in sqlite.stdout


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_query_a_connection_runs_again_is_planned_once():
    """The detail page's query, run for seven different items on one connection, is prepared after
    its fifth run: the later ones skip PostgreSQL's parsing and planning (and give the same rows)."""
    slugs = [publish(make_release(title=f"Chișinău briefing {n}")).slug for n in range(7)]

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                           ['%"releases_release"."slug" = $%'])
            return [row[0] for row in cursor.fetchall()]

    assert prepared() == []
    found = [Release.objects.public_or_withdrawn().select_related("source").get(slug=slug) for slug in slugs]
    assert [item.slug for item in found] == slugs
    assert [item.title for item in found] == [f"Chișinău briefing {n}" for n in range(7)]
    assert len(prepared()) == 1


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production." in result.stderr


def test_production_refuses_to_start_with_debug_on(tmp_path):
    result = manage(production_env(tmp_path, DEBUG="1"), "check")
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


# --- HTTPS under the production values -----------------------------------------


@pytest.fixture
def production_https(monkeypatch):
    """The production module's HTTPS settings, read as production reads them, applied to this test."""
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(50))
    for name in ("DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD"):
        monkeypatch.delenv(name, raising=False)
    # Read base again too, so it sees this environment rather than the one the tests started with.
    monkeypatch.setattr(newsroom.settings, "base", newsroom.settings.base)
    monkeypatch.delitem(sys.modules, "newsroom.settings.base")
    production = runpy.run_module("newsroom.settings.production")
    names = ["SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
             "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"]
    with override_settings(**{name: production[name] for name in names}):
        yield


def test_production_sends_hsts_over_https(client, production_https):
    for response in (client.get("/", secure=True), client.get("/admin/login/", secure=True)):
        assert response.status_code == 200
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_production_trusts_the_proxy_https_header(client, production_https):
    response = client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert "Strict-Transport-Security" in response.headers


def test_production_redirects_plain_http_to_https(client, production_https):
    response = client.get("/releases/some-release/?page=2")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/releases/some-release/?page=2"
    assert "Strict-Transport-Security" not in response.headers  # HSTS only means something over HTTPS


def test_production_cookies_are_https_only(client, production_https):
    user = make_user("editor", is_superuser=True)
    client.force_login(user)
    response = client.get("/admin/login/", secure=True)  # logged in: redirected to the admin index
    assert client.cookies[settings.SESSION_COOKIE_NAME]["secure"] is True
    response = client.get("/admin/releases/release/add/", secure=True)
    assert response.status_code == 200
    assert response.cookies[settings.CSRF_COOKIE_NAME]["secure"] is True


# --- gunicorn -------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port, path, **headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": HOST, **headers})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


@contextlib.contextmanager
def serving(env, port):
    """`gunicorn newsroom.wsgi` (gunicorn.conf.py) with ``env``, until the block ends."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "newsroom.wsgi"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"gunicorn did not start:\n{server.stdout.read()}")
                time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """`gunicorn newsroom.wsgi` with gunicorn.conf.py, production settings and collected static files."""
    tmp_path = tmp_path_factory.mktemp("production")
    port = free_port()
    env = production_env(tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1")
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = manage(env, *command)
        assert result.returncode == 0, result.stderr
    with serving(env, port):
        yield {"port": port, "static_root": Path(env["STATIC_ROOT"])}


def test_gunicorn_serves_the_home_page_with_security_headers(gunicorn):
    response, body = fetch(gunicorn["port"], "/", **{"X-Forwarded-Proto": "https"})
    assert response.status == 200
    assert b"Newsroom" in body
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains; preload"
    assert "default-src 'self'" in response.getheader("Content-Security-Policy")
    assert response.getheader("Referrer-Policy") == "same-origin"
    assert response.getheader("X-Content-Type-Options") == "nosniff"


def test_gunicorn_redirects_plain_http(gunicorn):
    response, _ = fetch(gunicorn["port"], "/")
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/"


def test_gunicorn_refuses_an_unknown_host(gunicorn):
    response, _ = fetch(gunicorn["port"], "/", Host="attacker.example", **{"X-Forwarded-Proto": "https"})
    assert response.status == 400


def test_static_files_are_hashed_compressed_and_cached_for_ever(gunicorn):
    manifest = json.loads((gunicorn["static_root"] / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/newsroom.css"]
    assert hashed != "css/newsroom.css"
    _, page = fetch(gunicorn["port"], "/", **{"X-Forwarded-Proto": "https"})
    assert f"/static/{hashed}".encode() in page  # pages link the hashed name
    response, body = fetch(gunicorn["port"], f"/static/{hashed}",
                           **{"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "immutable" in response.getheader("Cache-Control")
    assert body[:2] == b"\x1f\x8b"


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "12")
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:9000")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (config["workers"], config["timeout"], config["bind"]) == (3, 12, "0.0.0.0:9000")
    assert config["max_requests"] > 0 and config["max_requests_jitter"] > 0
    monkeypatch.setenv("GUNICORN_WORKERS", "many")
    with pytest.raises(SystemExit, match="GUNICORN_WORKERS must be a whole number"):
        runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_defaults_to_local_address_and_cores(monkeypatch):
    for name in ("GUNICORN_WORKERS", "GUNICORN_BIND", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["bind"] == "127.0.0.1:8000"
    assert config["workers"] == 2 * os.cpu_count() + 1
    assert config["timeout"] == 30


# --- Redis ------------------------------------------------------------------------

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="set REDIS_URL to test the Redis cache")


@needs_redis
def test_cache_round_trips_through_redis():
    import redis

    assert settings.CACHES["default"]["BACKEND"] == "newsroom.cache.RedisCache"
    value = {"title": "Déclaration conjointe — «OTAN» 北约", "count": 3}
    cache.set("round-trip", value, timeout=30)
    assert cache.get("round-trip") == value
    # Really in Redis, under this run's prefix, not in some process-local fallback.
    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    assert server.exists(cache.make_and_validate_key("round-trip")) == 1
    cache.delete("round-trip")
    assert server.exists(cache.make_and_validate_key("round-trip")) == 0


@needs_redis
def test_the_redis_cache_makes_one_client_per_pool_and_none_per_call():
    """Django's makes a redis.Redis per operation (docs/scale.md); ours one per pool, reused, and new in a fork."""
    client = cache._cache
    cache.set("shared-client", "Chișinău", timeout=30)
    first = client.get_client("shared-client")
    assert cache.get("shared-client") == "Chișinău"
    assert client.get_client("shared-client", write=True) is first is client.get_client("other")
    cache.delete("shared-client")
    pid = os.fork()
    if pid == 0:  # the child talks to Redis through its own connections (redis-py's pool checks the pid)
        os._exit(0 if cache.get("missing-in-child", "none") == "none" and client.get_client() is first else 1)
    assert os.waitpid(pid, 0)[1] == 0


@needs_redis
def test_sessions_are_cached_in_redis_and_kept_in_the_database(client):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    client.force_login(make_user("editor", is_superuser=True))
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert cache.get(f"django.contrib.sessions.cached_db{session_key}") is not None
    assert Session.objects.filter(session_key=session_key).exists()
    assert client.get("/admin/").status_code == 200


def test_gunicorn_reads_the_documented_access_log_name_and_the_other_spelling(monkeypatch):
    """GUNICORN_ACCESS_LOG, as documented; GUNICORN_ACCESSLOG (bench/run.py's spelling) works too."""
    for name in ("GUNICORN_ACCESS_LOG", "GUNICORN_ACCESSLOG", "GUNICORN_ERROR_LOG"):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (config["accesslog"], config["errorlog"]) == ("-", "-")  # standard output and standard error
    monkeypatch.setenv("GUNICORN_ACCESSLOG", "/var/log/newsroom/bench-access.log")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["accesslog"] == "/var/log/newsroom/bench-access.log"
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "/var/log/newsroom/access.log")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["accesslog"] == "/var/log/newsroom/access.log"


# --- errors: logged with their tracebacks, mailed, reported ---------------------------------

BROKEN_PAGE = "/sources/chisinau/"


def json_lines(output):
    """The lines of ``output`` that are JSON objects (gunicorn's own lines are plain text)."""
    records = []
    for line in output.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def test_a_500_under_gunicorn_is_logged_as_json_with_its_traceback_and_mailed_to_admins(tmp_path):
    """
    gunicorn with the production settings on a database nobody migrated: the page fails. Standard
    error carries one JSON line with the request and the whole traceback, and ADMINS get a mail.
    """
    port = free_port()
    outbox = tmp_path / "mail"
    env = production_env(
        tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1",
        ADMINS='Ops <ops@example.org>, "Novák, Ana" <ana@example.org>', EMAIL_URL=f"file://{outbox}",
    )
    with serving(env, port) as server:
        response, _ = fetch(port, BROKEN_PAGE, **{"X-Forwarded-Proto": "https"})
        assert response.status == 500
        deadline = time.monotonic() + 10
        while not (outbox.exists() and any(outbox.iterdir())) and time.monotonic() < deadline:
            time.sleep(0.1)
    output = server.stdout.read()
    errors = [record for record in json_lines(output) if record.get("logger") == "django.request"]
    assert len(errors) == 1, output
    error = errors[0]
    assert (error["level"], error["status"], error["method"], error["path"]) == ("ERROR", 500, "GET", BROKEN_PAGE)
    assert error["message"] == f"Internal Server Error: {BROKEN_PAGE}"
    assert error["exception"].startswith("Traceback (most recent call last):")
    assert "no such table: releases_" in error["exception"]
    assert all("\n" not in line for line in output.splitlines())  # one record, one line
    # As bytes: a mail whose lines are short enough goes as 8bit UTF-8, which a str-parsed message decodes as Latin-1.
    mails = [email.message_from_bytes(path.read_bytes()) for path in outbox.iterdir()]
    assert len(mails) == 1
    assert [address for _, address in email.utils.getaddresses(mails[0].get_all("To"))] == [
        "ops@example.org", "ana@example.org",
    ]
    assert f"Internal Server Error: {BROKEN_PAGE}" in " ".join(mails[0]["Subject"].split())  # unfolded
    assert "no such table: releases_" in mails[0].get_payload(decode=True).decode()


def django_settings(env, *names):
    """The named settings as a subprocess with ``env`` reads them (or its error)."""
    script = f"import json; from django.conf import settings; print(json.dumps([settings.{', settings.'.join(names)}]))"
    return manage(env, "shell", "--no-imports", "-c", script)


def test_admins_and_log_level_come_from_the_environment(tmp_path):
    result = django_settings(
        production_env(tmp_path, ADMINS='Ops <ops@example.org>, "Novák, Ana" <ana@example.org>, desk@example.org',
                       LOG_LEVEL="warning"),
        "ADMINS", "LOGGING['root']['level']",
    )
    assert result.returncode == 0, result.stderr
    admins, level = json.loads(result.stdout)
    assert admins == [["Ops", "ops@example.org"], ["Novák, Ana", "ana@example.org"], ["", "desk@example.org"]]
    assert level == "WARNING"
    result = django_settings(production_env(tmp_path), "ADMINS", "LOGGING['root']['level']")
    assert json.loads(result.stdout) == [[], "INFO"]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("ADMINS", "Ops ops@example.org", "ADMINS: 'Ops ops@example.org' is not an e-mail address"),
    ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'loud'."),
])
def test_a_mistyped_reporting_setting_stops_the_start(tmp_path, name, value, message):
    """A typo that would silence error mail or logs is refused with a clear message, not ignored."""
    result = manage(production_env(tmp_path, **{name: value}), "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_sentry_dsn_without_the_sdk_installed_stops_the_start(tmp_path):
    """Set SENTRY_DSN without the 'sentry' extra: the newsroom refuses to start rather than report nothing."""
    env = production_env(tmp_path, SENTRY_DSN="https://public@sentry.example.org/1")
    # As if sentry-sdk were not installed: an import of a module mapped to None fails.
    script = "import sys; sys.modules['sentry_sdk'] = None; import django; django.setup()"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SENTRY_DSN is set but the Sentry SDK is not installed" in result.stderr
    assert "newsroom[sentry]" in result.stderr


class SentryIngest(http.server.BaseHTTPRequestHandler):
    """Stands in for Sentry's ingestion endpoint: keeps every envelope posted to it."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.envelopes.append((self.path, body.decode("utf-8", "replace")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_500_under_gunicorn_is_reported_to_sentry(tmp_path):
    """SENTRY_DSN set: the worker's 500 reaches the DSN's server as an event with the exception."""
    pytest.importorskip("sentry_sdk", reason="install the 'sentry' extra")
    ingest = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SentryIngest)
    ingest.envelopes = []
    threading.Thread(target=ingest.serve_forever, daemon=True).start()
    port = free_port()
    env = production_env(
        tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1",
        SENTRY_DSN=f"http://public@127.0.0.1:{ingest.server_address[1]}/42", SENTRY_ENVIRONMENT="ci",
    )
    try:
        with serving(env, port):
            response, _ = fetch(port, BROKEN_PAGE, **{"X-Forwarded-Proto": "https"})
            assert response.status == 500
            deadline = time.monotonic() + 15
            while not ingest.envelopes and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        ingest.shutdown()
    assert ingest.envelopes, "no event reached the Sentry server"
    path, envelope = ingest.envelopes[0]
    assert path == "/api/42/envelope/"
    event = next(json.loads(line) for line in envelope.splitlines() if '"exception"' in line)
    assert event["environment"] == "ci"
    assert "no such table: releases_" in event["exception"]["values"][-1]["value"]
