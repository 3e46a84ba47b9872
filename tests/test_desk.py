"""
The desk (issue 10, part 7): the admin's home page shows each person the panels
of their role, with counts, and the changelists mark returned drafts.
"""
import html
import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from releases.desk import PANEL_SIZE
from releases.models import Advisory, Contact, Release, Source
from releases.workflow import State

from .factories import make_advisory, make_contact, make_release, make_source, make_user, publish

MONDAY = datetime(2023, 11, 6, 9, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def clock():
    """The clock stands still on a Monday morning; ``clock.shift(...)`` moves it."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def desk(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def panel(page, key):
    """The text a person reads in one panel of the desk (None when the panel isn't there)."""
    match = re.search(rf'<section class="nr-panel[^"]*" id="nr-panel-{key}".*?</section>', page, re.S)
    return " ".join(html.unescape(strip_tags(match.group(0))).split()) if match else None


def titles_in(page, key):
    """The item titles listed in one panel, in order."""
    match = re.search(rf'id="nr-panel-{key}".*?</section>', page, re.S)
    return [html.unescape(title) for title in re.findall(r'class="nr-panel-item" href="[^"]+">([^<]+)</a>', match.group(0))]


def return_with(item, writer, reviewer, comment):
    item.submit(writer)
    item.return_to_draft(reviewer, comment)


# --- the writer's desk ------------------------------------------------------------------------


def test_a_returned_draft_shows_the_comments_first_line_and_who_returned_it(client, clock, writer, reviewer):
    """The writer reads why, and from whom, without opening the item."""
    release = make_release(author=writer, title="Allies agree to protect undersea cables")
    return_with(release, writer, reviewer, "The second bullet needs a source.\nAnd check the date in the title.")

    returned = panel(desk(client, writer), "returned")
    assert "Allies agree to protect undersea cables" in returned
    assert "Returned by reviewer-1: “The second bullet needs a source.”" in returned
    assert "check the date" not in returned
    assert returned.startswith("Returned to me 1")
    assert returned.endswith("See all: 1 release")  # no link to an empty list of advisories


def test_returned_panel_holds_releases_and_advisories_latest_return_first(client, clock, writer, reviewer):
    """Both kinds on one panel, merged by when they came back."""
    release = make_release(author=writer, title="Release sent back first")
    return_with(release, writer, reviewer, "Shorter, please.")
    clock.shift(timedelta(hours=2))
    advisory = make_advisory(author=writer, title="Advisory sent back later")
    return_with(advisory, writer, reviewer, "Which room?")

    page = desk(client, writer)
    assert titles_in(page, "returned") == ["Advisory sent back later", "Release sent back first"]
    assert "Which room?" in panel(page, "returned")


def test_another_writers_returned_draft_is_not_on_my_desk(client, clock, writer, writer2, reviewer):
    """"Returned to me" means to the people who wrote or submitted it."""
    theirs = make_release(author=writer2, title="Writer two's draft")
    return_with(theirs, writer2, reviewer, "Needs work.")

    page = desk(client, writer)
    assert "Writer two's draft" not in page
    assert "Nothing has been returned to you." in panel(page, "returned")


def test_returned_drafts_come_first_in_my_drafts(client, clock, writer, reviewer):
    """The author's drafts list puts what came back with a comment above newer plain drafts."""
    returned = make_release(author=writer, title="Came back with a comment")
    return_with(returned, writer, reviewer, "Add the figures.")
    clock.shift(timedelta(hours=1))
    make_release(author=writer, title="Started after it")

    drafts = desk(client, writer)
    assert titles_in(drafts, "drafts") == ["Came back with a comment", "Started after it"]
    assert "Returned by reviewer-1: “Add the figures.”" in panel(drafts, "drafts")


def test_my_drafts_count_everything_and_show_a_panelful(client, clock, writer, writer2):
    """The count says how many there are in all; the panel shows the latest ten."""
    for n in range(PANEL_SIZE + 2):
        clock.shift(timedelta(minutes=1))
        make_release(author=writer, title=f"Draft number {n}")
    make_advisory(author=writer, title="An advisory draft")
    make_release(author=writer2, title="Somebody else's draft")

    page = desk(client, writer)
    drafts = panel(page, "drafts")
    assert drafts.startswith(f"My drafts {PANEL_SIZE + 3}")
    assert len(titles_in(page, "drafts")) == PANEL_SIZE
    assert "See all: 12 releases · 1 advisory" in drafts
    assert "Somebody else's draft" not in page


def test_mine_in_review_lists_what_i_submitted_with_how_long_ago(client, clock, writer, writer2):
    """A draft someone else created but this writer submitted is theirs too (Publishable.authors)."""
    make_release(author=writer, title="Still a draft")
    mine = make_release(author=writer, title="Sent to the reviewers")
    mine.submit(writer)
    handed_over = make_release(author=writer2, title="Finished and submitted for a colleague")
    handed_over.last_edited_by = None
    handed_over.save()
    Release.objects.filter(pk=handed_over.pk).update(created_by=writer2, last_edited_by=writer2)
    handed_over.refresh_from_db()
    handed_over.submit(writer)
    clock.shift(timedelta(hours=3))

    page = desk(client, writer)
    assert titles_in(page, "in_review") == ["Finished and submitted for a colleague", "Sent to the reviewers"]
    assert "3 hours ago" in panel(page, "in_review")
    assert "Still a draft" not in panel(page, "in_review")


def test_mine_recently_published_shows_the_latest_without_counting_the_archive(client, clock, writer, reviewer):
    """The archive is never counted: the panel says "latest N"."""
    publish(make_release(author=writer, title="Published last week"), reviewer, at=timezone.now() - timedelta(days=7))
    publish(make_release(author=make_user(group="Writers"), title="Someone else's release"), reviewer)
    publish(make_release(author=writer, title="Scheduled for tomorrow"), reviewer, at=timezone.now() + timedelta(days=1))

    published = panel(desk(client, writer), "mine_published")
    assert "Published last week" in published and "1 week ago" in published
    assert "Someone else's release" not in published
    assert "Scheduled for tomorrow" not in published  # not public yet
    assert "latest 1" in published


# --- the reviewer's desk ----------------------------------------------------------------------


def test_the_review_queue_is_oldest_first_with_its_age(client, clock, writer, writer2, reviewer):
    """The longest-waiting submission is at the top, with how long it has waited."""
    oldest = make_release(author=writer, title="Waiting two days")
    oldest.submit(writer)
    clock.shift(timedelta(days=2) - timedelta(hours=3))
    advisory = make_advisory(author=writer2, title="Advisory waiting three hours")
    advisory.submit(writer2)
    clock.shift(timedelta(hours=3))

    page = desk(client, reviewer)
    assert titles_in(page, "waiting") == ["Waiting two days", "Advisory waiting three hours"]
    waiting = panel(page, "waiting")
    assert "waiting 2 days · by writer-1" in waiting
    assert "waiting 3 hours · by writer-2" in waiting
    assert waiting.startswith("Waiting for my review 2")


def test_the_review_queue_leaves_out_the_reviewers_own_last_edit(client, clock, writer, reviewer, reviewer2):
    """Four eyes: what the reviewer edited last waits for someone else, and is on their desk."""
    own = make_release(author=reviewer, title="Reviewer one's own edit")
    own.submit(reviewer)
    theirs = make_release(author=writer, title="From a writer")
    theirs.submit(writer)

    assert titles_in(desk(client, reviewer), "waiting") == ["From a writer"]
    assert titles_in(desk(client, reviewer2), "waiting") == ["Reviewer one's own edit", "From a writer"]


def test_scheduled_panel_shows_the_next_seven_days_only(client, clock, writer, reviewer):
    """Soonest first; a week and a day ahead, or already public, is not on it."""
    now = timezone.now()
    publish(make_release(author=writer, title="Out on Wednesday"), reviewer, at=now + timedelta(days=2))
    publish(make_advisory(author=writer, title="Advisory out this afternoon"), reviewer, at=now + timedelta(hours=5))
    publish(make_release(author=writer, title="Out in eight days"), reviewer, at=now + timedelta(days=8))
    publish(make_release(author=writer, title="Already out"), reviewer, at=now - timedelta(hours=1))

    page = desk(client, reviewer)
    assert titles_in(page, "scheduled_week") == ["Advisory out this afternoon", "Out on Wednesday"]
    scheduled = panel(page, "scheduled_week")
    assert "in 5 hours" in scheduled and "in 2 days" in scheduled
    assert scheduled.startswith("Scheduled in the next 7 days 2")


def test_recently_published_is_the_newsrooms_latest_newest_first(client, clock, writer, reviewer):
    """The reviewer's panel is everyone's publications, newest first, both kinds."""
    now = timezone.now()
    publish(make_release(author=writer, title="Older release"), reviewer, at=now - timedelta(days=3))
    publish(make_advisory(author=writer, title="Newer advisory"), reviewer, at=now - timedelta(hours=1))

    page = desk(client, reviewer)
    assert titles_in(page, "published") == ["Newer advisory", "Older release"]
    assert "latest 2" in panel(page, "published")


# --- the press office's desk --------------------------------------------------------------------


def test_press_office_sees_a_contact_edited_recently(client, clock, press_officer):
    """A contact or source changed in the last seven days is on the desk, newest first; an older change is not."""
    nato = make_source("NATO", slug="nato")
    make_contact(source=nato, name="Old Contact")
    Contact.objects.filter(name="Old Contact").update(updated_at=timezone.now() - timedelta(days=30))
    Source.objects.filter(pk=nato.pk).update(updated_at=timezone.now() - timedelta(days=30))
    clock.shift(timedelta(hours=1))
    make_contact(source=nato, name="Oana Lungescu", role="Spokesperson")

    page = desk(client, press_officer)
    changed = panel(page, "changed")
    assert "Oana Lungescu" in changed and "NATO" in changed and "changed 0 minutes ago" in changed
    assert "Old Contact" not in changed
    assert changed.startswith("Contacts and sources recently changed 1")


def test_press_office_see_all_link_lists_the_recent_changes(client, clock, press_officer):
    """The "see all" link opens the contacts changelist filtered to the same week (not an error page)."""
    make_contact(source=make_source("Europol", slug="europol"), name="Jan Op Gen Oorth")
    page = desk(client, press_officer)
    link = re.search(r'href="(/admin/releases/contact/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 200
    assert "Jan Op Gen Oorth" in response.content.decode()


# --- who sees which panels --------------------------------------------------------------------


def test_panels_follow_the_roles_permissions(client, writer, reviewer, press_officer):
    """Writers get the writer's panels, reviewers also the reviewer's, the press office only theirs."""
    writing = desk(client, writer)
    assert panel(writing, "returned") and panel(writing, "drafts") and panel(writing, "in_review")
    assert panel(writing, "waiting") is None and panel(writing, "changed") is None

    reviewing = desk(client, reviewer)
    assert panel(reviewing, "waiting") and panel(reviewing, "scheduled_week") and panel(reviewing, "published")
    assert panel(reviewing, "changed") is None

    pressing = desk(client, press_officer)
    assert panel(pressing, "changed")
    assert panel(pressing, "drafts") is None and panel(pressing, "waiting") is None


def test_a_superuser_sees_every_panel(client):
    boss = make_user("editor-in-chief", is_superuser=True)
    page = desk(client, boss)
    for key in ("returned", "drafts", "in_review", "mine_published", "waiting", "scheduled_week", "published", "changed"):
        assert panel(page, key) is not None, key


def test_staff_without_a_role_get_the_plain_index(client):
    """No permissions, no desk (and nothing of anyone's work)."""
    page = desk(client, make_user("intern"))
    assert 'id="nr-desk"' not in page
    assert "Site administration" in page


def test_the_desk_is_for_staff_only(client, writer, reviewer):
    """Anonymous visitors and non-staff users are sent to the login page and see no title."""
    return_with(make_release(author=writer, title="Secret draft title"), writer, reviewer, "Not yet.")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(make_user("member-of-public", is_staff=False))
    response = client.get(reverse("admin:index"), follow=True)
    assert "Secret draft title" not in response.content.decode()


def test_a_writer_with_no_advisory_rights_sees_no_advisories(client, writer2):
    """Each panel reads only the models the person may change."""
    limited = make_user("release-only")
    limited.user_permissions.set(
        Group.objects.get(name="Writers").permissions.exclude(codename__endswith="advisory")
    )
    make_advisory(author=limited, title="An advisory they can't edit")
    make_release(author=limited, title="A release they can")
    page = desk(client, limited)
    assert titles_in(page, "drafts") == ["A release they can"]


def test_a_publish_permission_alone_shows_no_titles(client, writer):
    """Someone given "publish" but not allowed to see releases in the admin gets no queue of their titles."""
    from django.contrib.auth.models import Permission

    odd = make_user("publish-only")
    odd.user_permissions.add(Permission.objects.get(codename="publish_release"))
    make_release(author=writer, title="Waiting in review").submit(writer)
    page = desk(client, odd)
    assert panel(page, "waiting") is None and "Waiting in review" not in page


# --- "see all": the same sets in the changelists ----------------------------------------------


def test_see_all_opens_the_changelist_filtered_to_the_panel(client, clock, writer, writer2, reviewer):
    """The returned panel's link lists my returned drafts, and nothing else."""
    mine = make_release(author=writer, title="My returned release")
    return_with(mine, writer, reviewer, "Fix the quote.")
    make_release(author=writer, title="My plain draft")
    theirs = make_release(author=writer2, title="Their returned release")
    return_with(theirs, writer2, reviewer, "Fix it too.")

    page = desk(client, writer)
    link = re.search(r'id="nr-panel-returned".*?See all:\s*<a href="([^"]+)"', page, re.S).group(1).replace("&amp;", "&")
    listed = client.get(link).content.decode()
    assert "My returned release" in listed
    assert "My plain draft" not in listed and "Their returned release" not in listed


@pytest.mark.parametrize("key,expected", [
    ("waiting", ["Submitted by the writer"]),
    ("scheduled_week", ["Due on Thursday"]),
])
def test_reviewer_filters_match_the_panels(client, clock, writer, reviewer, key, expected):
    submitted = make_release(author=writer, title="Submitted by the writer")
    submitted.submit(writer)
    publish(make_release(author=writer, title="Due on Thursday"), reviewer, at=timezone.now() + timedelta(days=3))
    publish(make_release(author=writer, title="Due next month"), reviewer, at=timezone.now() + timedelta(days=30))
    client.force_login(reviewer)
    listed = client.get(reverse("admin:releases_release_changelist"), {"desk": key}).content.decode()
    shown = [title for title in ("Submitted by the writer", "Due on Thursday", "Due next month") if f">{title}<" in listed]
    assert shown == expected


# --- the changelists' "Returned" marker ----------------------------------------------------------


@pytest.mark.parametrize("make_item,model", [(make_release, Release), (make_advisory, Advisory)])
def test_changelist_marks_a_returned_draft_with_the_comments_first_line(client, writer, reviewer, make_item, model):
    returned = make_item(author=writer, title="Came back")
    return_with(returned, writer, reviewer, "Name the minister.\nThe rest is fine.")
    make_item(author=writer, title="Never submitted")
    client.force_login(writer)
    listed = client.get(reverse(f"admin:releases_{model._meta.model_name}_changelist")).content.decode()
    rows = {title: row for row in re.findall(r"<tr>.*?</tr>", listed, re.S)
            for title in ("Came back", "Never submitted") if f">{title}<" in row}
    assert "Returned" in rows["Came back"] and "Name the minister." in rows["Came back"]
    assert "The rest is fine." not in listed
    assert "Returned" not in strip_tags(rows["Never submitted"])


def test_a_resubmitted_draft_loses_the_marker(client, writer, reviewer):
    """Once the writer sends it back to review it is no longer 'Returned'."""
    item = make_release(author=writer, title="Fixed and resubmitted")
    return_with(item, writer, reviewer, "Fix it.")
    item.submit(writer)
    client.force_login(writer)
    listed = client.get(reverse("admin:releases_release_changelist")).content.decode()
    assert "Fix it." not in listed
    assert titles_in(desk(client, writer), "in_review") == ["Fixed and resubmitted"]


# --- cost -----------------------------------------------------------------------------------


def fill_every_panel(count, boss, writer, reviewer):
    """``count`` items on each of the superuser's panels, per kind: created by them, last edited by the writer."""
    source = make_source("NATO", slug="nato")
    now = timezone.now()
    for n in range(count):
        for make in (make_release, make_advisory):
            make(source=source, author=writer)
            make(source=source, author=writer).submit(writer)
            return_with(make(source=source, author=writer), writer, reviewer, f"Comment {n}")
            publish(make(source=source, author=writer), reviewer, at=now + timedelta(days=1))
            publish(make(source=source, author=writer), reviewer, at=now - timedelta(days=1))
        make_contact(source=source)
    Release.objects.update(created_by=boss)
    Advisory.objects.update(created_by=boss)


def test_the_desks_queries_dont_grow_with_the_number_of_items(
    client, writer, reviewer, django_assert_max_num_queries,
):
    """
    A full panel costs one COUNT more per model than a short one, and then nothing
    more: the same queries for eleven items per panel as for twenty-two.
    """
    boss = make_user("editor-in-chief", is_superuser=True)
    fill_every_panel(1, boss, writer, reviewer)
    client.force_login(boss)
    with CaptureQueriesContext(connection) as short:
        client.get(reverse("admin:index"))
    fill_every_panel(PANEL_SIZE, boss, writer, reviewer)
    with CaptureQueriesContext(connection) as full:
        client.get(reverse("admin:index"))
    # Counted panels that now overflow: returned, drafts, in review, waiting, scheduled (× 2 models), contacts.
    assert len(full.captured_queries) <= len(short.captured_queries) + 11
    fill_every_panel(PANEL_SIZE, boss, writer, reviewer)
    with django_assert_max_num_queries(len(full.captured_queries)):
        page = client.get(reverse("admin:index")).content.decode()
    assert len(titles_in(page, "drafts")) == PANEL_SIZE
    assert panel(page, "drafts").startswith(f"My drafts {2 * 2 * (2 * PANEL_SIZE + 1)}")  # 2 kinds × (plain + returned)


def test_the_archive_is_never_counted(client, writer, reviewer):
    """Recently published reads a LIMIT from the index, never COUNT(*) over the published archive."""
    now = timezone.now()
    for n in range(PANEL_SIZE + 2):
        publish(make_release(author=writer), reviewer, at=now - timedelta(hours=n + 1))
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("admin:index"))
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not any("'published'" in sql or "published_at\" <=" in sql for sql in counts), counts


@pytest.mark.postgres
def test_every_panel_query_reads_an_index_on_a_large_table(writer, reviewer, press_officer):
    """EXPLAIN on PostgreSQL: with thousands of published editions, no panel scans the whole table."""
    from releases import desk as desk_module

    source = make_source("NATO", slug="nato")
    now = timezone.now()
    Release.objects.bulk_create([
        Release(
            source=source, title=f"Archive {n}", slug=f"archive-{n}", state=State.PUBLISHED,
            published_at=now - timedelta(minutes=n), revised_at=now - timedelta(minutes=n), created_by=writer,
            last_edited_by=writer,
        )
        for n in range(20000)
    ])
    for n in range(5):
        make_release(source=source, author=writer).submit(writer)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE releases_release")
        cursor.execute("ANALYZE releases_transition")
    queries = {
        "returned": desk_module.returned_to(Release.objects, writer),
        "drafts": desk_module.drafts_of(Release.objects, writer),
        "in_review": desk_module.in_review_from(Release.objects, writer),
        "waiting": desk_module.waiting_for(Release.objects, reviewer),
        "scheduled_week": desk_module.scheduled_soon(Release.objects, now),
        "published": desk_module.recently_published(Release.objects, now),
        "mine_published": desk_module.published_by(Release.objects, reviewer, now),
    }
    for key, queryset in queries.items():
        plan = queryset[:PANEL_SIZE].explain()
        assert "Seq Scan on releases_release" not in plan, (key, plan)
