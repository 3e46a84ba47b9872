"""
A real Varnish (Debian's varnishd with varnish-modules' xkey) in front of a live Newsroom, with the
repository's VCL (deploy/varnish/newsroom.vcl): anonymous pages are shared and purged by surrogate
key the moment the public must see a change; a withdrawn item is gone from Varnish at once, a
scheduled one appears when the task worker purges at its time, staff are never served from it.
"""
import http.client
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from releases import public

from .factories import make_advisory, make_contact, make_release, make_source, publish
from .test_production import free_port

ROOT = Path(settings.BASE_DIR)

pytestmark = pytest.mark.skipif(not shutil.which("varnishd"), reason="needs varnishd (apt-get install varnish varnish-modules)")


class Varnish:
    def __init__(self, port):
        self.port = port
        self.url = f"http://127.0.0.1:{port}/"

    def get(self, path, **headers):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
        return response, body


@pytest.fixture
def varnish(live_server, tmp_path, settings):
    """varnishd on a free port in front of the live server, with the repository's VCL; purged by Newsroom."""
    backend = urlparse(live_server.url).port
    vcl = (ROOT / "deploy" / "varnish" / "newsroom.vcl").read_text()
    assert '.port = "8000";' in vcl
    (tmp_path / "newsroom.vcl").write_text(vcl.replace('.port = "8000";', f'.port = "{backend}";'))
    port = free_port()
    process = subprocess.Popen(
        ["varnishd", "-F", "-j", "none", "-n", str(tmp_path / "varnish"), "-a", f"127.0.0.1:{port}",
         "-f", str(tmp_path / "newsroom.vcl"), "-s", "malloc,64m", "-T", "none"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    cache = Varnish(port)
    try:
        for _ in range(100):
            try:
                cache.get("/healthz")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("varnishd did not start: " + process.stdout.read1().decode())
        settings.NEWSROOM_PURGE_URLS = [cache.url]
        yield cache
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def worker(monkeypatch):
    """The database queue's worker in this process: every task that is due, then it stops."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    return lambda: call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


@pytest.fixture
def release(transactional_db, writer, reviewer):
    source = make_source("NATO – Chișinău", slug="nato")
    return publish(make_release(source=source, author=writer, title="Summit declaration"), reviewer)


def cached(varnish, path):
    """Fetch until Varnish serves ``path`` from its cache; the body."""
    varnish.get(path)
    response, body = varnish.get(path)
    assert response.getheader("X-Cache") == "HIT", path
    return body


def test_public_pages_are_shared_with_keys_that_never_reach_the_public(varnish, release, client):
    home = reverse("releases:home")
    body = cached(varnish, home)
    assert "Summit declaration" in body
    response, _ = varnish.get(home)
    assert "s-maxage=" in response.getheader("Cache-Control")
    assert response.getheader("Surrogate-Key") is None and response.getheader("xkey") is None
    # From Django itself: what each page shows.
    keys = set(client.get(release.get_absolute_url())["Surrogate-Key"].split())
    assert keys >= {public.edition_key(release), public.source_key(release.source_id), public.ALL}
    assert public.LISTS not in keys  # an item's own page isn't purged by every publication
    assert public.LISTS in client.get(home)["Surrogate-Key"].split()


def test_a_withdrawn_item_is_gone_from_varnish_at_once(varnish, release, reviewer):
    pages = [release.get_absolute_url(), reverse("releases:home"), reverse("releases:feed-rss"),
             release.source.get_absolute_url()]
    assert all("Summit declaration" in cached(varnish, url) for url in pages)
    started = time.perf_counter()
    release.withdraw(reviewer, "Issued in error.")
    print(f"withdrawal with its purge: {(time.perf_counter() - started) * 1000:.1f} ms")
    _, detail = varnish.get(pages[0])
    assert "has been withdrawn" in detail
    for url in pages[1:]:
        assert "Summit declaration" not in varnish.get(url)[1], url


def test_publications_and_approved_edits_show_through_varnish_at_once(varnish, release, writer, reviewer):
    home, detail = reverse("releases:home"), release.get_absolute_url()
    cached(varnish, home), cached(varnish, detail)
    publish(make_release(source=release.source, author=writer, title="Second statement"), reviewer)
    assert "Second statement" in varnish.get(home)[1]
    draft = release.start_new_draft(writer)
    draft.title, draft.last_edited_by = "Summit declaration (corrected)", writer
    draft.save()
    draft.submit(writer)
    assert "(corrected)" not in varnish.get(detail)[1]
    draft.approve(reviewer)
    assert "(corrected)" in varnish.get(detail)[1]


def test_contact_and_source_edits_purge_the_pages_showing_them(varnish, release):
    contact = make_contact(source=make_source("Elsewhere"), name="Ana Novák", phone="+32 2 707 50 41")
    release.contacts.add(contact)
    detail = release.get_absolute_url()
    contact.save()  # the attachment above went behind the models' back; announce it
    assert "+32 2 707 50 41" in cached(varnish, detail)
    contact.is_public = False
    contact.save()
    assert "+32 2 707 50 41" not in varnish.get(detail)[1]
    source = release.source
    cached(varnish, source.get_absolute_url())
    source.name = "OTAN — Chișinău"
    source.save()
    assert all("OTAN — Chișinău" in varnish.get(url)[1] for url in (detail, source.get_absolute_url(), "/"))


def test_a_scheduled_item_appears_through_varnish_when_its_time_comes(varnish, release, writer, reviewer, worker):
    due = timezone.now() + timedelta(seconds=3)
    scheduled = publish(make_advisory(source=release.source, author=writer, title="Embargoed briefing"), reviewer, at=due)
    home = reverse("releases:home")
    assert "Embargoed briefing" not in cached(varnish, home)
    worker()  # nothing is due yet: the purge waits for the time, never early
    assert "Embargoed briefing" not in varnish.get(home)[1]
    assert varnish.get(scheduled.get_absolute_url())[0].status == 404
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 1.1)  # enqueue_at rounds up to the second
    worker()
    assert "Embargoed briefing" in varnish.get(home)[1]
    assert varnish.get(scheduled.get_absolute_url())[0].status == 200


def test_staff_and_cookie_setting_responses_are_never_cached(varnish, release, client, writer):
    client.force_login(writer)
    session = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    for _ in range(2):
        response, body = varnish.get(reverse("releases:home"), Cookie=session)
        assert response.getheader("X-Cache") == "MISS"
        assert "private" in response.getheader("Cache-Control")
    # And the anonymous copy is not the staff's.
    response, _ = varnish.get(reverse("releases:home"))
    assert "private" not in response.getheader("Cache-Control")
    for _ in range(2):
        response, _ = varnish.get(reverse("admin:login"))
        assert response.getheader("X-Cache") == "MISS"  # sets a CSRF cookie: never shared


def test_a_failed_purge_never_undoes_a_withdrawal_and_is_retried(varnish, release, reviewer, settings, worker):
    detail = release.get_absolute_url()
    cached(varnish, detail)
    settings.NEWSROOM_PURGE_URLS = [f"http://127.0.0.1:{free_port()}/"]  # nobody listens there
    release.withdraw(reviewer, "Issued in error.")
    release.refresh_from_db()
    assert release.state == "withdrawn"
    assert "has been withdrawn" not in varnish.get(detail)[1]  # Varnish kept it: the purge failed
    assert DBTaskResult.objects.filter(task_path="releases.tasks.purge_keys").count() == 1
    settings.NEWSROOM_PURGE_URLS = [varnish.url]  # the cache is back
    worker()
    assert "has been withdrawn" in varnish.get(detail)[1]


def test_only_listed_addresses_may_purge():
    vcl = (ROOT / "deploy" / "varnish" / "newsroom.vcl").read_text()
    assert 'if (client.ip !~ purgers)' in vcl and "return (synth(403" in vcl


def test_a_published_translation_shows_in_the_original_s_switch_through_varnish_at_once(varnish, release, writer,
                                                                                          reviewer, settings):
    """The English page, shared by Varnish with the switch to the French home, is purged when its translation is published."""
    from releases.models import Release
    from releases.translations import translate

    settings.NEWSROOM_LANGUAGES = [("en", "English"), ("fr", "Français")]
    french = translate(release, "fr", writer)
    # Another source, so that the source's key (which the English page carries) doesn't purge it by chance.
    french.title, french.source = "Déclaration du sommet", make_source("OTAN", slug="otan")
    french.save_edit(writer, french.revision, ["title", "source"])
    detail = release.get_absolute_url()
    assert 'href="/fr/" lang="fr"' in cached(varnish, detail)
    french = publish(Release.objects.get(pk=french.pk), reviewer)
    assert f'href="{french.get_absolute_url()}" lang="fr"' in varnish.get(detail)[1]
    french.withdraw(reviewer, "Erreur.")
    assert 'href="/fr/" lang="fr"' in varnish.get(detail)[1]
