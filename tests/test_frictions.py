"""The small frictions of writing: internal contacts by default and marked, a picture to choose again, help for press officers."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from releases.models import Contact, Picture

from .factories import image_bytes, make_contact, make_release, make_source, publish


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_contact_added_in_the_admin_is_internal_unless_ticked_public(client, press_officer):
    """The box starts unticked and an unticked contact stays off every public page."""
    source = make_source("NATO")
    client.force_login(press_officer)
    form = client.get(reverse("admin:releases_contact_add")).content.decode()
    assert 'name="is_public"' in form and 'name="is_public" checked' not in form
    assert "the public never does" in form  # the form says what public means
    client.post(reverse("admin:releases_contact_add"), {
        "name": "Duty officer", "kind": "person", "role": "", "source": source.pk, "email": "duty@example.org", "phone": "",
    })
    assert Contact.objects.get(name="Duty officer").is_public is False


def test_a_contact_made_in_code_is_internal_by_default(db):
    """The model's default is internal too, whatever path creates the contact."""
    assert Contact.objects.create(source=make_source(), name="Spokesperson").is_public is False


def test_the_contact_autocomplete_marks_internal_contacts(client, writer):
    """A writer picking contacts sees which ones the public won't."""
    source = make_source("NATO")
    make_contact(source=source, name="NATO Press Office")
    make_contact(source=source, name="NATO Duty Officer", is_public=False)
    client.force_login(writer)
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "releases", "model_name": "release", "field_name": "contacts", "term": "NATO",
    })
    assert sorted(result["text"] for result in response.json()["results"]) == [
        "NATO Duty Officer (NATO) — internal", "NATO Press Office (NATO)",
    ]


def test_the_preview_names_internal_contacts_the_public_page_leaves_out(client, writer, reviewer):
    """The staff preview says which attached contacts readers won't see; the public page shows none of them."""
    source = make_source("NATO")
    release = make_release(source=source, author=writer, title="Ministers meet")
    release.contacts.set([
        make_contact(source=source, name="NATO Press Office"),
        make_contact(source=source, name="Duty officer mobile", is_public=False),
    ])
    client.force_login(writer)
    preview = client.get(reverse("releases:preview", args=["release", release.pk])).content.decode()
    assert "Not shown below, because it is internal: Duty officer mobile." in preview
    publish(release, reviewer)
    client.logout()
    page = client.get(release.get_absolute_url()).content.decode()
    assert "NATO Press Office" in page and "Duty officer mobile" not in page


def test_the_preview_has_no_internal_contact_notice_when_all_are_public(client, writer):
    """No notice when there is nothing to warn about."""
    release = make_release(author=writer)
    release.contacts.set([make_contact()])
    client.force_login(writer)
    preview = client.get(reverse("releases:preview", args=["release", release.pk])).content.decode()
    assert "internal" not in preview


def test_a_form_error_says_which_picture_file_to_choose_again(client, writer):
    """The title is missing: nothing is saved and the page names the chosen file and says why it must be chosen again."""
    release = make_release(author=writer, title="Ministers meet")
    client.force_login(writer)
    response = client.post(reverse("admin:releases_release_change", args=[release.pk]), {
        "source": release.source_id, "category": release.category, "title": "", "slug": release.slug,
        "summary": "", "body": "", "original_url": "", "revision": release.revision,
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "1", "pictures-INITIAL_FORMS": "0",
        "pictures-0-image": SimpleUploadedFile("council.jpg", image_bytes(), content_type="image/jpeg"),
        "pictures-0-alt_text": "The North Atlantic Council", "pictures-0-position": "0",
    })
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose the picture file again before saving:</strong>\n    “council.jpg”." in page
    assert "a browser can't keep a chosen file when the page comes back" in page
    assert 'value="The North Atlantic Council"' in page  # what was typed stays
    assert not Picture.objects.exists()


def test_no_file_message_when_no_picture_was_chosen(client, writer):
    """A form error without an upload doesn't talk about files."""
    release = make_release(author=writer)
    client.force_login(writer)
    response = client.post(reverse("admin:releases_release_change", args=[release.pk]), {
        "source": release.source_id, "category": release.category, "title": "", "slug": release.slug,
        "revision": release.revision, "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "0", "pictures-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200 and "Choose the picture file again" not in response.content.decode()


def test_the_edit_form_speaks_to_press_officers(client, writer):
    """Help texts say what a field does for readers, and the slug shows where its address preview goes."""
    client.force_login(writer)
    page = client.get(reverse("admin:releases_advisory_add")).content.decode()
    assert "The end of the page&#x27;s web address" in page and 'id="nr-slug-preview"' in page
    assert "Contacts marked “internal” are not shown to the public" in page
    assert "Local time at the event, on a 24-hour clock" in page
    assert 'data-address-prefix="http://testserver/advisories/"' in page
    assert "newsroom-writing.js" in page
