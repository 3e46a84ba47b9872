"""Duplicate as new draft, and advisory templates: new documents at new addresses, never public by themselves."""
from datetime import time

from django.urls import reverse

from releases.models import Advisory, AdvisoryTemplate, Picture, ProgrammeEntry, Release
from releases.workflow import State

from .factories import image_bytes, make_advisory, make_contact, make_release, publish


def duplicate(client, user, item, **data):
    client.force_login(user)
    return client.post(reverse(f"admin:releases_{item._meta.model_name}_duplicate", args=[item.pk]), data)


def add_picture(item):
    from django.core.files.uploadedfile import SimpleUploadedFile

    picture = Picture(advisory=item, alt_text="The podium", image=SimpleUploadedFile("podium.jpg", image_bytes()))
    picture.save()
    return picture


def test_duplicating_a_published_release_makes_a_new_draft_document_at_a_new_address(client, writer, reviewer):
    """A new document (new id, version 1, draft, own slug) with the text and contacts; the original is untouched."""
    contact = make_contact(name="NATO Press Office")
    original = make_release(author=writer, title="Weekly figures", slug="weekly-figures")
    original.contacts.set([contact])
    original = publish(original, reviewer)
    response = duplicate(client, writer, original)
    copy = Release.objects.exclude(pk=original.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:releases_release_change", args=[copy.pk])
    assert copy.document != original.document
    assert (copy.version, copy.state, copy.slug) == (1, State.DRAFT, "weekly-figures-copy")
    assert (copy.title, copy.body, copy.created_by) == (original.title, original.body, writer)
    assert copy.published_at is None and not copy.is_public
    assert list(copy.contacts.all()) == [contact]
    original.refresh_from_db()
    assert original.is_public and original.editions().count() == 1


def test_a_second_duplicate_gets_the_next_free_address(client, writer):
    """Two duplicates of one item never share an address."""
    original = make_release(author=writer, slug="briefing")
    duplicate(client, writer, original)
    duplicate(client, writer, original)
    assert sorted(Release.objects.values_list("slug", flat=True)) == ["briefing", "briefing-copy", "briefing-copy-2"]


def test_duplicate_is_recorded_in_the_new_documents_history(client, writer):
    """The copy's conversation says where it came from; the original's history gains nothing."""
    original = make_release(author=writer, title="Budget figures")
    duplicate(client, writer, original)
    copy = Release.objects.exclude(pk=original.pk).get()
    entry = copy.history().get()
    assert (entry.action, entry.actor, entry.comment) == ("duplicate", writer, "Duplicated from “Budget figures” version 1")
    assert not original.history().exists()
    assert "Duplicated from “Budget figures” version 1" in client.get(
        reverse("admin:releases_release_change", args=[copy.pk])
    ).content.decode()


def test_duplicating_an_advisory_copies_its_programme_and_leaves_its_pictures_unless_asked(client, writer):
    """Contacts and programme come along; pictures only with the box ticked; the follow-up release doesn't."""
    advisory = make_advisory(author=writer, slug="briefing", follow_up=make_release())
    advisory.contacts.set([make_contact()])
    ProgrammeEntry.objects.create(advisory=advisory, time=time(10, 0), description="Arrivals")
    add_picture(advisory)
    duplicate(client, writer, advisory)
    plain = Advisory.objects.get(slug="briefing-copy")
    assert list(plain.programme.values_list("time", "description")) == [(time(10, 0), "Arrivals")]
    assert plain.contacts.count() == 1 and plain.pictures.count() == 0 and plain.follow_up is None
    duplicate(client, writer, advisory, with_pictures="1")
    illustrated = Advisory.objects.get(slug="briefing-copy-2")
    assert [p.alt_text for p in illustrated.pictures.all()] == ["The podium"]
    assert illustrated.pictures.get().key == advisory.pictures.get().key  # the files are shared, not copied


def test_someone_who_cannot_write_cannot_duplicate(client, writer, press_officer):
    """The press office reads releases but writes none: the duplicate is refused, nothing is created."""
    original = make_release(author=writer)
    response = duplicate(client, press_officer, original)
    assert response.status_code == 403
    assert Release.objects.count() == 1


def test_the_change_form_offers_duplicate_to_writers_only(client, writer, press_officer):
    """The button is there for whoever may write, not for a reader."""
    release = make_release(author=writer)
    url = reverse("admin:releases_release_change", args=[release.pk])
    client.force_login(writer)
    assert "Duplicate as new draft" in client.get(url).content.decode()
    client.force_login(press_officer)
    assert "Duplicate as new draft" not in client.get(url).content.decode()


def save_as_template(client, user, advisory, name):
    client.force_login(user)
    return client.post(reverse("admin:releases_advisory_save_as_template", args=[advisory.pk]), {"name": name})


def test_an_advisory_saved_as_a_template_keeps_its_recurring_parts(client, writer):
    """Text, place, time, contacts and programme are kept; the template is listed in the admin."""
    advisory = make_advisory(author=writer, title="Weekly press briefing", venue="Press room", event_time=time(11, 0))
    advisory.contacts.set([make_contact(name="Spokesperson")])
    ProgrammeEntry.objects.create(advisory=advisory, time=time(11, 0), description="Briefing")
    response = save_as_template(client, writer, advisory, "Weekly briefing")
    template = AdvisoryTemplate.objects.get()
    assert response["Location"] == reverse("admin:releases_advisorytemplate_change", args=[template.pk])
    assert (template.title, template.venue, template.event_time) == ("Weekly press briefing", "Press room", time(11, 0))
    assert template.programme == [{"time": "11:00", "description": "Briefing"}]
    assert [c.name for c in template.contacts.all()] == ["Spokesperson"]
    listing = client.get(reverse("admin:releases_advisorytemplate_changelist")).content.decode()
    assert "Weekly briefing" in listing and "New advisory from this template" in listing


def test_a_template_name_is_required_and_unique(client, writer):
    """No nameless or same-named templates: an error message, nothing saved twice."""
    advisory = make_advisory(author=writer)
    save_as_template(client, writer, advisory, "")
    assert not AdvisoryTemplate.objects.exists()
    save_as_template(client, writer, advisory, "Weekly briefing")
    response = save_as_template(client, writer, advisory, "Weekly briefing")
    assert AdvisoryTemplate.objects.count() == 1
    assert response["Location"] == reverse("admin:releases_advisory_change", args=[advisory.pk])


def test_a_new_advisory_from_a_template_starts_prefilled(client, writer):
    """The add form opened from a template holds its title, place, contacts and programme rows."""
    advisory = make_advisory(author=writer, title="Weekly press briefing", venue="Press room")
    contact = make_contact(name="Spokesperson")
    advisory.contacts.set([contact])
    ProgrammeEntry.objects.create(advisory=advisory, time=time(11, 0), description="Briefing")
    ProgrammeEntry.objects.create(advisory=advisory, time=time(11, 45), description="Questions")
    save_as_template(client, writer, advisory, "Weekly briefing")
    template = AdvisoryTemplate.objects.get()
    page = client.get(reverse("admin:releases_advisory_add") + f"?template={template.pk}").content.decode()
    assert 'value="Weekly press briefing"' in page and 'value="Press room"' in page
    assert 'name="programme-0-description" value="Briefing"' in page.replace(' class="vTextField"', "")
    assert 'value="11:45"' in page and "Questions" in page
    assert f'<option value="{contact.pk}" selected>' in page
    assert "Started from the template “Weekly briefing”" in page


def test_an_advisory_started_from_a_template_is_a_new_document_at_a_new_address(client, writer):
    """Saving the prefilled form makes a new draft (its own document and slug), with the programme."""
    advisory = publish(make_advisory(author=writer, title="Weekly press briefing", slug="briefing-6-nov"))
    save_as_template(client, writer, advisory, "Weekly briefing")
    template = AdvisoryTemplate.objects.get()
    initial = template.initial()
    response = client.post(reverse("admin:releases_advisory_add") + f"?template={template.pk}", {
        "source": initial["source"], "title": initial["title"], "slug": "briefing-13-nov", "summary": initial["summary"],
        "body": "", "original_url": "", "event_date": "2030-01-22", "event_time": "11:00",
        "time_zone": "Europe/Brussels", "venue": initial["venue"], "city": "", "country": "",
        "accreditation": "", "live_stream": "", "video_download": "", "transcript": "",
        "programme-TOTAL_FORMS": "1", "programme-INITIAL_FORMS": "0",
        "programme-0-time": "11:00", "programme-0-description": "Briefing",
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "0", "pictures-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    new = Advisory.objects.get(slug="briefing-13-nov")
    assert new.document != advisory.document and new.state == State.DRAFT
    assert list(new.programme.values_list("description", flat=True)) == ["Briefing"]


def test_a_template_is_never_public(client, writer):
    """A template is not an advisory: no public page, list, feed or search knows it."""
    advisory = make_advisory(author=writer, title="Weekly press briefing")
    save_as_template(client, writer, advisory, "Secret weekly briefing")
    AdvisoryTemplate.objects.filter(name="Secret weekly briefing").update(title="Secret weekly briefing")
    client.logout()
    for url in ("/", "/?q=Secret", "/feeds/latest.rss", "/feeds/latest.atom", "/advisories.ics", "/sitemap.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Secret weekly briefing" not in response.content.decode(), url


def test_the_duplicates_conversation_says_duplicated(writer):
    """The first entry of a copy's conversation reads "Duplicated", with where it came from."""
    from .factories import make_release

    original = make_release(author=writer, title="Weekly briefing")
    copy = original.duplicate(writer)
    entry = copy.history().first()
    assert (str(entry.label), entry.comment.startswith("Duplicated from “Weekly briefing”")) == ("Duplicated", True)
