"""
Autosave of a draft's change form: the open form posted in the background, saved through
``save_edit`` with the revision the form holds. Never a published edition, never an
extra edition, never someone else's save overwritten; nothing changed, nothing written.
"""
import time_machine
from django.urls import reverse

from releases.models import Release
from releases.workflow import State

from .factories import make_release, make_user, publish


def autosave_url(item):
    return reverse("admin:releases_release_autosave", args=[item.pk])


def form_data(release, **changes):
    """The release change form as the page posts it in the background."""
    data = {
        "source": release.source_id, "category": release.category, "title": release.title,
        "slug": release.slug, "summary": release.summary, "body": release.body, "original_url": "",
        "revision": release.revision,
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "0", "pictures-INITIAL_FORMS": "0",
        "pictures-MIN_NUM_FORMS": "0", "pictures-MAX_NUM_FORMS": "1000",
    }
    return data | changes


@time_machine.travel("2026-11-28 09:42:10 +00:00", tick=False)
def test_autosave_writes_the_draft_and_returns_the_new_revision(client, writer, reviewer):
    """The body typed so far is saved in place, "Saved 10:42" in the newsroom's time, and the form gets the revision."""
    release = make_release(author=reviewer, body="<p>Old.</p>")
    client.force_login(writer)

    response = client.post(autosave_url(release), form_data(release, body="<p>New <b>words</b>.</p>"))

    assert response.status_code == 200
    assert response.json() == {"status": "saved", "revision": release.revision + 1, "saved_at": "10:42"}
    release.refresh_from_db()
    assert (release.body, release.body_html) == ("<p>New <strong>words</strong>.</p>",) * 2
    assert (release.state, release.last_edited_by, release.revision) == (State.DRAFT, writer, response.json()["revision"])
    assert Release.objects.filter(document=release.document).count() == 1


def test_the_next_autosave_and_the_save_button_use_the_returned_revision(client, writer):
    """Autosave after autosave, then Save: each one carries the revision the last one returned."""
    release = make_release(author=writer)
    client.force_login(writer)
    first = client.post(autosave_url(release), form_data(release, summary="One.")).json()
    second = client.post(autosave_url(release), form_data(release, summary="Two.", revision=first["revision"])).json()
    assert second["status"] == "saved" and second["revision"] == first["revision"] + 1

    change = reverse("admin:releases_release_change", args=[release.pk])
    response = client.post(change, form_data(release, summary="Three.", revision=second["revision"]))

    assert response.status_code == 302
    release.refresh_from_db()
    assert release.summary == "Three."


def test_autosave_with_nothing_changed_writes_nothing(client, writer, reviewer):
    """An open form with nothing typed doesn't make its viewer the last editor (four eyes reads that)."""
    release = make_release(author=writer)
    client.force_login(reviewer)

    response = client.post(autosave_url(release), form_data(release))

    assert response.json() == {"status": "unchanged", "revision": release.revision}
    release.refresh_from_db()
    assert release.last_edited_by == writer


def test_autosave_never_overwrites_someone_elses_save(client, writer, writer2):
    """A form opened before another person's save gets 409 with their name; their text stays."""
    release = make_release(author=writer, summary="Before.")
    opened = Release.objects.get(pk=release.pk)
    release.summary = "Writer 2's summary."
    release.save_edit(writer2, release.revision, ["summary"])
    client.force_login(writer)

    response = client.post(autosave_url(opened), form_data(opened, summary="Writer 1's summary."))

    assert response.status_code == 409
    assert response.json()["status"] == "conflict"
    assert "writer-2 changed this version" in response.json()["message"]
    release.refresh_from_db()
    assert (release.summary, release.last_edited_by) == ("Writer 2's summary.", writer2)


def test_autosave_never_touches_a_published_edition(client, writer, reviewer):
    """A published edition is not a draft: 409, nothing written, no new edition started."""
    release = publish(make_release(author=writer, summary="Public."), reviewer)
    client.force_login(writer)

    response = client.post(autosave_url(release), form_data(release, summary="Changed."))

    assert response.status_code == 409
    assert "no longer a draft" in response.json()["message"]
    release.refresh_from_db()
    assert (release.summary, release.state) == ("Public.", State.PUBLISHED)
    assert Release.objects.filter(document=release.document).count() == 1


def test_autosave_never_touches_an_edition_in_review(client, writer):
    """Submitted for review, the edition is the reviewer's to read: a form left open doesn't change it."""
    release = make_release(author=writer, summary="Submitted.")
    release.submit(writer)
    client.force_login(writer)

    response = client.post(autosave_url(release), form_data(release, summary="Changed."))

    assert response.status_code == 409
    release.refresh_from_db()
    assert (release.summary, release.state) == ("Submitted.", State.IN_REVIEW)


def test_autosave_is_checked_on_the_server(client, writer):
    """Only a logged-in user allowed to change releases, only by POST; a forged body is cleaned as on Save."""
    release = make_release(author=writer, body="<p>Kept.</p>")
    data = form_data(release, body='<p onclick="x()">Hi<script>alert(1)</script></p>')
    assert client.post(autosave_url(release), data).status_code == 302  # to the login page
    client.force_login(make_user("nobody"))
    assert client.post(autosave_url(release), data).status_code in (403, 404)
    release.refresh_from_db()
    assert release.body == "<p>Kept.</p>"

    client.force_login(writer)
    assert client.get(autosave_url(release)).status_code == 405
    assert client.post(autosave_url(release), data).json()["status"] == "saved"
    release.refresh_from_db()
    assert release.body == "<p>Hi</p>"


def test_autosave_with_a_form_error_saves_nothing(client, writer):
    """An empty title is a form error: nothing saved, and the answer says so."""
    release = make_release(author=writer, title="Kept")
    summary = release.summary
    client.force_login(writer)

    response = client.post(autosave_url(release), form_data(release, title="", summary="New."))

    assert response.status_code == 400 and response.json()["status"] == "invalid"
    release.refresh_from_db()
    assert (release.title, release.summary, release.revision) == ("Kept", summary, 1)


def test_the_draft_form_shows_the_autosave_status_only_on_a_draft(client, writer, reviewer):
    """The status line (and its URL) is on a draft's form; a published edition's page has none."""
    draft = make_release(author=writer)
    client.force_login(writer)
    page = client.get(reverse("admin:releases_release_change", args=[draft.pk])).content.decode()
    assert f'data-url="{autosave_url(draft)}"' in page and 'id="nr-autosave"' in page
    published = publish(make_release(author=writer), reviewer)
    page = client.get(reverse("admin:releases_release_change", args=[published.pk])).content.decode()
    assert 'id="nr-autosave"' not in page


# --- the live preview ---------------------------------------------------------------------------

def test_the_preview_may_be_framed_by_our_own_pages_only_and_is_never_cached(client, writer):
    """The staff preview the change form frames: same origin only, noindex, no-store; public pages stay unframeable."""
    draft = make_release(author=writer, title="Allies meet")
    client.force_login(writer)
    response = client.get(reverse("releases:preview", args=["release", draft.pk]))
    assert response.status_code == 200 and "Allies meet" in response.content.decode()
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert (response["X-Robots-Tag"], response["Cache-Control"]) == ("noindex", "private, no-store")
    home = client.get("/")
    assert home["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in home["Content-Security-Policy"]


def test_the_preview_is_for_staff_only(client, writer):
    """A visitor is sent to log in; the draft never reaches them through the preview's address."""
    draft = make_release(author=writer, title="Secret draft")
    response = client.get(reverse("releases:preview", args=["release", draft.pk]))
    assert response.status_code == 302 and "Secret draft" not in response.content.decode()


def test_the_draft_form_frames_the_preview_and_a_published_one_does_not(client, writer, reviewer):
    """The live preview pane is part of writing a draft; a published edition's page has the Preview link only."""
    draft = make_release(author=writer)
    client.force_login(writer)
    page = client.get(reverse("admin:releases_release_change", args=[draft.pk])).content.decode()
    preview = reverse("releases:preview", args=["release", draft.pk])
    assert f'<iframe id="nr-live-preview" title="Preview of the public page" src="{preview}" sandbox="allow-same-origin">' in page
    published = publish(make_release(author=writer), reviewer)
    page = client.get(reverse("admin:releases_release_change", args=[published.pk])).content.decode()
    assert "nr-live-preview" not in page
