"""
Comparing two versions of a release or advisory in the admin (issue 10): each
kind of field shown word by word or as "old → new", unchanged fields collapsed,
the reviewer's default comparison, permissions and bad input, and Restore
through the workflow.
"""
import re
from datetime import date, time

import pytest
from django.urls import reverse

from releases.compare import word_diff
from releases.models import Advisory, ProgrammeEntry, Release
from releases.text import markdown_to_html  # bodies are the editor's HTML; these are written as Markdown
from releases.workflow import State, Transition

from .factories import make_advisory, make_contact, make_picture, make_release, make_source, make_user, publish

REMOVED = '<del><span class="visually-hidden">removed: </span>{}</del>'
ADDED = '<ins><span class="visually-hidden">added: </span>{}</ins>'


def compare_url(item, **query):
    url = reverse(f"admin:releases_{item._meta.model_name}_compare", args=[item.pk])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def change_url(item):
    return reverse(f"admin:releases_{item._meta.model_name}_change", args=[item.pk])


def edit(edition, user, **fields):
    """Change a draft as the admin form does: content fields only, through ``save_edit``."""
    for name, value in fields.items():
        setattr(edition, name, value)
    edition.save_edit(user, edition.revision, list(fields))
    edition.refresh_from_db()
    return edition


def new_draft(live, writer, **fields):
    return edit(live.start_new_draft(writer), writer, **fields) if fields else live.start_new_draft(writer)


def sections(response):
    """The compare page's sections, by field name, as HTML."""
    assert response.status_code == 200, response.content[:500]
    html = response.content.decode()
    return dict(re.findall(r'<section class="nr-compare-field[^"]*" id="nr-compare-(\w+)".*?>(.*?)</section>', html, re.S))


def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def unchanged_line(response):
    match = re.search(r'<p class="nr-unchanged">(.*?)</p>', response.content.decode(), re.S)
    return text_of(match.group(1)) if match else ""


# --- each kind of field --------------------------------------------------------------------


def test_title_and_summary_mark_removed_and_added_words(client, writer, reviewer):
    """Title and summary: only the words that changed are marked, each announced as removed or added."""
    live = publish(make_release(author=writer, title="Ministers meet on Tuesday", summary="Talks in Brussels."), reviewer)
    draft = new_draft(live, writer, title="Ministers meet on Wednesday", summary="Talks in Brussels and Mons.")
    client.force_login(reviewer)
    found = sections(client.get(compare_url(draft)))
    assert found["title"].count("<del>") == 1 and found["title"].count("<ins>") == 1
    assert "Ministers meet on " + REMOVED.format("Tuesday") + " " + ADDED.format("Wednesday") in found["title"]
    # Punctuation is a word of its own: the full stop stays, "and Mons" is added before it.
    assert "Talks in Brussels " + ADDED.format("and Mons") + "." in found["summary"]


def test_body_is_compared_block_by_block_and_word_by_word_inside_each(client, writer, reviewer):
    """The body, projected from its HTML to paragraphs, headings and list items: a block's edit, a new item, a gone heading."""
    paragraphs = [f"Paragraph number {n} stays as it was." for n in range(1, 7)]
    body = "\n\n".join(["## Background", *paragraphs, "- Patrols in the Baltic", "- A coordination cell"])
    live = publish(make_release(author=writer, body=markdown_to_html(body)), reviewer)
    changed = body.replace("## Background\n\n", "").replace(
        "Paragraph number 6 stays as it was.", "Paragraph number 6 now reads differently.",
    ) + "\n- Shared sensor data"
    draft = new_draft(live, writer, body=markdown_to_html(changed))
    client.force_login(reviewer)
    response = client.get(compare_url(draft))
    body_html = sections(response)["body"]
    assert 'nr-block--h2 nr-row--removed">' + REMOVED.format("Background") in body_html
    assert "Paragraph number 6 " + REMOVED.format("stays as it was") + " " + ADDED.format("now reads differently") + "." in body_html
    assert 'nr-block--li nr-row--added">' + ADDED.format("Shared sensor data") in body_html
    # The unchanged list items are context; the untouched paragraphs far from any change are counted, not shown.
    assert "Patrols in the Baltic" in body_html
    assert "… 3 unchanged paragraphs …" in text_of(body_html)
    assert "Paragraph number 3 stays" not in body_html


def test_a_rewritten_paragraph_shows_as_removed_and_added_not_word_by_word(client, writer, reviewer):
    """A paragraph with hardly a word in common is one paragraph removed and another added, not a zipper of marks."""
    live = publish(make_release(author=writer, body=markdown_to_html("Ministers met in Brussels on Tuesday.\n\nThe end.")), reviewer)
    draft = new_draft(live, writer, body=markdown_to_html("A coordination cell opens at Maritime Command.\n\nThe end."))
    client.force_login(reviewer)
    body = sections(client.get(compare_url(draft)))["body"]
    assert 'nr-row--removed">' + REMOVED.format("Ministers met in Brussels on Tuesday.") in body
    assert 'nr-row--added">' + ADDED.format("A coordination cell opens at Maritime Command.") in body
    assert body.count("<del>") == 1 and body.count("<ins>") == 1


def test_body_markup_is_compared_as_the_reader_reads_it(client, writer, reviewer):
    """Entities and inline markup don't show as changes: the comparison reads the rendered text, not the source."""
    live = publish(make_release(author=writer, body=markdown_to_html("Allies & partners met [in Oslo](https://example.org/oslo).")), reviewer)
    draft = new_draft(live, writer, body=markdown_to_html("Allies &amp; partners met in Oslo."))
    client.force_login(reviewer)
    response = client.get(compare_url(draft))
    assert "body" not in sections(response)
    assert "Body" in unchanged_line(response)


def test_advisory_details_show_old_and_new_values(client, writer, reviewer):
    """Date, time, zone, venue and the coverage notes as "old → new", the changed words marked on each side."""
    live = publish(make_advisory(
        author=writer, event_date=date(2030, 1, 15), event_time=time(17, 30), time_zone="Europe/Brussels",
        venue="NATO Headquarters", city="Brussels", accreditation="Register by 10 January.",
    ), reviewer)
    draft = new_draft(
        live, writer, event_date=date(2030, 1, 16), event_time=None, time_zone="Europe/Oslo",
        venue="Storting", city="Brussels", accreditation="Register by 12 January.", live_stream="On NATO TV.",
    )
    client.force_login(reviewer)
    response = client.get(compare_url(draft))
    found = sections(response)
    assert text_of(found["event_date"]).startswith("Event date removed: 15 January 2030 → changed to added: 16 January 2030")
    assert REMOVED.format("17:30") in found["event_time"] and "(none)" in found["event_time"]
    assert REMOVED.format("Europe/Brussels") in found["time_zone"] and ADDED.format("Europe/Oslo") in found["time_zone"]
    assert REMOVED.format("NATO Headquarters") in found["venue"] and ADDED.format("Storting") in found["venue"]
    assert "Register by " + REMOVED.format("10") + " January." in found["accreditation"]
    assert "Register by " + ADDED.format("12") in found["accreditation"]
    assert ADDED.format("On NATO TV.") in found["live_stream"]
    assert "city" not in found and "City" in unchanged_line(response)


def test_programme_entries_added_removed_and_changed(client, writer, reviewer):
    """Programme entries (time and description): a moved time, a new entry and a dropped one."""
    live = make_advisory(author=writer)
    ProgrammeEntry.objects.create(advisory=live, time=time(9, 0), description="Arrival of ministers")
    ProgrammeEntry.objects.create(advisory=live, time=time(10, 0), description="Family photo")
    ProgrammeEntry.objects.create(advisory=live, time=time(12, 0), description="Press conference")
    live = publish(live, reviewer)
    draft = live.start_new_draft(writer)
    draft.programme.filter(description="Family photo").delete()
    draft.programme.filter(description="Press conference").update(time=time(12, 30))
    ProgrammeEntry.objects.create(advisory=draft, time=time(13, 0), description="Doorstep by the Secretary General")
    client.force_login(reviewer)
    programme = sections(client.get(compare_url(draft)))["programme"]
    assert REMOVED.format("10:00 Family photo") in programme
    assert REMOVED.format("12:00") in programme and ADDED.format("12:30") in programme
    assert ADDED.format("13:00 Doorstep by the Secretary General") in programme
    assert "Arrival of ministers" not in programme  # unchanged, and no context kept for programme entries


def test_contacts_added_and_removed_by_name(client, writer, reviewer):
    """Contacts: who was added and who was removed, by name and role; a kept contact isn't listed."""
    source = make_source("NATO", slug="nato")
    kept = make_contact(source=source, name="NATO Press Office")
    gone = make_contact(source=source, name="Jane Doe", role="Spokesperson")
    new = make_contact(source=source, name="Piers Cazalet")
    live = make_release(source=source, author=writer)
    live.contacts.set([kept, gone])
    live = publish(live, reviewer)
    draft = live.start_new_draft(writer)
    draft.contacts.set([kept, new])
    client.force_login(reviewer)
    contacts = sections(client.get(compare_url(draft)))["contacts"]
    assert REMOVED.format("Jane Doe (Spokesperson)") in contacts
    assert ADDED.format("Piers Cazalet") in contacts
    assert "NATO Press Office" not in contacts


def test_pictures_added_removed_and_changed_with_thumbnails_staff_can_load(client, writer, reviewer):
    """Pictures: added and removed by alt text with a thumbnail, and a kept picture's caption, credit and alt text changes."""
    live = make_release(author=writer)
    make_picture(live, alt_text="Ministers at the table", caption="In Brussels", credit="© NATO", is_lead=True)
    make_picture(live, alt_text="A cable-laying ship")
    live = publish(live, reviewer)
    draft = live.start_new_draft(writer)
    kept = draft.pictures.get(alt_text="Ministers at the table")
    kept.alt_text, kept.caption, kept.credit = "Ministers around the table", "In Mons", "© NATO / J. Doe"
    kept.save()
    draft.pictures.get(alt_text="A cable-laying ship").delete()
    added = make_picture(draft, alt_text="The Secretary General at the podium", name="podium.jpg")
    client.force_login(reviewer)
    pictures = sections(client.get(compare_url(draft)))["pictures"]
    assert "<strong>Added:</strong>" in pictures and "<ins>The Secretary General at the podium</ins>" in pictures
    assert "<strong>Removed:</strong>" in pictures and "<del>A cable-laying ship</del>" in pictures
    assert "Alt text:</span> Ministers " + REMOVED.format("at") + " the table" in pictures
    assert "Ministers " + ADDED.format("around") + " the table" in pictures
    assert "Caption:</span> In " + REMOVED.format("Brussels") in pictures and ADDED.format("Mons") in pictures
    assert ADDED.format("/ J. Doe") in pictures
    assert "Lead picture" not in pictures  # unchanged detail
    assert f'src="{added.smallest_url}"' in pictures
    thumbnails = re.findall(r'<img src="([^"]+)"', pictures)
    assert len(thumbnails) == 3
    for url in thumbnails:  # a draft's pictures load for staff through the checked view, and for nobody else
        assert client.get(url).status_code == 200
    client.logout()
    assert client.get(added.smallest_url).status_code == 404


def test_unchanged_fields_are_collapsed_into_one_line(client, writer, reviewer):
    """Fields that didn't change are named once ("Unchanged: …"), not shown."""
    live = publish(make_release(author=writer, title="Old title"), reviewer)
    draft = new_draft(live, writer, title="New title")
    client.force_login(reviewer)
    response = client.get(compare_url(draft))
    assert list(sections(response)) == ["title"]
    assert unchanged_line(response) == (
        "Unchanged: Summary, Body, Category, Source, Address (slug), Original URL, Contacts, Pictures."
    )


def test_side_by_side_puts_each_version_in_its_own_column(client, writer, reviewer):
    """Side by side: the older text with its deletions, the newer with its insertions, each cell labelled."""
    live = publish(make_release(author=writer, title="Ministers meet on Tuesday", body=markdown_to_html("They meet.")), reviewer)
    draft = new_draft(live, writer, title="Ministers meet on Wednesday", body=markdown_to_html("They meet.\n\nThey talk."))
    client.force_login(reviewer)
    found = sections(client.get(compare_url(draft, layout="side")))
    old, new = re.findall(r'<div class="nr-diff nr-block[^"]*">(.*?)</div>', found["title"], re.S)
    assert text_of(old) == "Version 1: Ministers meet on removed: Tuesday"
    assert text_of(new) == "Version 2: Ministers meet on added: Wednesday"
    cells = [text_of(cell) for cell in re.findall(r'<div class="nr-diff nr-block[^"]*">(.*?)</div>', found["body"], re.S)]
    assert cells == [
        "Version 1: They meet.", "Version 2: They meet.",
        "Version 1: (not in this version)", "Version 2: added: They talk.",
    ]


def test_any_two_versions_can_be_compared_in_either_order(client, writer, reviewer):
    """from/to pick any two versions of the document; the older is always shown first."""
    first = publish(make_release(author=writer, title="One"), reviewer)
    second = new_draft(first, writer, title="Two")
    publish(second, reviewer)
    third = new_draft(second, writer, title="Three")
    client.force_login(reviewer)
    response = client.get(compare_url(third, **{"from": 3, "to": 1}))
    assert REMOVED.format("One") + " " + ADDED.format("Three") in sections(response)["title"]
    assert "Version 1 (superseded) → version 3 (draft)" in response.content.decode()


def test_word_diff_for_the_stale_save_page_keeps_its_output():
    """The stale-save page's plain diff (used by the edit form) is unchanged: bare <del> and <ins>."""
    assert word_diff("Ministers meet <today>", "Ministers met <today>") == (
        "Ministers <del>meet</del><ins>met</ins> &lt;today&gt;"
    )


# --- the default comparison -------------------------------------------------------------------


def three_versions(writer, reviewer, reviewer2):
    """Version 1 approved by ``reviewer``, version 2 approved by ``reviewer2`` (live), version 3 in review."""
    first = publish(make_release(author=writer, title="Ministers meet"), reviewer)
    second = new_draft(first, writer, title="Ministers meet in Brussels")
    publish(second, reviewer2)
    third = new_draft(second, writer, title="Ministers meet in Mons")
    third.submit(writer)
    return first, second, third


def test_a_reviewer_sees_the_changes_since_the_version_they_last_reviewed(client, writer, reviewer, reviewer2):
    """Default: from the latest earlier version this reviewer approved or returned, not the live one."""
    first, second, third = three_versions(writer, reviewer, reviewer2)
    client.force_login(reviewer)
    response = client.get(compare_url(third))
    assert "Version 1 (superseded) → version 3 (in review)" in response.content.decode()
    assert "changes since the version you last reviewed" in response.content.decode()
    assert "Ministers meet " + ADDED.format("in Mons") in sections(response)["title"]
    client.force_login(reviewer2)
    response = client.get(compare_url(third))
    assert "Version 2 (published) → version 3 (in review)" in response.content.decode()


def test_a_returned_version_counts_as_reviewed(client, writer, reviewer, reviewer2):
    """Returning a version is a review too: it becomes that reviewer's starting point."""
    first = make_release(author=writer, title="Ministers meet")
    first.submit(writer)
    first.return_to_draft(reviewer, "Say where.")
    first = edit(first, writer, title="Ministers meet in Brussels")
    publish(first, reviewer2)
    second = new_draft(first, writer, title="Ministers meet in Mons")
    client.force_login(reviewer)
    response = client.get(compare_url(second))
    assert "changes since the version you last reviewed" in response.content.decode()


def test_a_new_edition_is_compared_with_the_live_version_by_default(client, writer, reviewer, reviewer2):
    """Someone who reviewed none of it sees a new edition against what the public sees."""
    first, second, third = three_versions(writer, reviewer, reviewer2)
    newcomer = make_user("reviewer-3", group="Reviewers")
    client.force_login(newcomer)
    response = client.get(compare_url(third))
    assert "Version 2 (published) → version 3 (in review)" in response.content.decode()
    assert "changes since the live version" in response.content.decode()


def test_the_live_version_itself_is_compared_with_the_previous_one(client, writer, reviewer, reviewer2):
    first, second, third = three_versions(writer, reviewer, reviewer2)
    client.force_login(make_user("reviewer-3", group="Reviewers"))
    response = client.get(compare_url(second))
    assert "Version 1 (superseded) → version 2 (published)" in response.content.decode()
    assert "changes since the previous version" in response.content.decode()


def test_a_first_version_has_nothing_to_compare_with(client, writer):
    release = make_release(author=writer)
    client.force_login(writer)
    response = client.get(compare_url(release))
    assert response.status_code == 200
    assert "This is the only version so far" in response.content.decode()


def test_the_change_form_links_to_the_default_comparison_and_to_each_version(client, writer, reviewer, reviewer2):
    """The form offers "Compare with version N" (the default) and, in Versions, a comparison with each other version."""
    first, second, third = three_versions(writer, reviewer, reviewer2)
    client.force_login(reviewer)
    page = client.get(change_url(third)).content.decode()
    assert f'<a href="{compare_url(third)}">Compare with version 1</a> (changes since the version you last reviewed)' in page
    assert f'href="{compare_url(third)}?from=2&amp;to=3">compare with version 2</a>' in page
    assert f'href="{compare_url(third)}?from=1&amp;to=3">compare with version 1</a>' in page
    assert client.get(compare_url(third) + "?from=2&to=3").status_code == 200


# --- who may, and bad input ------------------------------------------------------------------------


def test_only_staff_with_view_permission_may_compare(client, writer, reviewer, press_officer):
    """Writers, reviewers and the press office (who may view releases) may; others get 403, the public the login page."""
    live = publish(make_release(author=writer, title="Embargoed words"), reviewer)
    draft = new_draft(live, writer, title="Still embargoed words")
    for user in (writer, reviewer, press_officer):
        client.force_login(user)
        assert client.get(compare_url(draft)).status_code == 200
    client.force_login(make_user("stranger"))  # staff, but no permission on releases
    response = client.get(compare_url(draft))
    assert response.status_code == 403 and b"Still embargoed" not in response.content
    client.logout()
    response = client.get(compare_url(draft))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_versions_that_are_not_of_this_document_are_404(client, writer, reviewer):
    live = publish(make_release(author=writer), reviewer)
    draft = new_draft(live, writer, title="Changed")
    other = make_release(author=writer)
    client.force_login(reviewer)
    assert client.get(compare_url(draft, **{"from": 7})).status_code == 404
    assert client.get(compare_url(draft, to=9)).status_code == 404
    other_advisory = make_advisory(author=writer)
    assert client.get(reverse("admin:releases_release_compare", args=[other_advisory.pk + 1000])).status_code == 404
    assert client.get(reverse("admin:releases_release_compare", args=["not-a-number"])).status_code == 404
    # The other release's version 1 is not this document's version 1.
    response = client.get(compare_url(draft, **{"from": 1}))
    assert other.title not in response.content.decode()


@pytest.mark.parametrize("query", [
    "from=abc", "from=-1", "from=0", "from=1.5", "to=1e3", "from=%00", "from=1&to=x", "from=99999999999",
    "layout=wide", "from=%EF%BC%91",  # a full-width digit one
])
def test_garbage_parameters_are_400_never_500(client, writer, reviewer, query):
    live = publish(make_release(author=writer), reviewer)
    draft = new_draft(live, writer, title="Changed")
    client.force_login(reviewer)
    assert client.get(compare_url(draft) + "?" + query).status_code == 400


# --- restore -------------------------------------------------------------------------------------------


def two_published_versions(writer, reviewer):
    first = publish(make_release(author=writer, title="First wording", summary="First summary.", slug="wording"), reviewer)
    second = new_draft(first, writer, title="Second wording", summary="Second summary.")
    publish(second, reviewer)
    first.refresh_from_db()
    return first, second


def test_restore_from_the_compare_view_goes_through_the_workflow(client, writer, reviewer, reviewer2):
    """Restore makes a new draft of the old text; the public keeps the live version until a reviewer approves it."""
    first, second = two_published_versions(writer, reviewer)
    client.force_login(writer)
    page = client.get(compare_url(second, **{"from": 1})).content.decode()
    action = re.search(r'<form method="post" action="([^"]+)" class="nr-action nr-restore">', page).group(1)
    assert action == reverse("admin:releases_release_transition", args=[first.pk, "restore"])
    assert "Restore version 1 as a new draft" in page
    response = client.post(action, {"action": "restore", "comment": "The second wording was wrong."})
    restored = Release.objects.get(document=first.document, version=3)
    assert response.status_code == 302 and response["Location"] == change_url(restored)
    assert (restored.state, restored.title, restored.summary) == (State.DRAFT, "First wording", "First summary.")
    move = restored.history().get(action="restore")
    assert (move.actor, move.comment, move.to_state) == (writer, "The second wording was wrong.", State.DRAFT)
    # Nothing public changed: the page still shows the second wording.
    assert "Second wording" in client.get("/releases/wording/").content.decode()
    # Reviewed and approved like any other draft, it becomes public.
    restored.submit(writer)
    restored.approve(reviewer2)
    client.logout()
    page = client.get("/releases/wording/").content.decode()
    assert "First wording" in page and "Second wording" not in page


def test_restore_is_offered_only_on_a_superseded_version_to_who_may_restore(client, writer, reviewer, press_officer):
    """No Restore button for the press office (who can't edit), nor while a newer draft exists; a forged post moves nothing."""
    first, second = two_published_versions(writer, reviewer)
    client.force_login(press_officer)
    page = client.get(compare_url(second, **{"from": 1})).content.decode()
    assert "nr-restore" not in page
    response = client.post(reverse("admin:releases_release_transition", args=[first.pk, "restore"]), {"action": "restore"})
    assert response.status_code == 302
    assert Release.objects.filter(document=first.document).count() == 2
    client.force_login(writer)
    draft = second.start_new_draft(writer)
    assert "nr-restore" not in client.get(compare_url(draft, **{"from": 1})).content.decode()
    # Comparing a draft with the live version offers nothing to restore: neither is superseded.
    assert "nr-restore" not in client.get(compare_url(draft)).content.decode()
    assert Transition.objects.filter(action="restore").count() == 0


def test_restoring_an_advisory_brings_back_its_details_and_programme(client, writer, reviewer):
    """An advisory's restore copies its event details and programme into the new draft."""
    first = make_advisory(author=writer, venue="NATO Headquarters")
    ProgrammeEntry.objects.create(advisory=first, time=time(9, 0), description="Arrival of ministers")
    first = publish(first, reviewer)
    second = new_draft(first, writer, venue="Storting")
    second.programme.all().delete()
    publish(second, reviewer)
    client.force_login(writer)
    page = client.get(compare_url(second, **{"from": 1})).content.decode()
    action = reverse("admin:releases_advisory_transition", args=[first.pk, "restore"])
    assert f'action="{action}"' in page
    client.post(action, {"action": "restore"})
    restored = Advisory.objects.get(document=first.document, version=3)
    assert (restored.state, restored.venue) == (State.DRAFT, "NATO Headquarters")
    assert [str(entry) for entry in restored.programme.all()] == ["09:00 Arrival of ministers"]
