"""The admin as editors use it: forms, transition buttons, forged posts, review queue, history."""
import pytest
from django.urls import reverse

from releases.models import Advisory, Contact, Release, Source
from releases.workflow import State

from .factories import make_advisory, make_contact, make_release, make_source, make_user, publish


def change_url(item):
    return reverse(f"admin:releases_{item._meta.model_name}_change", args=[item.pk])


def transition_url(item, action):
    return reverse(f"admin:releases_{item._meta.model_name}_transition", args=[item.pk, action])


def test_writer_creates_a_release_in_the_admin(client, writer):
    source = make_source("NATO", slug="nato")
    contact = make_contact(source=source, name="NATO Press Office")
    client.force_login(writer)
    response = client.post(reverse("admin:releases_release_add"), {
        "source": source.pk, "category": "press_release", "title": "Allies meet in Chișinău",
        "slug": "allies-meet-in-chisinau", "summary": "A summary.",
        "body": "<p>Paragraph.</p><ul><li><p>a list item</p></li></ul><blockquote><p>“A quotation”</p></blockquote>", "original_url": "", "contacts": [contact.pk],
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "0", "pictures-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    release = Release.objects.get()
    assert (release.state, release.created_by, release.last_edited_by) == (State.DRAFT, writer, writer)
    assert "<blockquote>" in release.body_html and "<li>a list item</li>" in release.body_html
    assert list(release.contacts.all()) == [contact]


def test_form_errors_leave_nothing_written(client, writer):
    client.force_login(writer)
    response = client.post(reverse("admin:releases_release_add"), {"title": "", "slug": "bad slug!"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Release.objects.count() == 0


def test_slug_taken_by_another_item_is_a_form_error(client, writer):
    existing = make_release(slug="taken")
    client.force_login(writer)
    response = client.post(reverse("admin:releases_release_add"), {
        "source": existing.source.pk, "category": "press_release", "title": "T", "slug": "taken",
    })
    assert "Another item already uses this address." in response.content.decode()
    assert Release.objects.count() == 1


def test_buttons_are_exactly_the_allowed_transitions(client, writer, reviewer):
    release = make_release(author=writer)
    client.force_login(writer)
    page = client.get(change_url(release)).content.decode()
    assert "Submit for review" in page and "Approve and publish" not in page
    release.submit(writer)
    page = client.get(change_url(release)).content.decode()
    assert "Approve and publish" not in page and "Recall to draft" in page
    client.force_login(make_user("writer-3", group="Writers"))
    page = client.get(change_url(release)).content.decode()
    assert "No workflow action is open to you" in page
    client.force_login(reviewer)
    page = client.get(change_url(release)).content.decode()
    assert "Approve and publish" in page and "Return to draft" in page and "Withdraw" not in page


def test_full_journey_through_the_admin(client, writer, reviewer):
    release = make_release(author=writer, title="Journey release")
    client.force_login(writer)
    assert client.post(transition_url(release, "submit")).status_code == 302
    client.force_login(reviewer)
    client.post(transition_url(release, "return_to_draft"), {"comment": "Add the date."})
    release.refresh_from_db()
    assert release.state == State.DRAFT
    client.force_login(writer)
    page = client.get(change_url(release)).content.decode()
    assert "Add the date." in page
    client.post(transition_url(release, "submit"))
    client.force_login(reviewer)
    client.post(transition_url(release, "approve"), {"publish_date": "", "publish_time": ""})
    release.refresh_from_db()
    assert release.is_public
    assert client.get(release.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("forger, message", [
    ("writer", "You may not approve"),
    ("writer2", "You may not approve"),
])
def test_forged_approve_by_a_writer_is_refused(client, writer, writer2, forger, message):
    """A writer posting the approve action directly, on their own or a colleague's release, changes nothing."""
    release = make_release(author=writer)
    release.submit(writer)
    client.force_login({"writer": writer, "writer2": writer2}[forger])
    response = client.post(transition_url(release, "approve"), follow=True)
    assert message in response.content.decode()
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW
    assert release.history().count() == 1


def test_reviewer_cannot_approve_own_edit_through_the_admin(client, reviewer):
    release = make_release(author=reviewer)
    release.submit(reviewer)
    client.force_login(reviewer)
    page = client.get(change_url(release)).content.decode()
    assert "Approve and publish" not in page
    assert "another reviewer must approve it" in page
    response = client.post(transition_url(release, "approve"), follow=True)
    assert "another reviewer must approve it" in response.content.decode()
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW


def test_transition_view_refuses_get_and_unknown_actions(client, writer):
    release = make_release(author=writer)
    client.force_login(writer)
    assert client.get(transition_url(release, "submit")).status_code == 405
    assert client.post(transition_url(release, "delete_everything")).status_code == 404


def test_anonymous_cannot_transition(client, writer):
    release = make_release(author=writer)
    response = client.post(transition_url(release, "submit"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    release.refresh_from_db()
    assert release.state == State.DRAFT


def test_schedule_with_a_publish_time(client, writer, reviewer):
    release = make_release(author=writer)
    release.submit(writer)
    client.force_login(reviewer)
    client.post(transition_url(release, "approve"), {"publish_date": "2099-01-01", "publish_time": "09:00"})
    release.refresh_from_db()
    assert release.state == State.PUBLISHED and release.is_scheduled
    assert "Scheduled" in client.get(change_url(release)).content.decode()


def test_bad_publish_time_is_an_error_message(client, writer, reviewer):
    release = make_release(author=writer)
    release.submit(writer)
    client.force_login(reviewer)
    response = client.post(
        transition_url(release, "approve"), {"publish_date": "tomorrow-ish", "publish_time": "9"}, follow=True,
    )
    assert "Enter a real date" in response.content.decode()
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW


def test_published_item_is_read_only_and_offers_a_new_draft(client, writer, reviewer):
    release = publish(make_release(author=writer, title="Read-only release"), reviewer)
    client.force_login(writer)
    page = client.get(change_url(release)).content.decode()
    assert "Start a new draft" in page
    assert 'name="title"' not in page  # no editable title field
    response = client.post(transition_url(release, "start_new_draft"))
    draft = Release.objects.get(document=release.document, version=2)
    assert response["Location"] == change_url(draft)
    page = client.get(change_url(draft)).content.decode()
    assert 'name="title"' in page
    # The slug is fixed once published.
    assert 'name="slug"' not in page


def test_view_on_site_only_for_public_items(client, writer, reviewer):
    release = make_release(author=writer)
    client.force_login(reviewer)
    assert "View on site" not in client.get(change_url(release)).content.decode()
    publish(release, reviewer)
    assert "View on site" in client.get(change_url(release)).content.decode()


def test_history_is_shown_on_the_item(client, writer, reviewer):
    release = make_release(author=writer)
    release.submit(writer, "Please look at the quotes.")
    client.force_login(reviewer)
    page = client.get(change_url(release)).content.decode()
    assert "History" in page and "Please look at the quotes." in page and "writer-1" in page


def test_waiting_for_my_review(client, writer, reviewer):
    mine = make_release(author=writer, title="For reviewer one")
    mine.submit(writer)
    own = make_release(author=reviewer, title="Reviewer one's own edit")
    own.submit(reviewer)
    advisory = make_advisory(author=writer, title="Advisory to review")
    advisory.submit(writer)
    client.force_login(reviewer)
    page = client.get(reverse("review-queue")).content.decode()
    assert "For reviewer one" in page and "Advisory to review" in page
    assert "Reviewer one&#x27;s own edit" not in page and "Reviewer one's own edit" not in page
    changelist = client.get(reverse("admin:releases_release_changelist"), {"review": "mine"}).content.decode()
    assert "For reviewer one" in changelist and "own edit" not in changelist


def test_changelist_search_and_filters(client, writer, reviewer):
    make_release(author=writer, title="Olympics 2024 security topped up")
    make_release(author=writer, title="Something else")
    client.force_login(reviewer)
    page = client.get(reverse("admin:releases_release_changelist"), {"q": "Olympics"}).content.decode()
    assert "Olympics 2024 security topped up" in page and "Something else" not in page
    page = client.get(reverse("admin:releases_release_changelist"), {"state__exact": "draft"}).content.decode()
    assert "Something else" in page


def test_advisory_admin_flags_missing_time_and_has_programme_inline(client, writer):
    advisory = make_advisory(author=writer, event_time=None)
    client.force_login(writer)
    changelist = client.get(reverse("admin:releases_advisory_changelist")).content.decode()
    assert "event time not stated" in changelist
    page = client.get(change_url(advisory)).content.decode()
    assert "event time not stated" in page
    assert "programme-TOTAL_FORMS" in page


def test_contacts_autocomplete(client, writer):
    source = make_source("NATO", slug="nato")
    make_contact(source=source, name="NATO Press Office")
    client.force_login(writer)
    response = client.get(reverse("admin:autocomplete"), {
        "term": "Press", "app_label": "releases", "model_name": "release", "field_name": "contacts",
    })
    assert response.status_code == 200
    assert "NATO Press Office" in response.content.decode()


@pytest.mark.parametrize("model, allowed", [(Source, False), (Contact, False)])
def test_writers_cannot_manage_sources_or_contacts(client, writer, model, allowed):
    client.force_login(writer)
    url = reverse(f"admin:releases_{model._meta.model_name}_add")
    assert client.get(url).status_code == 403


def test_press_office_manages_contacts_but_cannot_publish(client, press_officer, writer):
    source = make_source("NATO", slug="nato")
    client.force_login(press_officer)
    response = client.post(reverse("admin:releases_contact_add"), {
        "name": "NATO Press Office", "kind": "office", "role": "", "source": source.pk,
        "email": "press@hq.nato.int", "phone": "+32 2 707 50 41", "is_public": "on",
    })
    assert response.status_code == 302
    assert Contact.objects.filter(name="NATO Press Office").exists()
    release = make_release(author=writer)
    release.submit(writer)
    client.post(transition_url(release, "approve"))
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW


def test_published_items_cannot_be_deleted(client, writer, reviewer):
    release = publish(make_release(author=writer), reviewer)
    admin_user = make_user("boss", is_superuser=True)
    client.force_login(admin_user)
    url = reverse("admin:releases_release_delete", args=[release.pk])
    assert client.get(url).status_code == 403
    assert Release.objects.filter(pk=release.pk).exists()


def test_preview_link_on_change_form(client, writer):
    advisory = make_advisory(author=writer)
    client.force_login(writer)
    page = client.get(change_url(advisory)).content.decode()
    assert reverse("releases:preview", args=["advisory", advisory.pk]) in page
    assert Advisory.objects.count() == 1


# --- trust: no edit lost, none written over an approval (issue 9) -------------------------


def release_form(release, **changes):
    """The release change form as a browser posts it, from the edition as it was loaded."""
    data = {
        "source": release.source_id, "category": release.category, "title": release.title,
        "slug": release.slug, "summary": release.summary, "body": release.body, "original_url": "",
        "contacts": [contact.pk for contact in release.contacts.all()], "revision": release.revision,
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "0", "pictures-INITIAL_FORMS": "0",
        "pictures-MIN_NUM_FORMS": "0", "pictures-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_a_save_from_a_stale_form_is_refused_and_keeps_the_editors_text(client, writer, reviewer):
    """Two people on one draft: the second save names the first editor, keeps its text, shows the diff."""
    release = make_release(author=writer, title="Allies meet", summary="Old summary.")
    opened_by_reviewer = Release.objects.get(pk=release.pk)
    client.force_login(writer)
    assert client.post(change_url(release), release_form(release, summary="The writer's summary.")).status_code == 302
    client.force_login(reviewer)
    response = client.post(change_url(release), release_form(opened_by_reviewer, title="Allies meet in Chișinău"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "writer-1 changed this version at" in page
    assert 'value="Allies meet in Chișinău"' in page  # the reviewer's text stays in the form
    # What the reviewer's form would undo is shown struck through, their own words underlined.
    assert "<del>The writer&#x27;s</del><ins>Old</ins> summary." in page
    release.refresh_from_db()
    assert (release.title, release.summary) == ("Allies meet", "The writer's summary.")
    # Saving the form again, as re-rendered, is the deliberate choice to replace the saved version.
    revision = int(page.split('name="revision" value="')[1].split('"')[0])
    data = release_form(opened_by_reviewer, title="Allies meet in Chișinău", revision=revision)
    assert client.post(change_url(release), data).status_code == 302
    release.refresh_from_db()
    assert (release.title, release.last_edited_by) == ("Allies meet in Chișinău", reviewer)


def test_a_save_after_the_draft_was_approved_leaves_the_approval_alone(client, writer, writer2, reviewer):
    """A form opened on a draft and posted after it was submitted and approved: 409, nothing written."""
    live = publish(make_release(author=writer, title="Version one"), reviewer)
    draft = live.start_new_draft(writer)
    opened = Release.objects.get(pk=draft.pk)
    draft.title, draft.last_edited_by = "Version two", writer2
    draft.save()
    draft.submit(writer2)
    draft.approve(reviewer)
    client.force_login(writer)
    response = client.post(change_url(draft), release_form(opened, title="The writer's late edit"))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Your changes were not saved" in page and "it is now published" in page
    assert "writer&#x27;s late edit</ins>" in page
    assert 'readonly>The writer&#x27;s late edit</textarea>' in page
    draft.refresh_from_db()
    assert (draft.state, draft.title) == (State.PUBLISHED, "Version two")
    assert client.get(draft.get_absolute_url()).status_code == 200
    assert draft.history().first().to_state == State.PUBLISHED


def test_saving_without_a_change_does_not_make_you_the_last_editor(client, writer, reviewer, reviewer2):
    """A no-op save can't get around four eyes: the reviewer who wrote it still can't approve it."""
    release = make_release(author=reviewer)
    client.force_login(writer)
    assert client.post(change_url(release), release_form(release)).status_code == 302
    release.refresh_from_db()
    assert release.last_edited_by == reviewer
    client.post(transition_url(release, "submit"))
    client.force_login(reviewer)
    client.post(transition_url(release, "approve"))
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW
    # A real change does make the writer the editor.
    client.force_login(writer)
    release.return_to_draft(reviewer2, "One more line.")
    release.refresh_from_db()
    assert client.post(change_url(release), release_form(release, summary="One more line.")).status_code == 302
    release.refresh_from_db()
    assert release.last_edited_by == writer


def test_a_transition_url_with_an_id_that_is_not_a_number_is_404(client, reviewer):
    client.force_login(reviewer)
    response = client.post("/admin/releases/release/abc/transition/submit/")
    assert response.status_code == 404


def test_staff_without_rights_on_releases_get_403_and_learn_nothing(client, writer, reviewer):
    """The transition view checks permissions itself: no title, no state in the answer."""
    release = make_release(author=writer, title="Confidential summit plan")
    release.submit(writer)
    outsider = make_user("outsider")  # staff, no group, no permission
    client.force_login(outsider)
    for action in ("approve", "submit", "withdraw", "unschedule", "start_new_draft"):
        response = client.post(transition_url(release, action))
        assert response.status_code == 403
        assert "Confidential" not in response.content.decode()
        assert "review" not in response.content.decode().lower()
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW


def test_a_new_draft_of_a_published_item_can_be_deleted(client, writer, reviewer):
    """The draft goes; the live edition and its page stay."""
    live = publish(make_release(author=writer), reviewer)
    draft = live.start_new_draft(writer)
    client.force_login(writer)
    delete_url = reverse("admin:releases_release_delete", args=[draft.pk])
    assert client.get(delete_url).status_code == 200
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Release.objects.filter(pk=draft.pk).exists()
    assert client.get(live.get_absolute_url()).status_code == 200
    assert client.get(reverse("admin:releases_release_delete", args=[live.pk])).status_code == 403


def test_unschedule_through_the_admin(client, writer, reviewer):
    """The reviewer's button on a scheduled item: back to review, no public reason asked."""
    from datetime import timedelta

    from django.utils import timezone

    release = make_release(author=writer)
    release.submit(writer)
    release.approve(reviewer, publish_at=timezone.now() + timedelta(hours=2))
    client.force_login(reviewer)
    page = client.get(change_url(release)).content.decode()
    assert "Cancel the scheduled publication" in page and ">Withdraw<" not in page
    client.post(transition_url(release, "unschedule"))
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW and release.published_at is None


def test_a_new_draft_says_the_live_version_stays_until_approved(client, writer, reviewer):
    live = publish(make_release(author=writer), reviewer)
    draft = live.start_new_draft(writer)
    client.force_login(writer)
    page = client.get(change_url(draft)).content.decode()
    assert "Version 1 stays public, unchanged, until this version is approved." in page


def test_approving_an_edit_of_a_public_item_asks_major_or_minor(client, writer, reviewer):
    """The admin requires the choice; a major change's note reaches the edition."""
    live = publish(make_release(author=writer), reviewer)
    draft = live.start_new_draft(writer)
    draft.submit(writer)
    client.force_login(reviewer)
    page = client.get(change_url(draft)).content.decode()
    assert 'name="change" value="major"' in page and 'name="change" value="minor"' in page
    response = client.post(transition_url(draft, "approve"), follow=True)
    assert "major change (with a public note) or a minor one" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == State.IN_REVIEW
    client.post(transition_url(draft, "approve"), {"change": "major", "note": "Corrected the venue."})
    draft.refresh_from_db()
    assert (draft.state, draft.change_note) == (State.PUBLISHED, "Corrected the venue.")


# --- the review loop: conversation, save-then-submit, presence (issue 10) -----------------


def test_the_returned_writer_sees_the_comment_and_the_conversation(client, writer, reviewer):
    release = make_release(author=writer)
    release.submit(writer)
    release.return_to_draft(reviewer, "The date in the second paragraph is wrong.\nPlease check it.")
    client.force_login(writer)
    page = client.get(change_url(release)).content.decode()
    assert "Returned:</strong>" in page and "The date in the second paragraph is wrong." in page
    conversation = page[page.index('id="nr-conversation"'):]
    assert "reviewer-1</strong>" in conversation and "Return to draft" in conversation
    assert conversation.index("Return to draft") < conversation.index("Submit for review")  # newest first


def test_a_plain_comment_moves_nothing_and_joins_the_conversation(client, writer, reviewer):
    release = make_release(author=writer)
    release.submit(writer)
    client.force_login(reviewer)
    response = client.post(reverse("admin:releases_release_comment", args=[release.pk]), {"comment": "Is the quote cleared?"})
    assert response.status_code == 302
    client.force_login(writer)
    client.post(reverse("admin:releases_release_comment", args=[release.pk]), {"comment": "Yes, by the spokesperson."})
    release.refresh_from_db()
    assert release.state == State.IN_REVIEW
    page = client.get(change_url(release)).content.decode()
    assert page.index("Yes, by the spokesperson.") < page.index("Is the quote cleared?")
    # An empty comment is refused with a message; an outsider can't comment at all.
    response = client.post(reverse("admin:releases_release_comment", args=[release.pk]), {"comment": "  "}, follow=True)
    assert "Write something to comment." in response.content.decode()
    client.force_login(make_user("outsider"))
    response = client.post(reverse("admin:releases_release_comment", args=[release.pk]), {"comment": "Hello"})
    assert response.status_code == 403
    assert release.history().filter(action="comment").count() == 2


def test_submit_from_the_form_saves_the_edits_first(client, writer):
    """The 'Submit for review' button posts the edit form: the edit and the move happen together."""
    release = make_release(author=writer, title="Draft title")
    client.force_login(writer)
    page = client.get(change_url(release)).content.decode()
    assert 'form="release_form" name="_transition" value="submit"' in page
    response = client.post(change_url(release), release_form(
        release, title="Finished title", _transition="submit", _transition_comment="Ready for you.",
    ))
    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.title, release.state) == ("Finished title", State.IN_REVIEW)
    assert release.history().first().comment == "Ready for you."


def test_submit_from_a_form_with_errors_moves_nothing(client, writer):
    release = make_release(author=writer, title="Draft title")
    client.force_login(writer)
    response = client.post(change_url(release), release_form(release, title="", _transition="submit"))
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    release.refresh_from_db()
    assert (release.title, release.state) == ("Draft title", State.DRAFT)


def test_others_see_who_has_the_form_open_until_it_expires(client, writer, writer2):
    import time_machine
    from django.utils import timezone

    release = make_release(author=writer)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(writer)
        client.get(change_url(release))
    with time_machine.travel(start + timezone.timedelta(seconds=20), tick=False):
        client.force_login(writer2)
        page = client.get(change_url(release)).content.decode()
        assert "writer-1 has been editing this since" in page
    with time_machine.travel(start + timezone.timedelta(seconds=200), tick=False):
        client.force_login(writer)
        page = client.get(change_url(release)).content.decode()
        assert "has been editing this since" not in page  # writer-2's notice expired, and you never see yourself


def test_the_presence_heartbeat_and_saving_and_leaving(client, writer, writer2):
    """The open form's heartbeat says who else is editing; saving and leaving the form ends the notice."""
    release = make_release(author=writer)
    url = reverse("admin:releases_release_presence", args=[release.pk])
    client.force_login(writer)
    assert client.post(url).json() == {"others": []}
    client.force_login(writer2)
    assert [other["name"] for other in client.post(url).json()["others"]] == ["writer-1"]
    client.force_login(writer)
    release.refresh_from_db()
    assert client.post(change_url(release), release_form(release, summary="Saved, and off.")).status_code == 302
    client.force_login(writer2)
    assert client.post(url).json() == {"others": []}
    assert client.get(url).status_code == 405


def test_other_apps_add_panels_to_the_change_form(client, writer):
    """releases.admin_panels: an app's panel shows on the form without releases importing the app."""
    from django.utils.html import format_html

    from releases import admin_panels

    def panel(request, edition):
        return format_html('<section class="test-panel">Distribution of “{}”</section>', edition.title)

    admin_panels.register(panel)
    try:
        release = make_release(author=writer, title="Allies meet")
        client.force_login(writer)
        assert "Distribution of “Allies meet”" in client.get(change_url(release)).content.decode()
    finally:
        admin_panels._panels.remove(panel)
